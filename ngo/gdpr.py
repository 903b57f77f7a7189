"""Purging personal data (GDPR storage limitation) of organisations that left the centre years ago.

An organisation's row stays, so that statistics (kind, bookings per resource and year) still add up; what
names or reaches people goes: its name and contacts, its members' links, its invitations (e-mail addresses),
its letters, and the accounts
of people who belonged to no other organisation. Other apps scrub their own data in receivers of
`ngo.signals.organisations_purged` (bookings keep their times and numbers, lose titles and reasons).
"""
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Invitation, Letter, Membership, Organisation
from .signals import organisations_purged


@dataclass
class PurgeReport:
    cutoff: object
    organisations: list = field(default_factory=list)
    memberships: int = 0
    letters: int = 0
    people: int = 0


def organisations_due_for_purge(*, years, now=None):
    """Organisations removed more than `years` years ago whose data has not been purged yet."""
    if years < 1:
        raise ValueError("years must be at least 1")
    cutoff = (now or timezone.now()) - relativedelta(years=years)
    due = Organisation.objects.filter(removed_at__lt=cutoff).exclude(contact_person="", email="", phone="")
    return due, cutoff


def _anonymise_people(user_ids):
    """Accounts of people left without any organisation; centre staff and admins are kept as they are."""
    User = get_user_model()
    people = User.objects.filter(pk__in=user_ids, memberships__isnull=True, is_staff=False, is_superuser=False,
                                 staffed_centres__isnull=True).distinct()
    anonymised = []
    for user in people:
        user.username = f"removed-{user.pk}"
        user.first_name = user.last_name = user.email = user.phone = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        anonymised.append(user.pk)
    return anonymised


def purge_personal_data(*, years, dry_run=False, now=None):
    """Purge every organisation due (see `organisations_due_for_purge`) in one transaction, rolled back
    again on `dry_run` so that the report tells exactly what a real run would do."""
    due, cutoff = organisations_due_for_purge(years=years, now=now)
    report = PurgeReport(cutoff=cutoff)
    with transaction.atomic():
        organisations = list(due.select_for_update().order_by("removed_at", "pk"))
        report.organisations = [(o.pk, o.name, o.removed_at) for o in organisations]
        ids = [o.pk for o in organisations]
        memberships = Membership.objects.filter(organisation_id__in=ids)
        member_ids = set(memberships.values_list("user_id", flat=True))
        report.memberships, _details = memberships.delete()
        report.letters, _details = Letter.objects.filter(organisation_id__in=ids).delete()
        Invitation.objects.filter(organisation_id__in=ids).delete()
        for organisation in organisations:
            organisation.name = _("Removed organisation %(number)d") % {"number": organisation.pk}
            organisation.krs = organisation.contact_person = organisation.email = organisation.phone = ""
            organisation.description = organisation.status_reason = ""
            organisation.status_changed_by = None
            organisation.save()
        user_ids = _anonymise_people(member_ids)
        report.people = len(user_ids)
        organisations_purged.send(sender=Organisation, organisation_ids=ids, user_ids=user_ids)
        if dry_run:
            transaction.set_rollback(True)
    return report
