"""The correspondence register: staff log a stack of letters, list and export the register, hand letters over and
send them back. Members see their organisations' letters on "Our organisations"."""
import io
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from booking.csv_export import write_letters_csv
from booking.exceptions import RuleViolation
from booking.selectors import staffed_centres
from ngo.agreements import ended_agreements
from ngo.letters import (
    collect_letters,
    collector_suggestions,
    filter_register,
    find_collector,
    find_organisation,
    letters_to_return,
    log_letter,
    loggable_organisations,
    organisation_label,
    organisations_with_letters,
    register_letters,
    return_letter,
)
from ngo.models import Letter

from ..forms import CollectForm, LetterFilterForm, LetterFormSet, LetterStackForm
from . import PAGE_SIZE


def _require_centre_staff(user):
    centres = staffed_centres(user).order_by("name")
    if not centres.exists():
        raise PermissionDenied(_("This page is for the centre's staff."))
    return centres


@login_required
def letter_log(request):
    """One screen for a stack of letters: the day and centre once, then a row per letter; empty rows are skipped
    and nothing is logged until every row is right."""
    centres = _require_centre_staff(request.user)
    today = timezone.localdate()
    stack = LetterStackForm(request.POST or None, centres=centres, today=today)
    rows = LetterFormSet(request.POST or None, prefix="letter")
    if request.method == "POST" and stack.is_valid() and rows.is_valid():
        logged = _log_stack(request, stack.cleaned_data, rows)
        if logged:
            messages.success(request, ngettext("%(count)d letter logged: %(list)s.",
                                               "%(count)d letters logged: %(list)s.", len(logged))
                             % {"count": len(logged), "list": "; ".join(
                                 f"{letter.organisation.name} ({letter.sender})" for letter in logged)})
            _warn_of_ended_agreements(request, stack.cleaned_data["centre"], logged)
            return redirect("web:letter_log")
    centre = stack.fields["centre"].queryset.filter(pk=stack["centre"].value()).first() or centres.first()
    organisations = list(loggable_organisations(centre)) if centre else []
    return render(request, "web/letter_log.html", {
        "stack": stack, "rows": rows, "organisations": [organisation_label(org) for org in organisations],
        "centre": centre}, status=400 if request.method == "POST" else 200)


def _warn_of_ended_agreements(request, centre, logged):
    """Staff see which of the organisations no longer have an agreement to use the centre's address."""
    organisations = {letter.organisation_id: letter.organisation for letter in logged}
    for organisation_id, ended_on in sorted(ended_agreements(centre, organisations).items()):
        messages.warning(request, _("The address agreement of %(organisation)s ended on %(date)s: the centre no "
                                    "longer takes its letters.")
                         % {"organisation": organisations[organisation_id].name,
                            "date": date_format(ended_on, "j E Y")})


def _log_stack(request, shared, rows):
    """Log every filled row, or none: a row's refusal goes next to its fields and the stack is rolled back."""
    filled = [row for row in rows if row.has_changed()]
    if not filled:
        rows.non_form_errors().append(_("Fill in at least one letter."))
        return []
    centre, logged = shared["centre"], []
    for row in filled:
        organisation = find_organisation(centre, row.cleaned_data["organisation"])
        if organisation is None:
            row.add_error("organisation", _("No organisation hosted by this centre has this name or KRS number. "
                                            "Choose one of the suggestions."))
        row.organisation = organisation
    if any(row.errors for row in filled):
        return []
    try:
        with transaction.atomic():
            for row in filled:
                data = row.cleaned_data
                try:
                    logged.append(log_letter(actor=request.user, centre=centre, organisation=row.organisation,
                                             sender=data["sender"], kind=data["kind"],
                                             tracking_number=data["tracking_number"],
                                             description=data["description"], received_on=shared["received_on"]))
                except RuleViolation as violation:
                    row.add_violation(violation)
            if any(row.errors for row in filled):
                raise _StackRefused
    except _StackRefused:
        return []
    return logged


class _StackRefused(Exception):
    """A row was refused: roll the whole stack back."""


def _register(request, centres):
    form = LetterFilterForm(request.GET, centres=centres, organisations=organisations_with_letters(request.user))
    letters = register_letters(request.user)
    if form.is_valid():
        data = form.cleaned_data
        letters = filter_register(letters, centre=data.get("centre"), organisation=data["organisation"],
                                  status=data["status"], received_from=data["received_from"],
                                  received_until=data["received_until"])
    return form, letters


@login_required
def letter_register(request):
    """The register with its filters; `?format=csv` downloads the filtered letters."""
    centres = _require_centre_staff(request.user)
    form, letters = _register(request, centres)
    if not form.is_valid():
        return render(request, "web/letter_register.html", {"form": form}, status=400)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": content_disposition_header(True, f"letters-{timezone.localdate()}.csv")})
        out = io.StringIO()
        write_letters_csv(letters, out)
        response.write("\ufeff" + out.getvalue())  # the byte-order mark lets spreadsheets read Polish letters
        return response
    return _render_register(request, form, letters)


def _render_register(request, form, letters, collect=None, status=200):
    page = Paginator(letters.select_related("organisation", "centre"), PAGE_SIZE).get_page(request.GET.get("page"))
    waiting = [letter for letter in page.object_list if letter.status == Letter.Status.WAITING]
    now = timezone.localtime()
    collect = collect or CollectForm(letters=register_letters(request.user), now=now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/letter_register.html", {
        "form": form, "page": page, "waiting": waiting, "collect": collect, "query": query.urlencode(),
        "collectors": collector_suggestions(Letter.objects.filter(pk__in=[letter.pk for letter in waiting])),
        "to_return": letters_to_return(request.user).count(),
        "chosen": {str(pk) for pk in (collect["letters"].value() or [])}}, status=status)


@login_required
@require_POST
def letter_collect(request):
    """Mark the chosen letters collected by a member (named as the suggestions name them) or by a typed name."""
    centres = _require_centre_staff(request.user)
    now = timezone.localtime()
    collect = CollectForm(request.POST, letters=register_letters(request.user), now=now)
    if collect.is_valid():
        data = collect.cleaned_data
        letters = list(data["letters"])
        member = find_collector(letters, data["collected_by"])
        when = timezone.make_aware(datetime.combine(data["collected_on"], data["collected_time"]))
        try:
            collect_letters(actor=request.user, letters=letters, member=member, name=data["collected_by"],
                            when=when)
        except RuleViolation as violation:
            collect.add_violation(violation)
        else:
            messages.success(request, ngettext("%(count)d letter collected by %(name)s.",
                                               "%(count)d letters collected by %(name)s.", len(letters))
                             % {"count": len(letters), "name": data["collected_by"]})
            return redirect(_back(request))
    form, letters = _register(request, centres)
    return _render_register(request, form, letters, collect=collect, status=400)


@login_required
@require_POST
def letter_return(request, pk):
    _require_centre_staff(request.user)
    letter = get_object_or_404(register_letters(request.user).select_related("organisation"), pk=pk)
    try:
        return_letter(actor=request.user, letter=letter)
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, _("The letter from %(sender)s for %(organisation)s is returned to its sender.")
                         % {"sender": letter.sender, "organisation": letter.organisation.name})
    return redirect(_back(request))


def _back(request):
    """The register as it was filtered (its query travels in the form), re-encoded so that it stays a query."""
    query = QueryDict(request.POST.get("query", "")).urlencode()
    return reverse("web:letter_register") + (f"?{query}" if query else "")
