"""iCalendar feeds that calendar apps subscribe to: a resource's public occupancy, and secret-token feeds.

Calendar apps poll without credentials, so a token feed's secret is its URL. What a feed shows is decided by
`booking.feeds` at each request; these views add HTTP: a throttle, conditional GET and caching.

Conditional GET: the ETag is a fingerprint of what the feed shows (`booking.feeds.feed_version`, one grouped
query, plus its name, time zone, language, the day and FEED_FORMAT), so an unchanged feed answers 304 without
loading its bookings. Once verified, a feed's ETag is kept in the cache beside the feeds' generation
(`booking.feeds`, renewed by every write to the rows feeds show): while the generation stands, for at most
VERIFIED_FOR, the ETag is served without the version query (a token lookup and one cache read). Last-Modified is
the time that fingerprint was first served (kept with it). The bookings' latest `updated_at` would not do: it does
not move when a booking leaves the feed (a member removed from the organisation, a booking passing out of the
window), and a client that sends only If-Modified-Since would keep the stale copy.

Caching: a feed is rendered once per version (a large one takes seconds); the body is kept in the cache (Redis
in production, shared by the workers) gzipped (a 3.5 MB feed takes 190 kB) beside its ETag, one entry per feed and
language, so a busy feed leaves no trail of old versions. Every other request for that version is served from
there: as it is to a client that accepts gzip (calendar apps do), unpacked for one that does not. The cache fails
open (config/cache.py): with Redis away, each request renders.

Throttle: FEED_RATE requests per client address (as the API throttles read it, NUM_PROXIES), counted in the
same cache; above it a 429 with Retry-After. Calendar apps poll every few minutes to every few hours.
"""
import functools
import hashlib
import logging
import math
import re
import zlib
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe
from rest_framework.throttling import SimpleRateThrottle

from booking.feeds import (
    GENERATION_KEY,
    active_feed_token,
    feed_bookings,
    feed_generation_shared,
    feed_version,
    feed_window,
    first_feed_generation,
    occupancy_bookings,
    public_event_bookings,
    public_occupancy_resources,
)
from booking.ical import feed_ics_parts
from booking.models import Centre, FeedToken
from config.clients import client_address
from config.replicas import replica_reads

logger = logging.getLogger(__name__)

FEED_FORMAT = 1  # raise when the rendering changes, so that every client fetches its feed again
PUBLIC_MAX_AGE = 15 * 60
LAST_MODIFIED_KEPT = 60 * 60 * 24 * 30
RENDERED_KEPT = 60 * 60 * 24  # the ETag holds the day: a rendering is never served after it
VERIFIED_FOR = timedelta(minutes=10)
GZIP = 31  # zlib's wbits for a gzip stream
ACCEPTS_GZIP = re.compile(r"\bgzip\b")  # as Django's GZipMiddleware reads Accept-Encoding


class FeedRateThrottle(SimpleRateThrottle):
    """FEED_RATE requests per client address, counted in the default cache."""

    scope = "feed"

    def get_rate(self):
        return settings.FEED_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


def throttled(view):
    """`view`, answering 429 with Retry-After, before any query, to a client over FEED_RATE."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        throttle = FeedRateThrottle()
        if throttle.allow_request(request, None):
            return view(request, *args, **kwargs)
        seconds = max(1, math.ceil(throttle.wait() or 1))
        response = HttpResponse(
            ngettext("Too many requests for calendar feeds. Try again in %(seconds)d second.",
                     "Too many requests for calendar feeds. Try again in %(seconds)d seconds.", seconds)
            % {"seconds": seconds},
            status=429, content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(seconds)
        return response

    return guarded


def _fingerprint(key, now):
    """What a feed's ETag holds besides its version: the format, the site, the feed (its name, time zone and
    language) and the date, so that a feed is rebuilt at least daily as its window moves."""
    return (FEED_FORMAT, settings.SITE_URL, key, timezone.localdate(now).isoformat())


def _etag(key, version, now):
    """Weak: the body also carries DTSTAMP, the time it was rendered."""
    fingerprint = repr((*_fingerprint(key, now), version))
    return f'W/"{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"'


def _current(key, shown, bookings, now):
    """The feed's ETag, and when that version was first served (strictly later than the version before it).

    Kept in the cache with the generation it was verified under (`booking.feeds`, bumped by every write to the rows
    feeds show) and when: while the generation stands, and for at most VERIFIED_FOR, the ETag is served without
    reading the version again. VERIFIED_FOR bounds how long a change the generation missed can go unseen: a write
    outside Django, one made while Redis was away, or a replica that had not yet received a write when its
    generation was read; and a booking passing out of the window as time goes by. With no generation in the cache
    (emptied), a new one starts; with a cache of this process alone, the version is read each time."""
    cache_key = f"ical-feed-version:{key}"
    fingerprint = _fingerprint((key, *shown), now)
    try:
        found = cache.get_many([cache_key, GENERATION_KEY])
        seen, generation = found.get(cache_key), found.get(GENERATION_KEY)
        if generation is None and feed_generation_shared():
            generation = first_feed_generation()
    except Exception:  # a cache outage must not take the feeds down; the version read now is always right
        logger.warning("feed cache unavailable, reading the version", exc_info=True)
        seen = generation = None
    basis = (fingerprint, generation)
    if (seen and generation is not None and feed_generation_shared() and seen[2] == basis
            and timedelta(0) <= now - seen[3] < VERIFIED_FOR):
        return seen[0], seen[1]
    etag = _etag((key, *shown), feed_version(bookings()), now)
    modified = now.replace(microsecond=0)
    if seen and seen[0] == etag:
        modified = seen[1]
    elif seen and modified <= seen[1]:
        modified = seen[1] + timedelta(seconds=1)
    try:
        cache.set(cache_key, (etag, modified, basis, now), LAST_MODIFIED_KEPT)
    except Exception:
        logger.warning("feed cache unavailable, Last-Modified is now", exc_info=True)
    return etag, modified


def _gzipped(parts) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, GZIP)
    return b"".join([*(compressor.compress(part) for part in parts), compressor.flush()])


def _body(key, etag, render, bookings, now):
    """The feed's body for `etag`, gzipped: from the cache, or rendered now and kept there for everyone else."""
    cache_key = f"ical-feed-gz:{key}"
    cached = cache.get(cache_key)
    if cached and cached[0] == etag:
        return cached[1]
    del cached  # another version's body: not kept while this one renders
    first, last = feed_window(now)
    body = _gzipped(render(bookings(), window=(timezone.localdate(first), timezone.localdate(last))))
    cache.set(cache_key, (etag, body), RENDERED_KEPT)
    return body


