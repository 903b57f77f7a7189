"""Calendar feeds over HTTP: an organisation's feed of 5 000 events, and a public occupancy feed of 4 000.

- HTTP, cold: `GET /feeds/<token>.ics` against gunicorn (2 workers), one of the feed's bookings touched before each
  request (outside the clock), so that every request finds a new version and builds the whole feed: the token
  lookup, the queries, the rendering.
- HTTP, warm: the same feed unchanged, without If-None-Match: what every client but the first gets.
- HTTP, not modified: the same with If-None-Match (304), what a polling calendar app gets.
- The same three for `GET /feeds/resource/<id>.ics` of a room made for the benchmark, holding 4 000 bookings
  (a third with public titles), deleted again afterwards.
- icalendar alone: the organisation's events, from ready-made Python values (taken from the feed's own events
  before the clock starts), turned into `Event`s, a `Calendar` with its VTIMEZONE, and serialised. This is the
  floor of a cold request.
- In-process (Django's test client in this process, no HTTP, medians of 5 × the HTTP runs): the organisation's
  feed warm (served from the cache) and not modified (304), what a polling calendar app costs the server without
  the network.
- Every request accepts gzip, as calendar apps do.
- Peak RSS (VmHWM) of the gunicorn workers after that load.
"""
import gzip
from datetime import timedelta
from time import perf_counter

from bench.common import Http, gunicorn, median_ms, p95_ms, report, report_peak_rss, run_per_size, vendor
from bench.data import FEED_ORGANISATION

FEED_NAME = "[bench] feed"
PUBLIC_ROOM = "[bench] public feed room"
PUBLIC_EVENTS = 4000
RATIO_TARGET = 1.5  # issue 21
EVENT_FIELDS = {"UID": "uid", "SEQUENCE": "sequence", "DTSTAMP": "stamp", "LAST-MODIFIED": "last_modified",
                "DTSTART": "start", "DTEND": "end", "SUMMARY": "summary", "DESCRIPTION": "description",
                "URL": "url", "LOCATION": "location", "STATUS": "status"}
GZIP = {"Accept-Encoding": "gzip"}
TYPED_FIELDS = {"SEQUENCE", "DTSTAMP", "LAST-MODIFIED", "DTSTART", "DTEND"}  # the rest are texts


def create_feed():
    """A feed token for the feed organisation's coordinator; returns (feed, raw token)."""
    from booking.feeds import create_feed_token
    from ngo.models import Membership, Organisation

    organisation = Organisation.objects.get(name=FEED_ORGANISATION)
    owner = Membership.objects.filter(organisation=organisation).order_by("pk").first().user
    return create_feed_token(owner=owner, scope="organisation", organisation=organisation, name=FEED_NAME)


def delete_feeds():
    from booking.models import FeedToken

    FeedToken.objects.filter(name=FEED_NAME).delete()


def touch(bookings):
    """Change the feed, so that its next request builds it anew: its first booking becomes its latest change (the
    generated history may hold changes dated ahead of now)."""
    from django.db.models import Max
    from django.utils import timezone

    from booking.models import Booking

    latest = bookings.aggregate(latest=Max("updated_at"))["latest"] or timezone.now()
    Booking.objects.filter(pk=bookings.order_by("start", "pk").values("pk")[:1]).update(
        updated_at=max(timezone.now(), latest + timedelta(milliseconds=1)))


def create_public_room(events=PUBLIC_EVENTS):
    """A room with public occupancy in the feed organisation's first centre, holding `events` consecutive 1-hour
    confirmed bookings from tomorrow on, written straight into the table."""
    from django.utils import timezone

    from booking.models import Booking, BookingStatus, Centre, Resource
    from ngo.models import Membership, Organisation

    delete_public_room()
    organisation = Organisation.objects.get(name=FEED_ORGANISATION)
    person = Membership.objects.filter(organisation=organisation).order_by("pk").first().user
    room = Resource.objects.create(centre=Centre.objects.order_by("pk").first(), kind=Resource.Kind.ROOM,
                                   name=PUBLIC_ROOM, booking_mode=Resource.BookingMode.SLOTS, occupancy_public=True)
    first = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    Booking.objects.bulk_create(
        Booking(resource=room, organisation=organisation, created_by=person, title=f"Warsztaty {number}",
                purpose="Zajęcia otwarte", public=number % 3 == 0, start=first + timedelta(hours=number),
                end=first + timedelta(hours=number + 1), status=BookingStatus.CONFIRMED, exclusive=True)
        for number in range(events)
    )
    return room


def delete_public_room():
    from booking.models import Booking, Resource

    Booking.objects.filter(resource__name=PUBLIC_ROOM).delete()
    Resource.objects.filter(name=PUBLIC_ROOM).delete()


def ready_values(feed):
    """The feed's events as plain Python values, and its calendar's name, time zone and date window."""
    from django.conf import settings
    from django.utils import timezone

    from booking.feeds import feed_bookings
    from booking.ical import booking_event

    now = timezone.now()
    events = []
    for booking in feed_bookings(feed, now=now):
        event = booking_event(booking, stamp=now)
        events.append({EVENT_FIELDS[name]: event.decoded(name) if name in TYPED_FIELDS else str(event[name])
                       for name in event if name in EVENT_FIELDS})
    days = [moment.date() if hasattr(moment, "date") else moment for values in events
            for moment in (values["start"], values["end"])]
    window = (min(days), max(days)) if days else None
    return events, window, settings.TIME_ZONE


