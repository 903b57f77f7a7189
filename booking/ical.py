"""Bookings as iCalendar (RFC 5545, RFC 7986).

Pure functions: they take bookings (with resource, centre, organisation and created_by loaded) and return
calendars. Used by the calendar feeds (METHOD:PUBLISH, `feed_ics`: events written as text, the same bytes the
`icalendar` library writes) and by the e-mail invitations (METHOD:REQUEST / METHOD:CANCEL, built with `icalendar`).
Texts follow the active language; the callers choose it.

How bookings look in a calendar:
- slots: DTSTART/DTEND with the centre's TZID, in local wall time;
- days (lockers, desks by the day): all-day events, DTSTART;VALUE=DATE to the exclusive DTEND date;
- nights (accommodation): one event from check-in to check-out (TZID date-times, so the calendar shows
  when to arrive and leave), the number of nights in the summary.

Only bookings within the service's calendar (1970-2999, `booking.localtime`) can be rendered: the services refuse
any other, but a row written around them (by hand in the database, an old import) must not take down every feed
that holds it, so a feed leaves it out with a warning in the log (`renderable`).
"""
import functools
import io
import logging
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration
from icalendar.timezone.tzid import tzid_from_dt

from .localtime import EARLIEST, LATEST
from .models import BookingStatus, Resource
from .wording import booked_quantity

logger = logging.getLogger(__name__)

PRODID = "-//Centre booking//centre-booking//PL"
FEED_REFRESH = timedelta(hours=1)
ICAL_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.REJECTED: "CANCELLED",
    BookingStatus.OFFERED: "TENTATIVE",  # feeds leave offers out; held for the waitlist, not booked yet
}


def _site_host() -> str:
    return settings.SITE_URL.split("://")[-1].split("/")[0].split(":")[0]


def renderable(booking) -> bool:
    """Whether `booking` lies within the service's calendar. Beyond it a time zone may push a date past year 9999
    or before year 1, and the VTIMEZONE would have to describe centuries."""
    return EARLIEST <= booking.start and booking.end <= LATEST


def booking_uid(booking) -> str:
    """Stable for the booking's whole life, so calendars update the event instead of adding another."""
    return f"booking-{booking.pk}@{_site_host()}"


def booking_link(booking) -> str:
    """Where the site shows the booking: its resource's week, in the active language (an appointment: the list of
    consultations, since a consultant's agenda has no week page)."""
    if booking.resource.kind == Resource.Kind.CONSULTANT:
        return f"{settings.SITE_URL.rstrip('/')}{_path('web:consultations', None, *_reversing())}"
    day = booking.start.astimezone(booking.resource.centre.tz).date()
    path = _path("web:resource_week", booking.resource_id, *_reversing())
    return f"{settings.SITE_URL.rstrip('/')}{path}?date={day.isoformat()}"


def _reversing():
    """What else `reverse` answers by: the language (its URL prefix), the URLconf and the script prefix."""
    return get_language(), get_urlconf(), get_script_prefix()


@functools.lru_cache(maxsize=4096)
def _path(name, pk, language, urlconf, prefix):
    """`reverse`, remembered: a feed asks it for every event, mostly for the same few resources."""
    return reverse(name, args=[] if pk is None else [pk], urlconf=urlconf)


def event_times(booking) -> tuple[date, date] | tuple[datetime, datetime]:
    """Start and end as the calendar shows them: local dates for whole-day bookings, else local date-times."""
    resource = booking.resource
    tz = resource.centre.tz
    start, end = booking.start.astimezone(tz), booking.end.astimezone(tz)
    if resource.booking_mode == Resource.BookingMode.DAYS and start.time() == end.time() == time(0):
        return start.date(), end.date()
    return start, end


def _with_nights(booking, title):
    if booking.resource.booking_mode != Resource.BookingMode.NIGHTS:
        return title
    tz = booking.resource.centre.tz
    nights = (booking.end.astimezone(tz).date() - booking.start.astimezone(tz).date()).days
    return ngettext("%(title)s (%(count)d night)", "%(title)s (%(count)d nights)", nights) % {
        "title": title, "count": nights,
    }


def occupied_title(booking) -> str:
    """What the public sees of a booking whose title is not public."""
    units = booking.resource.units
    if units > 1:
        return _("Booked (%(quantity)d of %(units)d)") % {"quantity": booking.quantity, "units": units}
    return _("Booked")


def booking_description(booking, link=None) -> str:
    """Purpose, organisation, who booked, status and a link (`booking_link`, unless given): what a member needs
    when the event pops up."""
    lines = []
    if booking.purpose:
        lines.append(_("Purpose: %(purpose)s") % {"purpose": booking.purpose})
    lines.append(_("Organisation: %(organisation)s") % {"organisation": booking.organisation.name})
    if booking.created_by is not None:
        person = booking.created_by.get_full_name() or booking.created_by.get_username()
        lines.append(_("Booked by: %(person)s") % {"person": person})
    lines.append(_("Status: %(status)s") % {"status": booking.get_status_display()})
    if quantity := booked_quantity(booking):
        lines.append(_("How many: %(quantity)s") % {"quantity": quantity})
    lines.append(_("Details: %(url)s") % {"url": link or booking_link(booking)})
    return "\n".join(lines)


