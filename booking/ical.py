"""Bookings as iCalendar (RFC 5545), built with the `icalendar` library.

Pure functions: they take bookings (with resource, centre and organisation loaded) and return calendars.
Used by the calendar feeds and by the e-mail invitations (METHOD:REQUEST / METHOD:CANCEL).
"""
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import BookingStatus

PRODID = "-//Centre booking//centre-booking//PL"
ICAL_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.REJECTED: "CANCELLED",
}


def booking_uid(booking) -> str:
    """Stable for the booking's whole life, so calendars update the event instead of adding another."""
    return f"booking-{booking.pk}@{settings.SITE_URL.split('://')[-1].split('/')[0].split(':')[0]}"


def booking_event(booking, *, title=None, stamp=None) -> Event:
    """One VEVENT for `booking`, in its centre's time zone. `title` overrides the summary (public feeds)."""
    resource = booking.resource
    centre = resource.centre
    tz = centre.tz
    return Event.new(
        uid=booking_uid(booking),
        sequence=booking.sequence,
        stamp=stamp or timezone.now(),
        last_modified=booking.updated_at,
        start=booking.start.astimezone(tz),
        end=booking.end.astimezone(tz),
        summary=title if title is not None else booking.title,
        location=f"{resource.name}, {centre.name}, {centre.address}",
        status=ICAL_STATUS[booking.status],
    )


def bookings_calendar(events, *, name, method="PUBLISH", window=None) -> Calendar:
    """A VCALENDAR holding `events`, with a VTIMEZONE for every zone they use.

    `window` (first, last date) bounds the time-zone transitions written; by default one year around now.
    """
    calendar = Calendar.new(prodid=PRODID, name=name, method=method, calscale="GREGORIAN",
                            subcomponents=list(events))
    today = timezone.now().date()
    first, last = window or (today - timedelta(days=366), today + timedelta(days=3 * 366))
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar


def invitation(booking, *, cancel=False) -> bytes:
    """The .ics attached to a booking e-mail: METHOD:REQUEST, or METHOD:CANCEL when it is called off."""
    event = booking_event(booking)
    start: datetime = booking.start
    return bookings_calendar(
        [event], name=booking.resource.centre.name, method="CANCEL" if cancel else "REQUEST",
        window=(start.date() - timedelta(days=1), booking.end.date() + timedelta(days=366)),
    ).to_ical()
