import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from booking.accounts import create_centre_staff
from booking.selectors import find_centre

PASSWORD_VARIABLE = "CENTRE_STAFF_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a login for a centre's staff: admin access, the \"Centre staff\" group, and a place on the "
        "staff of the given centres. An existing user is added to those centres instead. The password is "
        f"asked for; with --no-input it is read from ${PASSWORD_VARIABLE}, and without that the person "
        "sets it through the password reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--centre", action="append", required=True, metavar="CENTRE",
                            help="id, short name or name of a centre; repeat for several")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--no-input", action="store_true", help="never prompt (for scripts)")
        parser.add_argument("--dry-run", action="store_true", help="check everything, then change nothing")

    def handle(self, *args, username, centre, email, first_name, last_name, no_input, dry_run, **options):
        try:
            centres = [find_centre(reference) for reference in centre]
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        password = self._password(username, no_input)
        try:
            with transaction.atomic():
                user, created = create_centre_staff(username=username, centres=centres, email=email,
                                                    first_name=first_name, last_name=last_name,
                                                    password=password)
                if dry_run:
                    transaction.set_rollback(True)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        names = ", ".join(c.name for c in centres)
        action = "Would create" if dry_run and created else "Would add" if dry_run else \
            "Created" if created else "Added"
        self.stdout.write(self.style.SUCCESS(f"{action} {username} as staff of {names}."))
        if created and not password and not dry_run:
            self.stdout.write(f"{username} has no password yet: they set one through the password reset.")

    def _password(self, username, no_input):
        from django.contrib.auth import get_user_model

        if get_user_model().objects.filter(username=username).exists():
            return None  # an existing user keeps their password
        if no_input:
            return os.environ.get(PASSWORD_VARIABLE) or None
        while True:
            password = getpass.getpass(f"Password for {username} (empty: set it later by password reset): ")
            if not password or password == getpass.getpass("Password (again): "):
                return password or None
            self.stderr.write("The passwords differ; try again.")