def event_values(booking, *, title=None, stamp=None, details=True) -> dict:
    """What the VEVENT of `booking` holds, as `Event.new` takes it: one place for both ways of writing it
    (`booking_event` for invitations, `feed_ics` for feeds). `title` overrides the summary; `details=False` leaves
    out the description and the link (public occupancy)."""
    resource = booking.resource
    centre = resource.centre
    start, end = event_times(booking)
    link = booking_link(booking) if details else None
    return {
        "uid": booking_uid(booking),
        "sequence": booking.sequence,
        "stamp": stamp or timezone.now(),
        "last_modified": booking.updated_at,
        "start": start,
        "end": end,
        "summary": _with_nights(booking, title if title is not None else booking.title),
        "description": booking_description(booking, link) if details else None,
        "url": link,
        "location": f"{resource.name}, {centre.name}, {centre.address}",
        "status": ICAL_STATUS[booking.status],
    }


def booking_event(booking, *, title=None, stamp=None, details=True) -> Event:
    """One VEVENT for `booking`, in its centre's time zone."""
    return Event.new(**event_values(booking, title=title, stamp=stamp, details=details))


def _span(events) -> tuple[date, date] | None:
    """The first and last local dates the events touch, a day added on each side."""
    days = [moment.date() if isinstance(moment, datetime) else moment
            for event in events for moment in (event.start, event.end)]
    if not days:
        return None
    return min(days) - timedelta(days=1), max(days) + timedelta(days=1)


def bookings_calendar(events, *, name, method="PUBLISH", window=None) -> Calendar:
    """A VCALENDAR holding `events`, with a VTIMEZONE for every zone they use.

    The VTIMEZONEs describe the transitions over the events' span, widened to `window` (first, last date).
    """
    events = list(events)
    calendar = Calendar.new(prodid=PRODID, name=name, method=method, calscale="GREGORIAN", subcomponents=events)
    del calendar["UID"]  # Calendar.new makes up a random one; an unchanged feed should read the same
    span = _span(events)
    if span:
        first, last = (min(span[0], window[0]), max(span[1], window[1])) if window else span
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar


