"""Token authentication against hashed keys: a leaked database does not leak working tokens."""
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiToken


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user) -> str:
    """Create a token for `user`, valid for API_TOKEN_TTL_DAYS, and return its key; 256 random bits, so a fast
    hash is enough. The person's expired tokens go."""
    now = timezone.now()
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=hash_key(key),
                            expires_at=now + timedelta(days=settings.API_TOKEN_TTL_DAYS))
    return key


def revoke_tokens(sender, user, **kwargs):
    """A new or disabled password signs every API token of the person out (ngo.signals.password_changed): a
    token taken by whoever knew the old password stops working with it."""
    ApiToken.objects.filter(user=user).delete()


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>` header, looked up by the key's hash."""

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None or not token.user.is_active:
            raise AuthenticationFailed(_("Invalid token."))
        if token.expires_at <= timezone.now():
            raise AuthenticationFailed(_("The token has expired; ask for a new one."), code="token_expired")
        return token.user, token
