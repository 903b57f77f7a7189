import sys

from django.core.management.base import BaseCommand, CommandError

from booking.csv_import import RESOURCE_COLUMNS, ImportRejected, import_resources


class Command(BaseCommand):
    help = (
        "Create or update resources from a CSV file (UTF-8, comma or semicolon separated, first line naming "
        "the columns). A resource is matched by centre and name. The whole file is checked first: if any "
        "row is wrong, every wrong row is reported with its line number and nothing is imported. Columns: "
        + "; ".join(f"{column} ({expected})" for column, (_f, _p, expected) in RESOURCE_COLUMNS.items())
        + ". Required: centre, kind, name."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file, or - for standard input")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, import nothing")

    def handle(self, *args, file, dry_run, **options):
        try:
            data = sys.stdin.buffer.read() if file == "-" else open(file, "rb").read()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CommandError(f"{file} is not UTF-8 text (save the spreadsheet as “CSV UTF-8”).") from error
        try:
            report = import_resources(text, dry_run=dry_run)
        except ImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(rejected.errors)} error(s) in {file}; nothing was imported.") from rejected
        if dry_run:
            summary = f"Dry run, nothing saved: would create {len(report.created)} and update {len(report.updated)}"
        else:
            summary = f"Created {len(report.created)} and updated {len(report.updated)}"
        self.stdout.write(self.style.SUCCESS(f"{summary} resources."))
        for resource in report.created:
            self.stdout.write(f"  + {resource.centre.name}: {resource.name}")
        for resource in report.updated:
            self.stdout.write(f"  ~ {resource.centre.name}: {resource.name}")
