"""Secret calendar-feed tokens. The raw token is shown once; only its SHA-256 is stored."""
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FeedToken
from .selectors import is_centre_staff, is_member


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def create_feed_token(*, owner, scope, organisation=None, centre=None, name=""):
    """Return `(feed_token, raw_token)`. The owner must be allowed to see the scope now."""
    if scope == FeedToken.Scope.ORGANISATION:
        if organisation is None:
            raise ValidationError({"organisation": ValidationError(_("Choose the organisation."), code="required")})
        if not is_member(owner, organisation):
            raise PermissionDenied(_("You can subscribe only to your own organisation's bookings."))
        centre = None
    elif scope == FeedToken.Scope.CENTRE:
        if centre is None:
            raise ValidationError({"centre": ValidationError(_("Choose the centre."), code="required")})
        if not is_centre_staff(owner, centre):
            raise PermissionDenied(_("Only the centre's staff can subscribe to all its bookings."))
        organisation = None
    elif scope == FeedToken.Scope.PERSON:
        organisation = centre = None
    else:
        raise ValidationError({"scope": ValidationError(_("Unknown feed scope."), code="invalid_choice")})
    raw_token = secrets.token_urlsafe(32)  # 256 random bits
    feed = FeedToken.objects.create(owner=owner, scope=scope, organisation=organisation, centre=centre, name=name,
                                    token_hash=hash_token(raw_token))
    return feed, raw_token


def revoke_feed_token(*, feed, user):
    if feed.owner_id != user.pk:
        raise PermissionDenied(_("You can revoke only your own feeds."))
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])


def active_feed_token(raw_token: str):
    """The live token behind a feed URL, or None. One indexed lookup by hash, whatever the input."""
    return FeedToken.objects.select_related("owner", "organisation", "centre").filter(
        token_hash=hash_token(raw_token), revoked_at__isnull=True,
    ).first()
