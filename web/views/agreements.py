"""Address agreements: staff sign, approve or refuse, extend and end them; an organisation's coordinators ask for
one. Members see their organisations' agreements on "Our organisations"."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from booking.exceptions import RuleViolation
from booking.selectors import staffed_centres
from ngo.agreements import (
    approve_agreement,
    centre_agreements,
    change_end,
    create_agreement,
    refuse_agreement,
    request_agreement,
)
from ngo.models import AddressAgreement, Membership
from ngo.selectors import hosted_organisations

from ..forms import AddressAgreementEndForm, AddressAgreementForm, RejectForm
from . import PAGE_SIZE


def _require_centre_staff(user):
    centres = staffed_centres(user).order_by("name")
    if not centres.exists():
        raise PermissionDenied(_("This page is for the centre's staff."))
    return centres


def _render(request, centres, form, errors=None, status=200):
    agreements = centre_agreements(request.user).select_related("organisation", "centre", "signed_by")
    requests = agreements.filter(status=AddressAgreement.Status.REQUESTED).order_by("created_at", "pk")
    page = Paginator(agreements.filter(status=AddressAgreement.Status.APPROVED).order_by("-starts_on", "-pk"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    errors = errors or {}
    for agreement in [*requests, *page.object_list]:
        agreement.error = errors.get(agreement.pk, "")
        agreement.in_force = agreement.in_force_on(today)
        agreement.ended = agreement.ends_on is not None and agreement.ends_on < today
    return render(request, "web/agreements.html", {"form": form, "requests": requests, "page": page,
                                                   "several_centres": centres.count() > 1}, status=status)


@login_required
def agreements(request):
    """The centre's agreements, the requests to decide, and a new agreement signed by staff."""
    centres = _require_centre_staff(request.user)
    form = AddressAgreementForm(request.POST or None, centres=centres, today=timezone.localdate(),
                         organisations=hosted_organisations(request.user).filter(removed_at__isnull=True)
                         .order_by("name"))
    if request.method == "POST" and form.is_valid():
        try:
            agreement = create_agreement(actor=request.user, **form.cleaned_data)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            messages.success(request, _("Agreement %(number)s signed with %(organisation)s.")
                             % {"number": agreement.number, "organisation": agreement.organisation.name})
            return redirect("web:agreements")
    return _render(request, centres, form, status=400 if request.method == "POST" else 200)


def _staff_agreement(request, pk):
    centres = _require_centre_staff(request.user)
    agreement = get_object_or_404(centre_agreements(request.user).select_related("organisation", "centre"), pk=pk)
    return centres, agreement


def _refused(request, centres, agreement, violation):
    form = AddressAgreementForm(centres=centres, today=timezone.localdate(),
                         organisations=hosted_organisations(request.user).order_by("name"))
    return _render(request, centres, form, errors={agreement.pk: violation.message}, status=400)


@login_required
@require_POST
def agreement_approve(request, pk):
    centres, agreement = _staff_agreement(request, pk)
    try:
        agreement = approve_agreement(actor=request.user, agreement=agreement)
    except RuleViolation as violation:
        return _refused(request, centres, agreement, violation)
    messages.success(request, _("Agreement %(number)s signed with %(organisation)s.")
                     % {"number": agreement.number, "organisation": agreement.organisation.name})
    return redirect("web:agreements")


@login_required
@require_POST
def agreement_refuse(request, pk):
    centres, agreement = _staff_agreement(request, pk)
    try:
        refuse_agreement(actor=request.user, agreement=agreement, reason=RejectForm(request.POST).cleaned_reason())
    except RuleViolation as violation:
        return _refused(request, centres, agreement, violation)
    messages.success(request, _("The request of %(organisation)s is refused.")
                     % {"organisation": agreement.organisation.name})
    return redirect("web:agreements")


@login_required
@require_POST
def agreement_end(request, pk):
    """A new last day: later extends, earlier ends; empty means no end."""
    centres, agreement = _staff_agreement(request, pk)
    form = AddressAgreementEndForm(request.POST)
    if not form.is_valid():
        return _refused(request, centres, agreement, RuleViolation("invalid_date", _("Enter a valid date.")))
    try:
        agreement = change_end(actor=request.user, agreement=agreement, ends_on=form.cleaned_data["ends_on"])
    except RuleViolation as violation:
        return _refused(request, centres, agreement, violation)
    messages.success(request, _("Agreement %(number)s: the last day is saved.") % {"number": agreement.number})
    return redirect("web:agreements")


@login_required
def organisation_address(request, pk):
    """A coordinator asks a hosting centre for its address."""
    membership = get_object_or_404(Membership.objects.select_related("organisation"), user=request.user,
                                   organisation_id=pk)
    organisation = membership.organisation
    if membership.role != Membership.Role.COORDINATOR:
        raise PermissionDenied(_("Only the organisation's coordinators ask for an address agreement."))
    centres = organisation.centres.order_by("name")
    form = AddressAgreementForm(request.POST or None, centres=centres, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            request_agreement(actor=request.user, organisation=organisation, **form.cleaned_data)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            messages.success(request, _("Your request is sent. The centre's staff will answer by e-mail."))
            return redirect("web:organisations")
    return render(request, "web/organisation_address.html", {"form": form, "organisation": organisation},
                  status=400 if request.method == "POST" else 200)
