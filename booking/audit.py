"""The audit trail for an inspection: every state change of a booking in a period, as CSV or JSON.

One row per BookingEvent: when (UTC, ISO 8601), which booking (id, centre, resource, organisation, title, its
start and end), who (username; empty for the system), from which status to which, and why. Superusers only:
the management command `export_audit` and the admin's "Audit trail" page (filter by date, select all, export).
"""
import json

from .csvsafe import writer
from .models import BookingEvent

COLUMNS = ["event_id", "at", "booking_id", "centre", "resource", "organisation", "title", "booking_start",
           "booking_end", "actor", "from_status", "to_status", "reason"]


def events_between(start=None, end=None):
    """The audit events at or after `start` and before `end` (aware datetimes, either may be None), oldest first."""
    events = BookingEvent.objects.select_related("booking__resource__centre", "booking__organisation", "actor")
    if start is not None:
        events = events.filter(at__gte=start)
    if end is not None:
        events = events.filter(at__lt=end)
    return events.order_by("at", "id")


def as_row(event):
    booking = event.booking
    return {
        "event_id": event.pk, "at": event.at.isoformat(), "booking_id": booking.pk,
        "centre": booking.resource.centre.short_name or booking.resource.centre.name,
        "resource": booking.resource.name, "organisation": booking.organisation.name, "title": booking.title,
        "booking_start": booking.start.isoformat(), "booking_end": booking.end.isoformat(),
        "actor": event.actor.get_username() if event.actor else "", "from_status": event.from_status,
        "to_status": event.to_status, "reason": event.reason,
    }


def write_csv(events, out):
    """Write `events` as CSV (header first, cells safe for spreadsheets); returns how many."""
    csv_writer = writer(out)
    csv_writer.writerow(COLUMNS)
    count = 0
    for event in events.iterator(chunk_size=2000):
        row = as_row(event)
        csv_writer.writerow([row[column] for column in COLUMNS])
        count += 1
    return count


def write_json(events, out):
    """Write `events` as one JSON array of objects; returns how many."""
    rows = [as_row(event) for event in events.iterator(chunk_size=2000)]
    json.dump(rows, out, ensure_ascii=False, indent=1)
    out.write("\n")
    return len(rows)


WRITERS = {"csv": write_csv, "json": write_json}
