"""Address agreements: an organisation uses a centre's address as its registered seat and/or for correspondence.

Staff of the centre create an agreement (approved at once), or approve or refuse an organisation's request; an
approved agreement is numbered by the centre's pattern (`CAS/ADR/2026/014`: the year it starts, the next number
of that centre in that year). Staff extend it (a later end, or none) or end it (an earlier end). Who sees which
agreement is one question (`visible_agreements`), asked by the pages and the API alike.

`ngo` does not import `booking`: the centre is reached through `AddressAgreement.centre` and
`user.staffed_centres`.
"""
import string
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import NotPermitted, RuleViolation
from .models import AddressAgreement, Membership, Organisation
from .signals import address_agreement_changed

Status = AddressAgreement.Status
PLACEHOLDERS = {"centre", "year", "seq"}
REMINDER_DAYS = (30, 7)


def format_number(pattern, *, centre, year, seq):
    """The number `pattern` gives; ValueError names what is wrong with a pattern."""
    try:
        fields = [name for _text, name, _spec, _conv in string.Formatter().parse(pattern) if name is not None]
    except ValueError as error:
        raise ValueError(_("The pattern has an unmatched brace.")) from error
    unknown = [name for name in fields if name not in PLACEHOLDERS]
    if unknown:
        raise ValueError(_("Unknown field in the pattern: %(fields)s. Use {centre}, {year} and {seq}.")
                         % {"fields": ", ".join(unknown)})
    if "seq" not in fields:
        raise ValueError(_("The pattern needs {seq}, the agreement's number in the year."))
    try:
        return pattern.format(centre=centre, year=year, seq=seq)
    except (ValueError, TypeError) as error:
        raise ValueError(_("The pattern cannot be filled in: %(error)s") % {"error": error}) from error


# --- Selectors ---------------------------------------------------------------------------------------

def visible_agreements(user):
    """Agreements of `user`'s centres (staff) and of their organisations (members); all for a superuser."""
    if not user.is_authenticated:
        return AddressAgreement.objects.none()
    if user.is_superuser:
        return AddressAgreement.objects.all()
    return AddressAgreement.objects.filter(
        Q(centre__in=user.staffed_centres.values("pk"))
        | Q(organisation__in=Membership.objects.filter(user=user).values("organisation")))


def members_agreements(user):
    """The agreements and requests of the organisations `user` belongs to."""
    if not user.is_authenticated:
        return AddressAgreement.objects.none()
    return AddressAgreement.objects.filter(
        organisation__in=Membership.objects.filter(user=user).values("organisation"))


def centre_agreements(user):
    """The agreements of the centres `user` is staff of (every one for a superuser)."""
    if not user.is_authenticated:
        return AddressAgreement.objects.none()
    if user.is_superuser:
        return AddressAgreement.objects.all()
    return AddressAgreement.objects.filter(centre__staff=user)


def in_force(agreements, day):
    return agreements.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), status=Status.APPROVED,
                             starts_on__lte=day)


def ended_agreements(centre, organisations, day=None):
    """Of `organisations`, those that had an approved agreement at `centre` and have none in force on `day`
    (today): {organisation id: the last day of the latest one}. Staff are warned when their letters come."""
    day = day or timezone.localdate()
    agreements = AddressAgreement.objects.filter(centre=centre, organisation__in=organisations,
                                                 status=Status.APPROVED)
    covered = set(in_force(agreements, day).values_list("organisation_id", flat=True))
    ended = {}
    for organisation_id, ends_on in agreements.filter(ends_on__lt=day).values_list("organisation_id", "ends_on"):
        if organisation_id not in covered and (organisation_id not in ended or ends_on > ended[organisation_id]):
            ended[organisation_id] = ends_on
    return ended


def ending_on(day):
    """Approved agreements whose last day is `day`."""
    return AddressAgreement.objects.filter(status=Status.APPROVED, ends_on=day)


# --- Rules -------------------------------------------------------------------------------------------

def require_centre_staff(user, centre):
    if not (user.is_authenticated and (user.is_superuser or user.staffed_centres.filter(pk=centre.pk).exists())):
        raise NotPermitted("not_centre_staff", _("Only the centre's staff manage its address agreements."))


