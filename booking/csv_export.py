"""Bookings as CSV for reports and spreadsheets (the `export_bookings` command), and the correspondence
register (the register page's download)."""
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


LETTER_COLUMNS = ["id", "centre", "organisation", "krs", "received_at", "sender", "kind", "tracking_number", "note",
                  "status", "collected_at", "collected_by", "returned_at"]


def write_letters_csv(letters, out):
    """One row per letter; times in the centre's local time with offset. Senders and notes are typed by people:
    csvsafe keeps a spreadsheet from reading them as formulas."""
    writer = csvsafe.writer(out)
    writer.writerow(LETTER_COLUMNS)
    count = 0
    for letter in letters.select_related("centre", "organisation").iterator(chunk_size=500):
        tz = letter.centre.tz if letter.centre else None

        def local(moment, tz=tz):
            return moment.astimezone(tz).isoformat(timespec="seconds") if moment else ""

        writer.writerow([letter.pk, letter.centre.name if letter.centre else "", letter.organisation.name,
                         letter.organisation.krs, local(letter.received_at), letter.sender, letter.kind,
                         letter.tracking_number, letter.description, letter.status, local(letter.collected_at),
                         letter.collected_by_name, local(letter.returned_at)])
        count += 1
    return count
