"""An organisation's calendar feed holding 5 000 events: through HTTP, and `icalendar` alone.

- HTTP: `GET /feeds/<token>.ics` against gunicorn (2 workers), without If-None-Match, so every request
  builds the whole feed: the token lookup, the queries, the rendering.
- icalendar alone: the same events, from ready-made Python values (taken from the feed's own events before
  the clock starts), turned into `Event`s, a `Calendar` with its VTIMEZONE, and serialised. This is the
  floor: the feed can only approach it.
- Peak RSS (VmHWM) of the gunicorn workers after that load.
"""
from time import perf_counter

from bench.common import Http, gunicorn, median_ms, p95_ms, report, report_peak_rss, run_per_size, vendor
from bench.data import FEED_ORGANISATION

FEED_NAME = "[bench] feed"
RATIO_TARGET = 2.0
EVENT_FIELDS = {"UID": "uid", "SEQUENCE": "sequence", "DTSTAMP": "stamp", "LAST-MODIFIED": "last_modified",
                "DTSTART": "start", "DTEND": "end", "SUMMARY": "summary", "DESCRIPTION": "description",
                "URL": "url", "LOCATION": "location", "STATUS": "status"}
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
    from datetime import timedelta

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


def figures(n, base_url, runs=10, warmup=1):
    delete_feeds()
    feed, token = create_feed()
    try:
        events, window, time_zone = ready_values(feed)
        http = Http(base_url)
        seconds, size, count = [], 0, 0
        for index in range(warmup + runs):
            status, body, elapsed = http.get(f"/feeds/{token}.ics")
            if status != 200:
                raise RuntimeError(f"feed: HTTP {status} {body[:300]!r}")
            if index >= warmup:
                seconds.append(elapsed)
            size, count = len(body), body.count(b"BEGIN:VEVENT")
        alone = []
        for index in range(warmup + runs):
            started = perf_counter()
            document = icalendar_alone(events, window, time_zone)
            if index >= warmup:
                alone.append(perf_counter() - started)
    finally:
        delete_feeds()
    params = dict(db=vendor(), n=n, events=count, runs=runs)
    report("feed.http.median", median_ms(seconds), "ms", **params, bytes=size, server="gunicorn-2")
    report("feed.http.p95", p95_ms(seconds), "ms", **params, bytes=size, server="gunicorn-2")
    report("feed.icalendar_alone.median", median_ms(alone), "ms", **params, bytes=len(document))
    report("feed.http_over_icalendar", median_ms(seconds) / median_ms(alone), "ratio", **params,
           target=f"<={RATIO_TARGET}")


def measure(n):
    with gunicorn() as server:
        figures(n, server.url)
        report_peak_rss(server, db=vendor(), n=n, load="feed")


def main():
    return run_per_size("bench.feed", measure)


if __name__ == "__main__":
    raise SystemExit(main())