def require_hosted(centre, organisation):
    if organisation.removed_at is not None or not organisation.centres.filter(pk=centre.pk).exists():
        raise RuleViolation("not_hosted", _("This centre does not host %(organisation)s.")
                            % {"organisation": organisation.name}, "organisation")


def require_coordinator(user, organisation):
    if not Membership.objects.filter(user=user, organisation=organisation,
                                     role=Membership.Role.COORDINATOR).exists():
        raise NotPermitted("not_coordinator", _("Only the organisation's coordinators ask for an address agreement."))


def require_uses(registered_seat, correspondence):
    if not (registered_seat or correspondence):
        raise RuleViolation("no_use", _("Choose the registered seat, correspondence, or both."), "registered_seat")


def require_period(starts_on, ends_on):
    if ends_on is not None and ends_on < starts_on:
        raise RuleViolation("ends_before_start", _("The agreement ends before it starts."), "ends_on")


def require_status(agreement, status, message):
    if agreement.status != status:
        raise RuleViolation("wrong_status", message, "status")


# --- Services ----------------------------------------------------------------------------------------

def _number(agreement):
    """Give an approved agreement the next number of its centre in the year it starts. The centre's row is locked
    while counting (PostgreSQL), and the unique constraint catches what a lock cannot (SQLite has none)."""
    centre = type(agreement.centre).objects.select_for_update().get(pk=agreement.centre_id)
    year = agreement.starts_on.year
    taken = AddressAgreement.objects.filter(centre=centre, starts_on__year=year).exclude(number="").count()
    for seq in range(taken + 1, taken + 50):
        agreement.number = format_number(centre.agreement_number_pattern, centre=centre.short_name or centre.pk,
                                         year=year, seq=seq)
        try:
            with transaction.atomic():
                agreement.save()
        except IntegrityError:
            continue
        return agreement
    raise RuleViolation("no_number", _("No free agreement number: check the centre's pattern."))


@transaction.atomic
def create_agreement(*, actor, centre, organisation, starts_on, ends_on=None, registered_seat=True,
                     correspondence=True, note=""):
    """Staff sign an agreement with an organisation their centre hosts: it is approved and numbered at once."""
    require_centre_staff(actor, centre)
    require_hosted(centre, organisation)
    require_uses(registered_seat, correspondence)
    require_period(starts_on, ends_on)
    agreement = AddressAgreement(centre=centre, organisation=organisation, starts_on=starts_on, ends_on=ends_on,
                                 registered_seat=registered_seat, correspondence=correspondence, note=note.strip(),
                                 status=Status.APPROVED, signed_by=actor, decided_at=timezone.now())
    _number(agreement)
    address_agreement_changed.send(sender=AddressAgreement, agreement=agreement, event="approved", actor=actor)
    return agreement


@transaction.atomic
def request_agreement(*, actor, organisation, centre=None, starts_on=None, ends_on=None, registered_seat=True,
                      correspondence=True, note=""):
    """A coordinator asks a centre hosting the organisation (its home centre by default) for its address."""
    require_coordinator(actor, organisation)
    if centre is None:
        hostings = Organisation.centres.through.objects.filter(organisation=organisation).order_by("-home", "pk")
        hosting = hostings.select_related("centre").first()
        if hosting is None:
            raise RuleViolation("not_hosted", _("No centre hosts the organisation."), "centre")
        centre = hosting.centre
    require_hosted(centre, organisation)
    require_uses(registered_seat, correspondence)
    starts_on = starts_on or timezone.localdate()
    if starts_on < timezone.localdate():
        raise RuleViolation("starts_in_past", _("An agreement cannot start in the past."), "starts_on")
    require_period(starts_on, ends_on)
    if AddressAgreement.objects.filter(organisation=organisation, centre=centre, status=Status.REQUESTED).exists():
        raise RuleViolation("already_requested", _("The organisation's request is waiting for the centre's "
                                                   "answer."), "centre")
    agreement = AddressAgreement.objects.create(
        centre=centre, organisation=organisation, starts_on=starts_on, ends_on=ends_on,
        registered_seat=registered_seat, correspondence=correspondence, note=note.strip(), requested_by=actor)
    address_agreement_changed.send(sender=AddressAgreement, agreement=agreement, event="requested", actor=actor)
    return agreement


