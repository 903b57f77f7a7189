"""Calendar feeds: secret tokens (the raw token is shown once; only its SHA-256 is stored) and what each feed shows."""
import hashlib
import logging
import re
import secrets
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import RuleViolation
from .models import ACTIVE_STATUSES, Booking, BookingStatus, Consultant, FeedToken, Resource
from .selectors import is_centre_staff, is_member, published_bookings, visible_bookings

logger = logging.getLogger(__name__)

FEED_PAST = timedelta(days=90)
FEED_FUTURE = relativedelta(years=2)
CANCELLED_SHOWN_FOR = timedelta(days=30)


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def create_feed_token(*, owner, scope, organisation=None, centre=None, name=""):
    """Return `(feed_token, raw_token)`. The owner must be allowed to see the scope now."""
    if scope == FeedToken.Scope.ORGANISATION:
        if organisation is None:
            raise RuleViolation("required", _("Choose the organisation."), "organisation")
        if not is_member(owner, organisation):
            raise PermissionDenied(_("You can subscribe only to your own organisation's bookings."))
        centre = None
    elif scope == FeedToken.Scope.CENTRE:
        if centre is None:
            raise RuleViolation("required", _("Choose the centre."), "centre")
        if not is_centre_staff(owner, centre):
            raise PermissionDenied(_("Only the centre's staff can subscribe to all its bookings."))
        organisation = None
    elif scope == FeedToken.Scope.PERSON:
        organisation = centre = None
    elif scope == FeedToken.Scope.CONSULTANT:
        if not Consultant.objects.filter(user=owner, is_active=True).exists():
            raise PermissionDenied(_("Only consultants have an agenda to subscribe to."))
        organisation = centre = None
    else:
        raise RuleViolation("invalid_choice", _("Unknown feed scope."), "scope")
    raw_token = secrets.token_urlsafe(32)  # 256 random bits
    feed = FeedToken.objects.create(owner=owner, scope=scope, organisation=organisation, centre=centre, name=name,
                                    token_hash=hash_token(raw_token))
    return feed, raw_token


def revoke_feed_token(*, feed, actor):
    if feed.owner_id != actor.pk:
        raise PermissionDenied(_("You can revoke only your own feeds."))
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])


def active_feed_token(raw_token: str):
    """The live token behind a feed URL, or None. One indexed lookup by hash, whatever the input."""
    return FeedToken.objects.select_related("owner", "organisation", "centre").filter(
        token_hash=hash_token(raw_token), revoked_at__isnull=True,
    ).first()