def _escaped(text: str) -> str:
    """TEXT as RFC 5545 §3.3.11 writes it, as `icalendar` escapes it."""
    return (text.replace("\\N", "\n").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _folded(line: str) -> bytes:
    """`line` as UTF-8, folded as `icalendar` folds it: at most 74 octets a line, never inside a character, and a
    backslash or caret that would end a line begins the next one instead."""
    data = line.encode()
    if len(data) < 75:
        return data
    parts = []
    while len(data) > 74:
        cut = 74
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: the character starts before
            cut -= 1
        if data[cut - 1] in b"\\^":
            cut -= 1
        parts.append(data[:cut])
        data = data[cut:]
    parts.append(data)
    return b"\r\n ".join(parts)


class _Moments:
    """DTSTART and DTEND lines, and the zones and dates they use (for the VTIMEZONEs)."""

    def __init__(self):
        self.zones = {}  # tzinfo -> its TZID, None for UTC
        self.first = self.last = None

    def line(self, name, moment) -> str:
        if isinstance(moment, datetime):
            day = moment.date()
            if moment.tzinfo not in self.zones:
                tzid = tzid_from_dt(moment)
                self.zones[moment.tzinfo] = None if tzid == "UTC" else tzid
            tzid = self.zones[moment.tzinfo]
            text = f"{name}:{moment:%Y%m%dT%H%M%S}Z" if tzid is None else f"{name};TZID={tzid}:{moment:%Y%m%dT%H%M%S}"
        else:
            day = moment
            text = f"{name};VALUE=DATE:{moment:%Y%m%d}"
        if self.first is None or day < self.first:
            self.first = day
        if self.last is None or day > self.last:
            self.last = day
        return text


def _utc(moment) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _event_text(values, moments) -> bytes:
    """The VEVENT of `event_values`, in the order `icalendar` writes it."""
    lines = [b"BEGIN:VEVENT", _folded(f"SUMMARY:{_escaped(values['summary'])}"),
             _folded(moments.line("DTSTART", values["start"])), _folded(moments.line("DTEND", values["end"])),
             f"DTSTAMP:{_utc(values['stamp'])}".encode(), _folded(f"UID:{_escaped(values['uid'])}"),
             f"SEQUENCE:{values['sequence']}".encode()]
    if values["description"] is not None:
        lines.append(_folded(f"DESCRIPTION:{_escaped(values['description'])}"))
    if values["last_modified"] is not None:
        lines.append(f"LAST-MODIFIED:{_utc(values['last_modified'])}".encode())
    lines += [_folded(f"LOCATION:{_escaped(values['location'])}"), f"STATUS:{values['status']}".encode()]
    if values["url"] is not None:
        lines.append(_folded(f"URL:{values['url']}"))
    lines.append(b"END:VEVENT\r\n")
    return b"\r\n".join(lines)


def feed_ics(bookings, **options) -> bytes:
    """`feed_ics_parts` as one document."""
    return b"".join(feed_ics_parts(bookings, **options))


def feed_ics_parts(bookings, *, name, time_zone, window=None, public=False, organisers=False, stamp=None) -> list:
    """A subscribable calendar (METHOD:PUBLISH) of `bookings`, suggesting clients refresh it hourly.

    `window` is the feed's (first, last) date, which its VTIMEZONEs cover. `public=True` is the occupancy view:
    titles only of public bookings, no description, people or links; with `organisers=True` (the public events
    feed) a public booking's description names its organisation. A booking that cannot be rendered is left out,
    and logged.

    The events are written as text one by one, the same bytes `icalendar` writes for them (tests compare), and only
    the calendar's head and VTIMEZONEs are built with `icalendar`: 5 000 `Event`s of `icalendar` took seconds and a
    worker's memory grew by 70 MiB while it held them. `bookings` is read with `iterator()`, not kept. Returned as
    three buffers (the head, the events, the end) that a caller can compress without joining them first.
    """
    stamp = stamp or timezone.now()
    moments = _Moments()
    events = io.BytesIO()  # one growing buffer: thousands of small bytes objects would stay on the heap
    rows = bookings.iterator(chunk_size=100) if hasattr(bookings, "iterator") else bookings
    for booking in rows:
        if not renderable(booking):
            logger.warning("Booking %s (%s to %s) is outside the service's calendar; left out of the feed %r",
                           booking.pk, booking.start.isoformat(), booking.end.isoformat(), name)
            continue
        if public:
            values = event_values(booking, title=booking.title if booking.public else occupied_title(booking),
                                  stamp=stamp, details=False)
            if organisers and booking.public:
                values["description"] = _("Organisation: %(organisation)s") % {
                    "organisation": booking.organisation.name}
        else:
            values = event_values(booking, stamp=stamp)
        events.write(_event_text(values, moments))
    head = Calendar.new(prodid=PRODID, name=name, method="PUBLISH", calscale="GREGORIAN")
    del head["UID"]  # Calendar.new makes up a random one; an unchanged feed should read the same
    head.add("X-WR-TIMEZONE", time_zone)
    head.refresh_interval = FEED_REFRESH
    head["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"  # RFC 7986 requires it; icalendar leaves it out
    head.add("X-PUBLISHED-TTL", vDuration(FEED_REFRESH))  # a bare timedelta would print "1:00:00"
    if moments.first is not None:
        first, last = moments.first - timedelta(days=1), moments.last + timedelta(days=1)
        if window:
            first, last = min(first, window[0]), max(last, window[1])
        for tzid in sorted({tzid for tzid in moments.zones.values() if tzid}):
            head.add_component(Timezone.from_tzid(tzid, first_date=first, last_date=last))
    end = b"END:VCALENDAR\r\n"
    return [head.to_ical()[:-len(end)], events.getbuffer(), end]


def _scheduling_event(booking, *, cancel, stamp=None) -> Event:
    """`booking_event` as an invitation carries it. RFC 5546 wants an ORGANIZER: the centre, by its e-mail."""
    event = booking_event(booking, stamp=stamp)
    if cancel:
        event.status = "CANCELLED"
    centre = booking.resource.centre
    if centre.email:
        organizer = vCalAddress(f"mailto:{centre.email}")
        organizer.params["CN"] = centre.name
        event.add("ORGANIZER", organizer)
    if booking.created_by is not None and booking.created_by.email:
        attendee = vCalAddress(f"mailto:{booking.created_by.email}")
        attendee.params["CN"] = booking.created_by.get_full_name() or booking.created_by.get_username()
        event.add("ATTENDEE", attendee)
    return event


def invitation(booking, *, cancel=False) -> bytes:
    """The .ics attached to a booking e-mail: METHOD:REQUEST, or METHOD:CANCEL when it is called off."""
    return invitations([booking], cancel=cancel)


def invitations(bookings, *, cancel=False) -> bytes:
    """One .ics for several bookings of one centre (the meetings of a series): a VEVENT each, with its own UID
    and SEQUENCE, as in the feeds; METHOD:REQUEST, or METHOD:CANCEL when they are called off (RFC 6047 §4.4)."""
    bookings = list(bookings)
    stamp = timezone.now()
    return bookings_calendar(
        [_scheduling_event(booking, cancel=cancel, stamp=stamp) for booking in bookings],
        name=bookings[0].resource.centre.name, method="CANCEL" if cancel else "REQUEST",
    ).to_ical()
