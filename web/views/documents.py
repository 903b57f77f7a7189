"""Documents: staff issue in-kind certificates and lending agreements; members of the organisation and the centre's
staff download them."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from booking.agreements import issue_agreement
from booking.certificates import issue_certificate, reissue_certificate
from booking.documents import agreement_file_name, agreement_pdf, certificate_file_name, certificate_pdf
from booking.exceptions import RuleViolation
from booking.selectors import (
    certificate_organisations,
    organisation_agreements,
    organisation_certificates,
    visible_certificates,
    visible_lending_agreements,
)

from ..forms import AgreementForm, CertificateForm
from . import PAGE_SIZE
from .staff import _require_centre_staff

LANGUAGES = {"pl", "en"}


@login_required
def certificates(request):
    """The documents of the member's organisations: certificates (in Polish or English) and lending agreements."""
    page = Paginator(organisation_certificates(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    agreements = Paginator(organisation_agreements(request.user), PAGE_SIZE).get_page(request.GET.get("agreements"))
    return render(request, "web/certificates.html", {"page": page, "agreements": agreements})


@login_required
def certificate_download(request, pk):
    """The PDF, for the organisation's members and the centre's staff (404 for anyone else); `?lang=en`."""
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    language = request.GET.get("lang")
    language = language if language in LANGUAGES else certificate.language
    return HttpResponse(certificate_pdf(certificate, language), content_type="application/pdf", headers={
        "Content-Disposition": content_disposition_header(True, certificate_file_name(certificate, language))})


@login_required
def staff_certificates(request):
    """Issue a certificate; the certificates issued at the staff's centres."""
    centres = _require_centre_staff(request.user).order_by("name")
    form = CertificateForm(request.POST or None, centres=centres,
                           organisations=certificate_organisations(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                certificate = issue_certificate(actor=request.user, **form.cleaned_data)
            except RuleViolation as violation:
                form.add_violation(violation)
            else:
                messages.success(request, _("Certificate %(number)s issued for %(organisation)s: %(total)s PLN.") % {
                    "number": certificate.reference, "organisation": certificate.organisation.name,
                    "total": number_format(certificate.total, 2, force_grouping=True)})
                return redirect("web:staff_certificates")
        status = 400
    issued = visible_certificates(request.user).filter(centre__in=centres).select_related("replaces__centre")
    page = Paginator(issued, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/staff_certificates.html", {"form": form, "page": page}, status=status)


@login_required
@require_POST
def certificate_reissue(request, pk):
    centres = _require_centre_staff(request.user)
    certificate = get_object_or_404(visible_certificates(request.user).filter(centre__in=centres), pk=pk)
    try:
        again = reissue_certificate(actor=request.user, certificate=certificate)
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, _("Certificate %(old)s issued again as %(new)s; %(old)s stays on record.") % {
            "old": certificate.reference, "new": again.reference})
    return redirect("web:staff_certificates")


@login_required
def agreement_download(request, pk):
    """The agreement's PDF, for the organisation's members and the centre's staff (404 for anyone else)."""
    agreement = get_object_or_404(visible_lending_agreements(request.user), pk=pk)
    return HttpResponse(agreement_pdf(agreement), content_type="application/pdf", headers={
        "Content-Disposition": content_disposition_header(True, agreement_file_name(agreement))})


@login_required
def staff_agreements(request):
    """Issue a lending agreement from the centre's text (admin: "Lending agreement templates"); those issued."""
    centres = _require_centre_staff(request.user).order_by("name")
    form = AgreementForm(request.POST or None, centres=centres, organisations=certificate_organisations(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                agreement = issue_agreement(actor=request.user, **form.cleaned_data)
            except RuleViolation as violation:
                form.add_violation(violation)
            else:
                messages.success(request, _("Agreement %(number)s issued for %(organisation)s.") % {
                    "number": agreement.reference, "organisation": agreement.organisation.name})
                return redirect("web:staff_agreements")
        status = 400
    page = Paginator(visible_lending_agreements(request.user).filter(centre__in=centres), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "web/staff_agreements.html", {"form": form, "page": page}, status=status)
