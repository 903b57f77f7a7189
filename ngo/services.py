"""Organisations, their members and their letters. Callers pass who acts; permission checks live here."""
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import RuleViolation
from .models import Letter, Membership, Organisation
from .selectors import can_manage_members, can_remove_member, hosts, is_member, sole_centre
from .signals import letter_received, organisation_status_changed


def _clean_krs(kind, krs):
    krs = (krs or "").strip()
    if kind == Organisation.Kind.REGISTERED_NGO and not krs:
        raise RuleViolation("krs_required", _("A registered NGO gives its KRS number."), "krs")
    if kind == Organisation.Kind.INFORMAL_GROUP and krs:
        raise RuleViolation("krs_not_allowed", _("An informal group has no KRS number."), "krs")
    return krs


@transaction.atomic
def register_organisation(*, actor, name, kind, contact_person, email, centre=None, krs="", phone="",
                          description=""):
    """A new organisation starts unverified, with the person who registered it as its coordinator, hosted by its
    home `centre` (which may be left out when there is only one). A KRS number registers once (the model's
    `unique_krs` constraint, checked by full_clean)."""
    organisation = Organisation(name=name, kind=kind, krs=_clean_krs(kind, krs), contact_person=contact_person,
                                email=email, phone=phone, description=description)
    organisation.full_clean()
    centre = centre or sole_centre()
    if centre is None:
        raise RuleViolation("centre_required", _("Choose the centre where the organisation registers."), "centre")
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError:
        organisation.validate_constraints()  # registered meanwhile by someone else: say so, as full_clean would
        raise
    organisation.centres.add(centre, through_defaults={"home": True})
    Membership.objects.create(user=actor, organisation=organisation, role=Membership.Role.COORDINATOR)
    return organisation


@transaction.atomic
def set_organisation_status(*, organisation, actor, status, reason=""):
    """The staff of a centre hosting the organisation verify or suspend it (or send it back to unverified)."""
    if not hosts(actor, organisation):
        raise PermissionDenied(_("Only the staff of a centre hosting the organisation verify it."))
    if status not in Organisation.Status.values:
        raise RuleViolation("invalid_choice", _("Unknown status."), "status")
    if status == Organisation.Status.SUSPENDED and not reason.strip():
        raise RuleViolation("reason_required", _("Say why the organisation is suspended."), "reason")
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    organisation.status = status
    organisation.status_reason = reason
    organisation.status_changed_at = timezone.now()
    organisation.status_changed_by = actor
    organisation.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by"])
    organisation_status_changed.send(sender=Organisation, organisation=organisation, actor=actor)
    return organisation


def require_member_manager(actor, organisation, membership=None):
    """Only the organisation's coordinators and the staff of its hosting centres manage its members; a member may
    remove themselves (`membership`, leaving)."""
    allowed = can_remove_member(actor, membership) if membership else can_manage_members(actor, organisation)
    if not allowed:
        raise PermissionDenied(_("Only the organisation's coordinators manage its members."))


def _keep_a_coordinator(membership):
    """Refuse to remove or demote the organisation's last coordinator."""
    others = Membership.objects.filter(organisation_id=membership.organisation_id, role=Membership.Role.COORDINATOR) \
        .exclude(pk=membership.pk)
    if membership.role == Membership.Role.COORDINATOR and not others.exists():
        raise RuleViolation("last_coordinator", _("An organisation keeps at least one coordinator."), "user")


@transaction.atomic
def add_member(*, organisation, actor, user, role=Membership.Role.MEMBER):
    """Add a person to the organisation, or change their role."""
    require_member_manager(actor, organisation)
    if user.pk == actor.pk and not is_member(actor, organisation):
        raise PermissionDenied(_("Staff look after an organisation without joining it."))
    if role not in Membership.Role.values:
        raise RuleViolation("invalid_choice", _("Unknown role."), "role")
    # Lock the organisation, so that two coordinators demoting each other cannot leave it with none.
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    membership = Membership.objects.filter(user=user, organisation=organisation).first()
    if membership is None:
        return Membership.objects.create(user=user, organisation=organisation, role=role)
    if membership.role != role:
        if role == Membership.Role.MEMBER:
            _keep_a_coordinator(membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(*, membership, actor):
    """Coordinators and staff remove members, and a member may leave. Removing a member also ends what their
    membership gave them: bookings stay, feeds stop showing them."""
    require_member_manager(actor, membership.organisation, membership)
    Organisation.objects.select_for_update().get(pk=membership.organisation_id)
    membership = Membership.objects.get(pk=membership.pk)
    _keep_a_coordinator(membership)
    membership.delete()


@transaction.atomic
def log_letter(*, organisation, actor, sender, description="", received_at=None):
    if not hosts(actor, organisation):
        raise PermissionDenied(_("Only the staff of a centre hosting the organisation log its correspondence."))
    letter = Letter.objects.create(organisation=organisation, logged_by=actor, sender=sender,
                                   description=description, received_at=received_at or timezone.now())
    letter_received.send(sender=Letter, letter=letter)
    return letter