def _feed_response(request, *, key, name, time_zone, bookings, render, now, private):
    """`bookings()` gives the feed's bookings; it is not called when the ETag is known (`_current`): even building
    the queryset costs as much as the rest of a 304."""
    key = f"{key}:{translation.get_language()}"
    bookings = functools.cache(bookings)
    etag, last_modified = _current(key, (name, time_zone), bookings, now)
    response = get_conditional_response(request, etag=etag, last_modified=int(last_modified.timestamp()))
    if response is None:
        body = _body(key, etag, render, bookings, now)
        gzipped = ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", ""))
        response = HttpResponse(body if gzipped else zlib.decompress(body, GZIP),
                                content_type="text/calendar; charset=utf-8")
        if gzipped:
            response["Content-Encoding"] = "gzip"
        response["Content-Disposition"] = 'inline; filename="calendar.ics"'
        response["Content-Language"] = translation.get_language()
    patch_vary_headers(response, ["Accept-Encoding"])
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    if private:
        # Never in a shared cache; the client revalidates each poll, which costs a 304 when nothing changed.
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


@replica_reads
@require_safe
@throttled
def resource_feed(request, pk):
    """A resource's occupancy, for anyone: busy blocks, titled only where the booking is public."""
    resource = get_object_or_404(public_occupancy_resources(), pk=pk)
    centre = resource.centre
    now = timezone.now()
    name = _("%(resource)s, %(centre)s: occupancy") % {"resource": resource.name, "centre": centre.name}
    return _feed_response(
        request, key=f"resource:{resource.pk}", name=name, time_zone=centre.time_zone,
        bookings=lambda: occupancy_bookings(resource, now=now), now=now, private=False,
        render=lambda bookings, window: feed_ics_parts(bookings, name=name, time_zone=centre.time_zone,
                                                       window=window, public=True, stamp=now),
    )


@replica_reads
@require_safe
@throttled
def centre_public_feed(request, pk):
    """A centre's public events, for anyone: bookings their organisations made public, with their titles and
    organisations (the public agenda as a calendar)."""
    centre = get_object_or_404(Centre, pk=pk)
    now = timezone.now()
    name = _("%(centre)s: public events") % {"centre": centre.name}
    return _feed_response(
        request, key=f"centre-public:{centre.pk}", name=name, time_zone=centre.time_zone,
        bookings=lambda: public_event_bookings(centre, now=now), now=now, private=False,
        render=lambda bookings, window: feed_ics_parts(bookings, name=name, time_zone=centre.time_zone,
                                                       window=window, public=True, organisers=True, stamp=now),
    )


def _feed_name(feed):
    if feed.name:
        return feed.name
    if feed.scope == FeedToken.Scope.ORGANISATION:
        return _("%(organisation)s: bookings") % {"organisation": feed.organisation.name}
    if feed.scope == FeedToken.Scope.CENTRE:
        return _("%(centre)s: all bookings") % {"centre": feed.centre.name}
    if feed.scope == FeedToken.Scope.CONSULTANT:
        return _("My consultation appointments")
    return _("My bookings")


@replica_reads
@require_safe
@throttled
def token_feed(request, token):
    """An organisation's, a person's or a centre's bookings, as the token's owner may see them now.

    An unknown or revoked token is a 404 after the same single lookup by hash as a valid one. An owner who
    lost access (left the organisation, no longer staff) gets a valid, empty calendar rather than a 404:
    calendar apps replace a subscription's events with what the feed returns, so the events they showed
    disappear, whereas after an error most keep showing the last copy indefinitely.
    """
    feed = active_feed_token(token)
    if feed is None:
        # Plain text, not the site's 404 page: a calendar app reads no HTML, and the page's own queries
        # would make an unknown token cheaper or dearer to ask about than a known one.
        return HttpResponseNotFound(_("No such calendar feed."), content_type="text/plain; charset=utf-8")
    now = timezone.now()
    time_zone = feed.centre.time_zone if feed.scope == FeedToken.Scope.CENTRE else settings.TIME_ZONE
    with translation.override(feed.owner.language):
        name = _feed_name(feed)
        return _feed_response(
            request, key=f"token:{feed.pk}", name=name, time_zone=time_zone,
            bookings=lambda: feed_bookings(feed, now=now), now=now, private=True,
            render=lambda bookings, window: feed_ics_parts(bookings, name=name, time_zone=time_zone,
                                                           window=window, stamp=now),
        )
