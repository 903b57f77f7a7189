"""An organisation's members: its coordinators (and centre staff) add people, change roles and remove them;
members may leave."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from booking.selectors import visible_organisations
from ngo.exceptions import RuleViolation
from ngo.models import Membership
from ngo.selectors import can_manage_members, members_of
from ngo.services import add_member, remove_member, require_member_manager

from ..forms import AddMemberForm, MemberRoleForm


def _organisation_of_member(request, pk):
    """An organisation the user belongs to, or any for centre staff; others get a 404."""
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
        "form": form or (AddMemberForm() if can_manage else None),
    }, status=status)


@login_required
def organisation_members(request, pk):
    """Who belongs to the organisation; its coordinators (and centre staff) add people here."""
    organisation = _organisation_of_member(request, pk)
    if request.method != "POST":
        return _render_members(request, organisation)
    require_member_manager(request.user, organisation)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        return _render_members(request, organisation, form=form, status=400)
    person, role = form.cleaned_data["person"], form.cleaned_data["role"]
    previous_role = organisation.memberships.filter(user=person).values_list("role", flat=True).first()
    try:
        add_member(organisation=organisation, actor=request.user, user=person, role=role)
    except RuleViolation as refusal:
        form.add_error("person", refusal.message)
        return _render_members(request, organisation, form=form, status=400)
    if previous_role == role:
        messages.info(request, _("%(person)s already belongs to %(organisation)s with this role. Nothing has "
                                 "changed.") % {"person": _name(person), "organisation": organisation.name})
    else:
        messages.success(request, _now_message(person, organisation, role))
    return redirect("web:organisation_members", organisation.pk)


@login_required
@require_POST
def member_set_role(request, pk, user_id):
    organisation = _organisation_of_member(request, pk)
    membership = get_object_or_404(organisation.memberships.select_related("user"), user_id=user_id)
    require_member_manager(request.user, organisation)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return _render_members(request, organisation, errors={membership.user_id: _("Choose a role.")}, status=400)
    role = form.cleaned_data["role"]
    try:
        add_member(organisation=organisation, actor=request.user, user=membership.user, role=role)
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
