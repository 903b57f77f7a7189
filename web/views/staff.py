"""Centre staff's pages: the approval queue, verification of organisations, closures and the usage report."""
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from booking.exceptions import ClosureHitsBookings, RuleViolation
from booking.lending import ending_lendings
from booking.models import Booking, BookingSeries, Closure, Resource
from booking.reports import centre_usage, default_period, usage_file_name, write_usage_csv, write_usage_xlsx
from booking.selectors import (
    add_other_bookings_that_week,
    approval_requests,
    is_centre_staff,
    requests_to_approve,
    staffed_centres,
    visible_bookings,
    visible_series,
)
from booking.series import approve_series, reject_series
from booking.services import approve_booking, create_closure, delete_closure, reject_booking
from config.replicas import replica_reads
from ngo.selectors import can_manage_organisations, hosted_organisations, organisations_to_review
from ngo.services import set_organisation_status

from ..forms import ClosureForm, OrganisationStatusForm, RejectForm, UsageReportForm
from ..templatetags.web_extras import span_label
from . import PAGE_SIZE

DOWNLOADS = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _require_centre_staff(user):
    centres = staffed_centres(user)
    if not centres.exists():
        raise PermissionDenied(_("This page is for the centre's staff."))
    return centres


def _render_queue(request, reject_errors=None, status=200):
    """The queue; `reject_errors` maps (Booking or BookingSeries, pk) to the refusal (RuleViolation) shown next to
    its reason field."""
    centres = _require_centre_staff(request.user)
    page = Paginator(approval_requests(centres), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = requests_to_approve(page.object_list)
    add_other_bookings_that_week(request.user, [item for item in page.object_list if isinstance(item, Booking)])
    reject_errors = reject_errors or {}
    for item in page.object_list:
        item.is_series = isinstance(item, BookingSeries)
        item.reject_error = reject_errors.get((type(item), item.pk), "")
    return render(request, "web/approval_queue.html", {"page": page, "ending": ending_lendings(centres)},
                  status=status)


@login_required
def approval_queue(request):
    return _render_queue(request)


def _staff_booking(request, pk):
    _require_centre_staff(request.user)
    return get_object_or_404(visible_bookings(request.user).select_related("resource__centre", "organisation"), pk=pk)


@login_required
@require_POST
def booking_approve(request, pk):
    booking = _staff_booking(request, pk)
    try:
        approve_booking(booking=booking, actor=request.user)
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, _("Approved: “%(title)s”, %(organisation)s, %(when)s.") % {
            "title": booking.title, "organisation": booking.organisation,
            "when": span_label(booking.start, booking.end, booking.resource.centre.tz)})
    return redirect("web:approval_queue")


@login_required
@require_POST
def booking_reject(request, pk):
    booking = _staff_booking(request, pk)
    try:
        reject_booking(booking=booking, actor=request.user, reason=RejectForm(request.POST).cleaned_reason())
    except RuleViolation as violation:
        if violation.field == "reason":
            return _render_queue(request, reject_errors={(Booking, booking.pk): violation}, status=400)
        messages.error(request, violation.message)
    else:
        messages.success(request, _("Rejected: “%(title)s”, %(organisation)s.") % {
            "title": booking.title, "organisation": booking.organisation})
    return redirect("web:approval_queue")


def _staff_series(request, pk):
    _require_centre_staff(request.user)
    return get_object_or_404(visible_series(request.user), pk=pk)


@login_required
@require_POST
def series_approve(request, pk):
    series = _staff_series(request, pk)
    try:
        approved = approve_series(series=series, actor=request.user)
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, ngettext(
            "Approved: “%(title)s”, %(organisation)s, %(count)d meeting.",
            "Approved: “%(title)s”, %(organisation)s, %(count)d meetings.", len(approved),
        ) % {"title": series.title, "organisation": series.organisation, "count": len(approved)})
    return redirect("web:approval_queue")


@login_required
@require_POST
def series_reject(request, pk):
    series = _staff_series(request, pk)
    try:
        rejected = reject_series(series=series, actor=request.user, reason=RejectForm(request.POST).cleaned_reason())
    except RuleViolation as violation:
        if violation.field == "reason":
            return _render_queue(request, reject_errors={(BookingSeries, series.pk): violation}, status=400)
        messages.error(request, violation.message)
    else:
        messages.success(request, ngettext(
            "Rejected: “%(title)s”, %(organisation)s, %(count)d meeting.",
            "Rejected: “%(title)s”, %(organisation)s, %(count)d meetings.", len(rejected),
        ) % {"title": series.title, "organisation": series.organisation, "count": len(rejected)})
    return redirect("web:approval_queue")


