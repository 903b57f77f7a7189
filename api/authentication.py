"""Token authentication against hashed keys: a leaked database does not leak working tokens."""
import hashlib
import secrets

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiToken


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user) -> str:
    """Create a token for `user` and return its key; 256 random bits, so a fast hash is enough."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=hash_key(key))
    return key


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>` header, looked up by the key's hash."""

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None or not token.user.is_active:
            raise AuthenticationFailed(_("Invalid token."))
        return token.user, token
