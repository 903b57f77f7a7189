from django.core.management.base import BaseCommand

from ngo.gdpr import purge_personal_data


def _positive(value):
    years = int(value)
    if years < 1:
        raise ValueError(value)
    return years


class Command(BaseCommand):
    help = (
        "Purge the personal data of organisations removed from the centre more than --years years ago "
        "(GDPR storage limitation): their name and contacts are anonymised, members' links and letters "
        "deleted, accounts of people in no other organisation anonymised and deactivated (their sessions, API "
        "tokens, calendar feeds and failed logins deleted), the e-mails about them deleted, the admin's log of "
        "them stripped of names, and their bookings kept for statistics without titles, purposes, reasons or "
        "who booked. Every model holding personal data is listed in ngo.gdpr.PERSONAL_DATA. Meant to run "
        "regularly (e.g. monthly from cron); already purged organisations are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=_positive, required=True,
                            help="purge organisations whose removal date is older than this many years")
        parser.add_argument("--dry-run", action="store_true", help="report what would be purged, change nothing")

    def handle(self, *args, years, dry_run, **options):
        report = purge_personal_data(years=years, dry_run=dry_run)
        verb = "Would purge" if dry_run else "Purged"
        self.stdout.write(f"Organisations removed before {report.cutoff:%Y-%m-%d}:")
        for pk, name, removed_at in report.organisations:
            self.stdout.write(f"  #{pk} {name} (removed {removed_at:%Y-%m-%d})")
        self.stdout.write(self.style.SUCCESS(
            f"{verb} {len(report.organisations)} organisations: {report.memberships} memberships and "
            f"{report.letters} letters deleted, {report.people} people's accounts anonymised."
            + (" Nothing was changed (dry run)." if dry_run else "")
        ))