def token_feed_url(raw_token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("feeds:token", kwargs={"token": raw_token})


def resource_feed_url(resource) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("feeds:resource", kwargs={"pk": resource.pk})


def webcal_url(url: str) -> str:
    """The same feed as a webcal:// link, which calendar apps open as a subscription."""
    return "webcal://" + url.split("://", 1)[-1]


def feed_window(now):
    """A feed covers 90 days back to two years ahead."""
    return now - FEED_PAST, now + FEED_FUTURE


# Columns no event shows, left out of a feed's query: a feed reads thousands of rows.
NOT_SHOWN = ("override_reason", "decision_reason", "cancellation_reason", "created_at", "created_by__password",
             "created_by__last_login", "created_by__date_joined", "created_by__awaiting_confirmation_since")


def in_feed(bookings, *, now):
    """The bookings a feed carries: active ones in the window, and those cancelled in the last 30 days
    (as CANCELLED, so subscribed calendars drop them). Rejected requests never show."""
    first, last = feed_window(now)
    return bookings.filter(start__lt=last, end__gt=first).filter(
        Q(status__in=ACTIVE_STATUSES) | Q(status=BookingStatus.CANCELLED, updated_at__gte=now - CANCELLED_SHOWN_FOR)
    ).select_related("resource__centre", "organisation", "created_by").defer(*NOT_SHOWN).order_by("start", "pk")


def public_occupancy_resources():
    """Resources whose occupancy anyone may subscribe to."""
    return Resource.objects.filter(is_active=True, occupancy_public=True).select_related("centre")


def public_events_feed_url(centre) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("feeds:centre_public", kwargs={"pk": centre.pk})


def public_event_bookings(centre, *, now):
    """The centre's public events feed: the bookings the public agenda shows (confirmed), in the feed's window, and
    those cancelled in the last 30 days, so that subscribed calendars drop them. A request still awaiting approval
    is not announced."""
    return in_feed(published_bookings(centre), now=now).exclude(status=BookingStatus.PENDING)


def occupancy_bookings(resource, *, now):
    return in_feed(Booking.objects.filter(resource=resource), now=now)


def feed_bookings(feed, *, now):
    """What the feed shows: its scope, cut down to what the owner may see at this moment.

    The check is part of the query (no separate permission lookup): a member removed from the organisation,
    staff removed from the centre, or a deactivated owner get an empty feed.
    """
    owner = feed.owner
    if not owner.is_active:
        return Booking.objects.none()
    if feed.scope == FeedToken.Scope.CONSULTANT:  # their agenda, whether or not they belong to the organisations
        return in_feed(Booking.objects.filter(resource__consultant__user=owner, resource__consultant__is_active=True),
                       now=now)
    bookings = visible_bookings(owner)
    if feed.scope == FeedToken.Scope.ORGANISATION:
        bookings = bookings.filter(organisation_id=feed.organisation_id)
    elif feed.scope == FeedToken.Scope.CENTRE:
        bookings = bookings.filter(resource__centre_id=feed.centre_id)
    else:
        bookings = bookings.filter(created_by=owner)
    return in_feed(bookings, now=now)


# Besides the bookings' own rows, what a feed's events show of their resource, centre, organisation and person.
SHOWN_ALONGSIDE = ("resource__name", "resource__units", "resource__booking_mode", "resource__centre__name",
                   "resource__centre__street", "resource__centre__postal_code", "resource__centre__city",
                   "resource__centre__time_zone", "organisation__name", "created_by__first_name",
                   "created_by__last_name", "created_by__username")


def feed_version(bookings):
    """A cheap fingerprint of what a feed would show, from one grouped query that returns a row per resource,
    organisation and person in the feed, not per booking: their names and addresses as the events show them,
    and of their bookings how many, the latest change, and the sum of their ids (so that one booking leaving and
    another arriving also counts). A booking's every change raises its `updated_at`; a renamed resource, a moved
    centre or a person's new name change the rows themselves."""
    return list(bookings.order_by(*SHOWN_ALONGSIDE).values_list(*SHOWN_ALONGSIDE).annotate(
        count=Count("pk"), changed=Max("updated_at"), ids=Sum("pk"),
    ))


# --- the feeds' generation ------------------------------------------------------------------------------------
# Everything a feed shows or depends on lives in the tables of the `booking` and `ngo` apps: bookings and series,
# resources, centres and their staff, organisations, memberships, people (their names, language, whether active).
# Any statement that writes to one of them gives every feed a new generation, a random token kept in the cache.
# A feed that has verified its version under the current generation need not read it again (api/feeds.py).
# Coarse on purpose: one generation for all feeds, so no write can miss a feed it touches; a write costs every feed one
# recomputed version (one grouped query), never a rendering.
GENERATION_KEY = "feed-generation"
_WRITES = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(?:booking|ngo)_', re.IGNORECASE)


def feed_generation_shared() -> bool:
    """Whether the generation can be trusted: only in a cache every process shares. A process's own memory would
    not hear of another's writes (another gunicorn worker, a Celery task)."""
    return not isinstance(caches["default"], (LocMemCache, DummyCache))


def new_feed_generation():
    """A new generation. Never fails a write: without it, feeds show the change within VERIFIED_FOR (api/feeds.py)."""
    try:
        cache.set(GENERATION_KEY, secrets.token_hex(8), None)
    except Exception:
        logger.warning("feed cache unavailable, the feeds' generation was not renewed", exc_info=True)


def first_feed_generation():
    """The generation, starting one if the cache holds none (emptied, or evicted)."""
    cache.add(GENERATION_KEY, secrets.token_hex(8), None)
    return cache.get(GENERATION_KEY)


def watch_feed_writes(execute, sql, params, many, context):
    """A database execute wrapper (installed on every connection by `BookingConfig.ready`): a write to the tables
    feeds show starts a new generation at once and again when its transaction commits. The second closes the race
    of a reader that took the first generation but read the rows before the commit; the first keeps a reader in
    the same transaction (and a test, which never commits) from trusting an old version."""
    result = execute(sql, params, many, context)
    if _WRITES.match(sql):
        new_feed_generation()
        connection = context["connection"]
        if connection.in_atomic_block and not any(
                callback is new_feed_generation for _savepoints, callback, _robust in connection.run_on_commit):
            connection.on_commit(new_feed_generation)
    return result


def watch_connection(sender, connection, **kwargs):
    """`connection_created` receiver: every database connection watches its writes for the feeds."""
    if watch_feed_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_feed_writes)
