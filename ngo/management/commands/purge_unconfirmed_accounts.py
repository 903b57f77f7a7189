from django.conf import settings
from django.core.management.base import BaseCommand

from ngo.gdpr import purge_unconfirmed


def _days(value):
    days = int(value)
    if days < 1:
        raise ValueError(value)
    return days


class Command(BaseCommand):
    help = (
        "Delete the accounts signed up on the site whose e-mail address is still unconfirmed --days days later "
        "(default SIGNUP_UNCONFIRMED_DAYS), with the e-mails to them. Celery beat runs it daily; this command is "
        "for a run by hand."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=_days, default=None,
                            help=f"unconfirmed for longer than this (default {settings.SIGNUP_UNCONFIRMED_DAYS})")
        parser.add_argument("--dry-run", action="store_true", help="list what would be deleted, change nothing")

    def handle(self, *args, days, dry_run, **options):
        logins = purge_unconfirmed(days=days, dry_run=dry_run)
        for login in logins:
            self.stdout.write(f"  {login}")
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(logins)} unconfirmed accounts."))