def icalendar_alone(events, window, time_zone):
    """Build and serialise the calendar from ready values with `icalendar` only. Returns the bytes."""
    from icalendar import Calendar, Event, vDuration

    calendar = Calendar.new(prodid="-//Centre booking//centre-booking//PL", name=FEED_NAME, method="PUBLISH",
                            calscale="GREGORIAN", subcomponents=[Event.new(**values) for values in events])
    if window:
        calendar.add_missing_timezones(first_date=window[0] - timedelta(days=1),
                                       last_date=window[1] + timedelta(days=1))
    calendar.add("X-WR-TIMEZONE", time_zone)
    calendar.add("REFRESH-INTERVAL", vDuration(timedelta(hours=1)), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(timedelta(hours=1)))
    return calendar.to_ical()


def http_figures(http, path, bookings, runs, warmup):
    """Seconds per request, cold (the feed changed before each), warm and not modified; the body's size and events.
    Every request accepts gzip, as calendar apps do."""
    cold, warm, not_modified = [], [], []
    size = count = 0
    for index in range(warmup + runs):
        touch(bookings)
        status, body, elapsed = http.get(path, headers=GZIP)
        if status != 200:
            raise RuntimeError(f"feed: HTTP {status} {body[:300]!r}")
        if index >= warmup:
            cold.append(elapsed)
        body = gzip.decompress(body) if http.last_headers.get("Content-Encoding") == "gzip" else body
        size, count = len(body), body.count(b"BEGIN:VEVENT")
    for index in range(warmup + runs):
        status, body, elapsed = http.get(path, headers=GZIP)
        if status != 200:
            raise RuntimeError(f"feed, warm: HTTP {status} {body[:300]!r}")
        if index >= warmup:
            warm.append(elapsed)
    etag = http.last_headers["ETag"]
    for index in range(warmup + runs):
        status, body, elapsed = http.get(path, headers={"If-None-Match": etag, **GZIP})
        if status != 304:
            raise RuntimeError(f"feed, If-None-Match: HTTP {status} {body[:300]!r}")
        if index >= warmup:
            not_modified.append(elapsed)
    return cold, warm, not_modified, size, count


def inprocess_figures(path, runs, warmup):
    """Seconds per request through Django's test client in this process: warm (no If-None-Match) and 304."""
    from django.test import Client

    client = Client(HTTP_ACCEPT_ENCODING="gzip")
    status = client.get(path).status_code  # the version this process sees, rendered if the server has not yet
    if status != 200:
        raise RuntimeError(f"feed, in-process: HTTP {status}")
    etag = client.get(path)["ETag"]
    figures = {}
    for name, headers, expected in (("warm", {}, 200), ("not_modified", {"HTTP_IF_NONE_MATCH": etag}, 304)):
        times = []
        for index in range(warmup + runs):
            started = perf_counter()
            response = client.get(path, **headers)
            elapsed = perf_counter() - started
            if response.status_code != expected:
                raise RuntimeError(f"feed, in-process {name}: HTTP {response.status_code}")
            if index >= warmup:
                times.append(elapsed)
        figures[name] = times
    return figures


def report_http(prefix, figures, **params):
    cold, warm, not_modified, size, count = figures
    params = dict(params, events=count, bytes=size, server="gunicorn-2")
    report(f"{prefix}.median", median_ms(cold), "ms", **params)
    report(f"{prefix}.p95", p95_ms(cold), "ms", **params)
    report(f"{prefix}.warm.median", median_ms(warm), "ms", **params)
    report(f"{prefix}.not_modified.median", median_ms(not_modified), "ms", **params)


def figures(n, base_url, runs=10, warmup=1, public_events=PUBLIC_EVENTS):
    from django.utils import timezone

    from booking.feeds import feed_bookings, occupancy_bookings

    delete_feeds()
    feed, token = create_feed()
    room = create_public_room(public_events)
    try:
        events, window, time_zone = ready_values(feed)
        http = Http(base_url)
        organisation = http_figures(http, f"/feeds/{token}.ics", feed_bookings(feed, now=timezone.now()), runs, warmup)
        public = http_figures(http, f"/feeds/resource/{room.pk}.ics", occupancy_bookings(room, now=timezone.now()),
                              runs, warmup)
        inprocess = inprocess_figures(f"/feeds/{token}.ics", runs * 5, warmup * 5)
        alone = []
        for index in range(warmup + runs):
            started = perf_counter()
            document = icalendar_alone(events, window, time_zone)
            if index >= warmup:
                alone.append(perf_counter() - started)
    finally:
        delete_feeds()
        delete_public_room()
    report_http("feed.http", organisation, db=vendor(), n=n, runs=runs)
    report_http("feed.public.http", public, db=vendor(), n=n, runs=runs)
    params = dict(db=vendor(), n=n, events=organisation[4], runs=runs)
    for name, times in inprocess.items():
        report(f"feed.inprocess.{name}.median", median_ms(times), "ms", db=vendor(), n=n, events=organisation[4],
               runs=len(times), target="<=2")
    report("feed.icalendar_alone.median", median_ms(alone), "ms", **params, bytes=len(document))
    report("feed.http_over_icalendar", median_ms(organisation[0]) / median_ms(alone), "ratio", **params,
           target=f"<={RATIO_TARGET}")


def measure(n):
    with gunicorn() as server:
        figures(n, server.url)
        report_peak_rss(server, db=vendor(), n=n, load="feed")


def main():
    return run_per_size("bench.feed", measure)


if __name__ == "__main__":
    raise SystemExit(main())
