"""An organisation's members: its coordinators (and the staff of its hosting centres) invite people by e-mail,
change roles and remove members; members may leave; an invited person accepts on the invitation's page."""
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from booking.selectors import visible_organisations
from ngo.exceptions import RuleViolation
from ngo.models import Membership
from ngo.selectors import can_manage_members, invitation_for, members_of, pending_invitations
from ngo.services import (
    accept_invitation,
    invite_member,
    remove_member,
    require_member_manager,
    revoke_invitation,
    set_member_role,
    sign_up_by_invitation,
)

from ..forms import InviteForm, MemberRoleForm, SignUpForm


def _organisation_of_member(request, pk):
    """An organisation the user belongs to, or one their centres host for staff; others get a 404."""
    return get_object_or_404(visible_organisations(request.user), pk=pk)


def _name(person):
    return person.get_full_name() or person.username


def _now_message(person, organisation, role):
    if role == Membership.Role.COORDINATOR:
        text = _("%(person)s is now a coordinator of %(organisation)s.")
    else:
        text = _("%(person)s is now a member of %(organisation)s.")
    return text % {"person": _name(person), "organisation": organisation.name}


def _render_members(request, organisation, form=None, errors=None, status=200):
    """The members page; `errors` holds a refusal to show on a member's card, by user id."""
    can_manage = can_manage_members(request.user, organisation)
    memberships = list(members_of(organisation))
    errors = errors or {}
    for membership in memberships:
        membership.error = errors.get(membership.user_id, "")
    own = next((m for m in memberships if m.user_id == request.user.pk), None)
    return render(request, "web/organisation_members.html", {
        "organisation": organisation, "memberships": memberships, "own": own, "can_manage": can_manage,
        "form": form or (InviteForm() if can_manage else None),
        "invitations": list(pending_invitations(organisation)) if can_manage else [],
    }, status=status)


@login_required
def organisation_members(request, pk):
    """Who belongs to the organisation; its coordinators (and hosting staff) invite people here by e-mail. The
    answer is the same whatever the address: whether it has an account is nobody's business here."""
    organisation = _organisation_of_member(request, pk)
    if request.method != "POST":
        return _render_members(request, organisation)
    require_member_manager(request.user, organisation)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _render_members(request, organisation, form=form, status=400)
    try:
        invitation = invite_member(organisation=organisation, actor=request.user, **form.cleaned_data)
    except RuleViolation as refusal:
        form.add_violation(refusal)
        return _render_members(request, organisation, form=form, status=400)
    messages.success(request, _("An invitation to %(organisation)s has been sent to %(email)s. The person joins "
                                "when they accept it.") % {"organisation": organisation.name,
                                                           "email": invitation.email})
    return redirect("web:organisation_members", organisation.pk)


@login_required
@require_POST
def invitation_revoke(request, pk, invitation_id):
    organisation = _organisation_of_member(request, pk)
    require_member_manager(request.user, organisation)
    invitation = get_object_or_404(organisation.invitations, pk=invitation_id)
    try:
        revoke_invitation(invitation=invitation, actor=request.user)
    except RuleViolation as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The invitation to %(email)s is revoked; its link no longer works.")
                         % {"email": invitation.email})
    return redirect("web:organisation_members", organisation.pk)


@login_required
@require_POST
def member_set_role(request, pk, user_id):
    organisation = _organisation_of_member(request, pk)
    membership = get_object_or_404(organisation.memberships.select_related("user", "organisation"), user_id=user_id)
    require_member_manager(request.user, organisation)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return _render_members(request, organisation, errors={membership.user_id: _("Choose a role.")}, status=400)
    role = form.cleaned_data["role"]
    try:
        set_member_role(membership=membership, actor=request.user, role=role)
    except RuleViolation as refusal:
        return _render_members(request, organisation, errors={membership.user_id: refusal.message}, status=400)
    messages.success(request, _now_message(membership.user, organisation, role))
    return redirect("web:organisation_members", organisation.pk)


@login_required
def member_remove(request, pk, user_id):
    """Remove a member, or leave the organisation, after a confirmation page."""
    organisation = _organisation_of_member(request, pk)
    membership = get_object_or_404(organisation.memberships.select_related("user", "organisation"), user_id=user_id)
    require_member_manager(request.user, organisation, membership)
    leaving = membership.user_id == request.user.pk
    error = ""
    if request.method == "POST":
        try:
            remove_member(membership=membership, actor=request.user)
        except RuleViolation as refusal:
            error = refusal.message
        else:
            if leaving:
                messages.success(request, _("You have left %(organisation)s.") % {"organisation": organisation.name})
                return redirect("web:organisations")
            messages.success(request, _("%(person)s no longer belongs to %(organisation)s.") % {
                "person": _name(membership.user), "organisation": organisation.name})
            return redirect("web:organisation_members", organisation.pk)
    return render(request, "web/member_remove.html", {
        "organisation": organisation, "membership": membership, "leaving": leaving, "error": error,
    }, status=400 if error else 200)


def _joined(request, membership):
    messages.success(request, _("Welcome to %(organisation)s. You are now its %(role)s.") % {
        "organisation": membership.organisation.name, "role": membership.get_role_display().lower()})
    return redirect("web:organisations")


def invitation(request, token):
    """An invitation's page. A person logged in accepts it with a button; anyone else logs in first (the login
    comes back here) or creates an account here, which accepts it. A link used, revoked or expired says so."""
    invitation = invitation_for(token)
    if invitation is None:
        return render(request, "web/invitation.html", {"invalid": True}, status=404)
    form = None
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                return _joined(request, accept_invitation(token=token, actor=request.user))
            form = SignUpForm(request.POST, initial={"email": invitation.email})
            if form.is_valid():
                data = form.cleaned_data
                try:
                    membership = sign_up_by_invitation(
                        token=token, username=data["username"], email=invitation.email,
                        password=data["password1"], first_name=data["first_name"], last_name=data["last_name"],
                        language=request.LANGUAGE_CODE)
                except ValidationError as error:
                    form.add_account_errors(error)
                else:
                    login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
                    return _joined(request, membership)
        except RuleViolation as refusal:
            return render(request, "web/invitation.html", {"invitation": invitation, "refusal": refusal.message},
                          status=400)
    if not request.user.is_authenticated and form is None:
        form = SignUpForm(initial={"email": invitation.email})
    return render(request, "web/invitation.html", {"invitation": invitation, "form": form},
                  status=400 if form is not None and form.is_bound else 200)
