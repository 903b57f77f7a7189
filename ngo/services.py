"""Organisations, their members and invitations (letters: `letters.py`). Callers pass who acts; permission checks
live here."""
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import RuleViolation
from .models import Invitation, Membership, Organisation, User
from .selectors import can_manage_members, can_remove_member, hosts, sole_centre
from .signals import invitation_sent, organisation_status_changed

MAX_PENDING_INVITATIONS = 50


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
    """A new organisation starts unverified, hosted by its home `centre` (which may be left out when there is only
    one), with the person who registered it as its coordinator; when that person is the centre's staff, its
    contact address is invited to coordinate it instead. A KRS number registers once (the model's `unique_krs`
    constraint, checked by full_clean)."""
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
    if hosts(actor, organisation):
        # Registered by the centre's staff, who do not join it: its contact address is invited to coordinate it.
        _invite(organisation, actor, organisation.email, Membership.Role.COORDINATOR)
    else:
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


def _invite(organisation, actor, email, role):
    """Replace any pending invitation of `email` to the organisation by a new one, and have it sent."""
    now = timezone.now()
    pending = Invitation.objects.filter(organisation=organisation).pending(now)
    pending.filter(email__iexact=email).update(revoked_at=now)
    if pending.count() >= MAX_PENDING_INVITATIONS:
        raise RuleViolation("too_many_invitations", _("The organisation has %(count)d invitations waiting for an "
                                                      "answer. Revoke some before inviting more people.")
                            % {"count": MAX_PENDING_INVITATIONS}, "email")
    raw_token = secrets.token_urlsafe(32)  # 256 random bits
    invitation = Invitation.objects.create(organisation=organisation, email=email, role=role, invited_by=actor,
                                           token_hash=Invitation.hash_token(raw_token), created_at=now,
                                           expires_at=now + Invitation.LIFETIME)
    invitation_sent.send(sender=Invitation, invitation=invitation, token=raw_token)
    return invitation


@transaction.atomic
def invite_member(*, organisation, actor, email, role=Membership.Role.MEMBER):
    """Coordinators and the staff of the hosting centres invite a person by e-mail; the person joins only by
    accepting (`accept_invitation`). Nothing here looks at accounts, so the answer is the same whether the address
    has one or not: nobody learns who exists."""
    require_member_manager(actor, organisation)
    if role not in Membership.Role.values:
        raise RuleViolation("invalid_choice", _("Unknown role."), "role")
    email = (email or "").strip()
    try:
        EmailValidator()(email)
    except ValidationError:
        raise RuleViolation("invalid", _("Enter a valid e-mail address."), "email") from None
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.removed_at:
        raise RuleViolation("organisation_removed", _("The organisation has left the centre."), "email")
    return _invite(organisation, actor, email, role)


@transaction.atomic
def revoke_invitation(*, invitation, actor):
    """Whoever may invite to the organisation may revoke its invitations that wait for an answer."""
    require_member_manager(actor, invitation.organisation)
    revoked = Invitation.objects.filter(pk=invitation.pk).pending().update(revoked_at=timezone.now())
    if not revoked:
        raise RuleViolation("invitation_not_pending", _("This invitation has already been answered, revoked or has "
                                                        "expired."))


@transaction.atomic
def accept_invitation(*, token, actor):
    """The person who got the link joins the organisation, with the invitation's role (a member invited as
    coordinator becomes one; nobody is demoted by an invitation). The link works once. Staff powers never make
    anyone a member: the person who sent an invitation cannot accept it."""
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in to accept the invitation."))
    invitation = Invitation.objects.select_for_update().filter(
        token_hash=Invitation.hash_token(token or ""), organisation__removed_at__isnull=True).pending().first()
    if invitation is None:
        raise RuleViolation("invitation_invalid", _("This invitation link is no longer valid: it has been used, "
                                                    "revoked or has expired. Ask for a new one."))
    if invitation.invited_by_id == actor.pk:
        raise RuleViolation("own_invitation", _("An invitation is accepted by the person it was sent to, not by "
                                                "whoever sent it."))
    Organisation.objects.select_for_update().get(pk=invitation.organisation_id)
    membership, created = Membership.objects.get_or_create(
        user=actor, organisation_id=invitation.organisation_id, defaults={"role": invitation.role})
    if not created and invitation.role == Membership.Role.COORDINATOR and membership.role != invitation.role:
        membership.role = invitation.role
        membership.save(update_fields=["role"])
    invitation.accepted_at, invitation.accepted_by = timezone.now(), actor
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def sign_up_by_invitation(*, token, username, email, password, first_name="", last_name="", language=""):
    """Create an account from an invitation link and accept the invitation with it, in one go: the link is what
    lets someone without an account in. Returns the membership; ValidationError for a taken login, a weak
    password and the like, RuleViolation for a link no longer valid (and then no account is made)."""
    User = get_user_model()
    user = User(username=username, email=email, first_name=first_name, last_name=last_name,
                language=language or User._meta.get_field("language").default)
    user.full_clean(exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    user.set_password(password)
    user.save()
    return accept_invitation(token=token, actor=user)


@transaction.atomic
def set_member_role(*, membership, actor, role):
    """Coordinators and the staff of the hosting centres make a member a coordinator or back; the organisation
    keeps at least one coordinator."""
    require_member_manager(actor, membership.organisation)
    if role not in Membership.Role.values:
        raise RuleViolation("invalid_choice", _("Unknown role."), "role")
    # Lock the organisation, so that two coordinators demoting each other cannot leave it with none.
    Organisation.objects.select_for_update().get(pk=membership.organisation_id)
    membership = Membership.objects.get(pk=membership.pk)
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


def set_language(*, actor, language):
    """The language of the person's e-mails (and of the pages once chosen in the header): `pl` or `en`."""
    if language not in User.Language.values:
        raise RuleViolation("invalid_language", _("Choose Polish or English."), "language")
    if actor.language != language:
        actor.language = language
        actor.save(update_fields=["language"])
    return actor
