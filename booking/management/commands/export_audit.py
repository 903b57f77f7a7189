from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from booking.audit import COLUMNS, WRITERS, events_between
from booking.localtime import local_midnight


class Command(BaseCommand):
    help = ("Export the audit trail (every state change of every booking) of a period as CSV or JSON, for an "
            "inspection; days in the site's time zone. Fields: " + ", ".join(COLUMNS) + ". Changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="from_date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                            help="changes from the start of this day (default: the first)")
        parser.add_argument("--to", dest="to_date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                            help="changes up to the end of this day, inclusive (default: now)")
        parser.add_argument("--format", choices=sorted(WRITERS), default="csv")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, from_date, to_date, format, output, **options):
        if from_date and to_date and to_date < from_date:
            raise CommandError("--to is before --from.")
        tz = timezone.get_default_timezone()
        events = events_between(local_midnight(from_date, tz) if from_date else None,
                                local_midnight(to_date + timedelta(days=1), tz) if to_date else None)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = WRITERS[format](events, out)
            self.stderr.write(f"Exported {count} audit events to {output}.")
        else:
            WRITERS[format](events, self.stdout)
