from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from booking.csv_export import EXPORT_COLUMNS, bookings_for_export, write_bookings_csv
from booking.localtime import local_midnight
from booking.models import BookingStatus
from booking.selectors import find_centre


class Command(BaseCommand):
    help = (
        "Export bookings to CSV (UTF-8, one row per booking, times in the centre's local time with offset), "
        "for reports and spreadsheets. Columns: " + ", ".join(EXPORT_COLUMNS) + ". Changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--centre", help="id, short name or name of a centre (default: all centres)")
        parser.add_argument("--from", dest="from_date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                            help="bookings that end after the start of this day")
        parser.add_argument("--to", dest="to_date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                            help="bookings that start before the end of this day (inclusive)")
        parser.add_argument("--status", action="append", choices=BookingStatus.values,
                            help="only this status; repeat for several (default: all)")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, centre, from_date, to_date, status, output, **options):
        try:
            centre = find_centre(centre) if centre else None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if from_date and to_date and to_date < from_date:
            raise CommandError("--to is before --from.")
        tz = centre.tz if centre else timezone.get_default_timezone()
        bookings = bookings_for_export(
            centre=centre,
            start=local_midnight(from_date, tz) if from_date else None,
            end=local_midnight(to_date + timedelta(days=1), tz) if to_date else None,
            statuses=status or (),
        )
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = write_bookings_csv(bookings, out)
            self.stderr.write(f"Exported {count} bookings to {output}.")
        else:
            write_bookings_csv(bookings, self.stdout)