def _render_organisation_review(request, errors=None, status=200):
    if not can_manage_organisations(request.user):
        raise PermissionDenied(_("This page is for the centre's staff."))
    page = Paginator(organisations_to_review(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    errors = errors or {}
    for organisation in page.object_list:
        organisation.error = errors.get(organisation.pk, "")
    return render(request, "web/organisation_review.html", {"page": page}, status=status)


@login_required
def organisation_review(request):
    return _render_organisation_review(request)


@login_required
@require_POST
def organisation_set_status(request, pk):
    organisation = get_object_or_404(hosted_organisations(request.user), pk=pk)
    form = OrganisationStatusForm(request.POST)
    if not form.is_valid():
        return _render_organisation_review(request, {pk: _("Choose a status.")}, status=400)
    try:
        set_organisation_status(organisation=organisation, actor=request.user, status=form.cleaned_data["status"],
                                reason=form.cleaned_data["reason"])
    except RuleViolation as refusal:
        return _render_organisation_review(request, {pk: refusal.message}, status=400)
    organisation.refresh_from_db(fields=["status"])
    messages.success(request, _("%(name)s: %(status)s.") % {"name": organisation.name,
                                                            "status": organisation.get_status_display()})
    return redirect("web:organisation_review")


@login_required
def closures(request):
    centres = _require_centre_staff(request.user).order_by("name")
    resources = Resource.objects.filter(centre__in=centres).select_related("centre").order_by("centre", "name")
    form = ClosureForm(request.POST or None, centres=centres, resources=resources)
    if request.method == "POST" and form.is_valid():
        asked = form.closure_request()
        try:
            closure = create_closure(actor=request.user, **asked)
        except ClosureHitsBookings as refusal:
            form.ask_about(refusal)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            _tell_closed(request, closure, asked)
            return redirect("web:closures")
    upcoming = Closure.objects.filter(centre__in=centres, end__gt=timezone.now()).select_related(
        "centre", "resource").order_by("start")
    return render(request, "web/closures.html", {"form": form, "closures": upcoming})


def _tell_closed(request, closure, asked):
    messages.success(request, _("Closure added: %(reason)s.") % {"reason": closure.reason})
    count = len(asked["expected_bookings"] or ())
    if asked["cancel_bookings"]:
        messages.success(request, ngettext(
            "%(count)d booking is cancelled; its organisation is told by e-mail.",
            "%(count)d bookings are cancelled; their organisations are told by e-mail.", count) % {"count": count})
    elif count:
        messages.success(request, ngettext(
            "%(count)d booking is kept; the calendar shows it inside the closure.",
            "%(count)d bookings are kept; the calendar shows them inside the closure.", count) % {"count": count})


@login_required
def closure_delete(request, pk):
    """Remove a closure, after a page that asks whether to."""
    closure = get_object_or_404(Closure.objects.select_related("centre", "resource"), pk=pk)
    if request.method == "POST":
        delete_closure(actor=request.user, closure=closure)
        messages.success(request, _("Closure removed: %(reason)s.") % {"reason": closure.reason})
        return redirect("web:closures")
    if not is_centre_staff(request.user, closure.centre):
        raise PermissionDenied(_("This page is for the centre's staff."))
    return render(request, "web/closure_delete.html", {"closure": closure})


@login_required
@replica_reads
def usage_report(request):
    """The usage report of a staffed centre; `?format=xlsx` or `?format=csv` downloads its tables."""
    centres = _require_centre_staff(request.user).order_by("name")
    form = UsageReportForm(request.GET, centres=centres, default_period=default_period)
    if not form.is_valid():
        return render(request, "web/usage_report.html", {"form": form}, status=400)
    data = form.cleaned_data
    report = centre_usage(data["centre"], data["first_day"], data["last_day"])
    download = request.GET.get("format")
    if download in DOWNLOADS:
        response = HttpResponse(content_type=DOWNLOADS[download], headers={
            # RFC 6266: a name with letters beyond ASCII ("społecznej") goes as filename*=utf-8''...
            "Content-Disposition": content_disposition_header(True, usage_file_name(report, download))})
        if download == "csv":
            response.write("\ufeff")  # the byte-order mark lets spreadsheets read the Polish letters right
            write_usage_csv(report, response)
        else:
            workbook = io.BytesIO()
            write_usage_xlsx(report, workbook)
            response.write(workbook.getvalue())
        return response
    query = {"centre": data["centre"].pk, "first_day": data["first_day"], "last_day": data["last_day"]}
    return render(request, "web/usage_report.html", {
        "form": form, "report": report, "csv_query": urlencode({**query, "format": "csv"}),
        "xlsx_query": urlencode({**query, "format": "xlsx"})})
