"""Bookings as CSV for reports and spreadsheets (the `export_bookings` command)."""
from . import csvsafe
from .models import Booking, BookingStatus

EXPORT_COLUMNS = ["id", "centre", "resource", "kind", "organisation", "start", "end", "hours", "status", "title",
                  "attendees", "quantity", "created_at"]


def bookings_for_export(*, centre=None, start=None, end=None, statuses=()):
    """Bookings overlapping [start, end) (either may be None), oldest first, with what the CSV needs."""
    bookings = (Booking.objects.exclude(status=BookingStatus.OFFERED)  # held for the waitlist, not booked yet
                .select_related("resource__centre", "organisation").order_by("start", "pk"))
    if centre is not None:
        bookings = bookings.filter(resource__centre=centre)
    if start is not None:
        bookings = bookings.filter(end__gt=start)
    if end is not None:
        bookings = bookings.filter(start__lt=end)
    if statuses:
        bookings = bookings.filter(status__in=statuses)
    return bookings


def write_bookings_csv(bookings, out):
    """Write one row per booking to the text stream `out`; times in the centre's local time with offset."""
    writer = csvsafe.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for booking in bookings.iterator(chunk_size=500):
        tz = booking.resource.centre.tz
        writer.writerow([
            booking.pk, booking.resource.centre.name, booking.resource.name, booking.resource.kind,
            booking.organisation.name, booking.start.astimezone(tz).isoformat(),
            booking.end.astimezone(tz).isoformat(), round((booking.end - booking.start).total_seconds() / 3600, 2),
            booking.status, booking.title, booking.attendees, booking.quantity,
            booking.created_at.astimezone(tz).isoformat(timespec="seconds"),
        ])
        count += 1
    return count