@transaction.atomic
def approve_agreement(*, actor, agreement, starts_on=None, ends_on=None):
    """Staff approve a request (the days as asked unless given): it is numbered, and the coordinators told."""
    agreement = (AddressAgreement.objects.select_for_update(of=("self",)).select_related("centre")
                 .get(pk=agreement.pk))
    require_centre_staff(actor, agreement.centre)
    require_status(agreement, Status.REQUESTED, _("Only a request waiting for an answer can be approved."))
    agreement.starts_on = starts_on or agreement.starts_on
    agreement.ends_on = ends_on if ends_on is not None else agreement.ends_on
    require_period(agreement.starts_on, agreement.ends_on)
    agreement.status, agreement.signed_by, agreement.decided_at = Status.APPROVED, actor, timezone.now()
    _number(agreement)
    address_agreement_changed.send(sender=AddressAgreement, agreement=agreement, event="approved", actor=actor)
    return agreement


@transaction.atomic
def refuse_agreement(*, actor, agreement, reason):
    agreement = (AddressAgreement.objects.select_for_update(of=("self",)).select_related("centre")
                 .get(pk=agreement.pk))
    require_centre_staff(actor, agreement.centre)
    require_status(agreement, Status.REQUESTED, _("Only a request waiting for an answer can be refused."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise RuleViolation("reason_required", _("Give the reason for the refusal."), "reason")
    agreement.status, agreement.refusal_reason = Status.REFUSED, reason[:500]
    agreement.signed_by, agreement.decided_at = actor, timezone.now()
    agreement.save(update_fields=["status", "refusal_reason", "signed_by", "decided_at"])
    address_agreement_changed.send(sender=AddressAgreement, agreement=agreement, event="refused", actor=actor)
    return agreement


@transaction.atomic
def change_end(*, actor, agreement, ends_on):
    """Extend an approved agreement (a later last day, or None: no end) or end it (an earlier last day; today
    ends it today). The reminders before the end are sent again for a new end."""
    agreement = (AddressAgreement.objects.select_for_update(of=("self",)).select_related("centre")
                 .get(pk=agreement.pk))
    require_centre_staff(actor, agreement.centre)
    require_status(agreement, Status.APPROVED, _("Only an approved agreement can be extended or ended."))
    require_period(agreement.starts_on, ends_on)
    today = timezone.localdate()
    if ends_on is not None and ends_on < today and (agreement.ends_on is None or ends_on < agreement.ends_on):
        raise RuleViolation("ends_in_past", _("An agreement can end today at the earliest."), "ends_on")
    extended = ends_on is None or (agreement.ends_on is not None and ends_on > agreement.ends_on)
    agreement.ends_on = ends_on
    agreement.reminded_30_at = agreement.reminded_7_at = None
    agreement.save(update_fields=["ends_on", "reminded_30_at", "reminded_7_at"])
    address_agreement_changed.send(sender=AddressAgreement, agreement=agreement,
                                   event="extended" if extended else "ended", actor=actor)
    return agreement


def due_reminders(today):
    """The (agreement, days before its end) whose reminder is due today and not yet sent: the end is 30 or 7
    days away or fewer (a run missed on the day is made up), newest markers first."""
    due = []
    for days in REMINDER_DAYS:
        marker = f"reminded_{days}_at"
        agreements = AddressAgreement.objects.filter(
            status=Status.APPROVED, ends_on__gte=today, ends_on__lte=today + timedelta(days=days),
            **{f"{marker}__isnull": True})
        if days == 30:  # within a week of the end only the 7-day reminder goes
            agreements = agreements.filter(ends_on__gt=today + timedelta(days=7))
        due.extend((pk, days) for pk in agreements.values_list("pk", flat=True))
    return due


def mark_reminded(pk, days, now):
    """Set the reminder's marker under a row lock; False when another run set it first."""
    marker = f"reminded_{days}_at"
    return bool(AddressAgreement.objects.filter(pk=pk, **{f"{marker}__isnull": True}).update(**{marker: now}))

