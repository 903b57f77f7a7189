"""Consultation pages: the services, their free appointment times, booking one, our appointments, and the
consultant's day (today and this week, with the "done / did not come" mark)."""
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from booking.consultations import book_appointment, can_mark, cancel_appointment, mark_appointment
from booking.duty import free_days, free_times, serving_consultants
from booking.exceptions import BookingConflict, RuleViolation
from booking.localtime import local_day, local_midnight, monday_of
from booking.models import ACTIVE_STATUSES
from booking.rules import CancellationCheck
from booking.selectors import (
    bookable_organisations,
    member_organisation_ids,
    offered_consultations,
    own_consultant_roles,
    staffed_centres,
    topic_visibility,
    visible_appointments,
)

from ..forms import AppointmentCancelForm, AppointmentForm, FreeTimesFilter, OutcomeForm


def _with_topics(user, appointments):
    """Set `topic_visible` on each appointment, as `selectors.topic_visibility` decides for `user`."""
    visible = topic_visibility(user)
    for appointment in appointments:
        appointment.topic_visible = visible(appointment)
    return appointments


def consultations(request):
    """The services offered, by centre; for a member, their organisations' coming appointments."""
    services = list(offered_consultations())
    ours = []
    if request.user.is_authenticated:
        check = CancellationCheck(request.user)
        ours = _with_topics(request.user, list(visible_appointments(request.user).filter(
            booking__organisation_id__in=member_organisation_ids(request.user), booking__status__in=ACTIVE_STATUSES,
            booking__end__gt=timezone.now()).order_by("booking__start", "pk")))
        for appointment in ours:
            appointment.can_cancel = check.allows(appointment.booking)
    return render(request, "web/consultations.html", {"services": services, "appointments": ours})


def consultation_times(request, pk):
    """The service's free appointment times, soonest first, filtered by day and consultant."""
    service = get_object_or_404(offered_consultations(), pk=pk)
    now = timezone.now()
    every = free_times(service, now=now)
    form = FreeTimesFilter(request.GET or None, days=free_days(every), consultants=serving_consultants(service))
    times = every
    if form.is_bound and form.is_valid():
        day, consultant = form.cleaned_data["day"], form.cleaned_data["consultant"]
        times = [time for time in every
                 if (day is None or local_day(time.start, service.centre.tz) == day)
                 and (consultant is None or any(person.pk == consultant for person in time.consultants))]
    tz = service.centre.tz
    days = {}
    for time in times:
        days.setdefault(local_day(time.start, tz), []).append(time)
    return render(request, "web/consultation_times.html", {
        "service": service, "form": form, "days": days.items(), "tz": tz,
        "consultant": form.cleaned_data.get("consultant") if form.is_bound and form.is_valid() else None,
    })


def _requested_start(value, tz):
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    if not 1970 <= moment.year <= 2999:
        return None
    return moment


@login_required
def consultation_book(request, pk):
    """Book one free time: the organisation, the topic (and the device, for IT help)."""
    service = get_object_or_404(offered_consultations(), pk=pk)
    tz = service.centre.tz
    start = _requested_start(request.GET.get("start"), tz)
    if start is None:
        messages.error(request, _("Choose one of the free times."))
        return redirect("web:consultation_times", pk=service.pk)
    consultant = None
    if request.GET.get("consultant", "").isdigit():
        consultant = serving_consultants(service).filter(pk=int(request.GET["consultant"])).first()
    organisations = bookable_organisations(request.user, service.centre).order_by("name")
    form = AppointmentForm(request.POST or None, organisations=organisations, service=service)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            book_appointment(actor=request.user, service=service, organisation=data["organisation"], start=start,
                             topic=data["topic"], device=data.get("device", ""), consultant=consultant)
        except RuleViolation as violation:
            form.add_violation(violation)
        except BookingConflict:
            form.add_error(None, _("Someone has just booked this time. Choose another one."))
        else:
            messages.success(request, _("The appointment is booked. We have sent you a confirmation e-mail."))
            return redirect("web:consultations")
    end = start + service.appointment_length
    return render(request, "web/consultation_book.html", {
        "service": service, "form": form, "start": start.astimezone(tz), "end": end.astimezone(tz),
        "consultant": consultant, "has_organisations": organisations.exists()})


def _agenda(user):
    """The appointments `user` looks after: their own as a consultant, and those at the centres they staff."""
    return visible_appointments(user).filter(
        Q(consultant__user=user) | Q(service__centre__in=staffed_centres(user)))


@login_required
def consultant_day(request):
    """Today's and this week's appointments of the consultant (for staff: of their centres' consultants)."""
    roles = list(own_consultant_roles(request.user))
    centres = list(staffed_centres(request.user))
    if not roles and not centres:
        raise Http404
    tz = (roles[0].centre if roles else centres[0]).tz
    now = timezone.now()
    today = local_day(now, tz)
    week_end = local_midnight(monday_of(today) + timedelta(days=7), tz)
    appointments = _with_topics(request.user, list(_agenda(request.user).filter(
        booking__start__gte=local_midnight(today, tz), booking__start__lt=max(
            week_end, local_midnight(today + timedelta(days=1), tz))).order_by("booking__start", "pk")))
    check = CancellationCheck(request.user, now=now)
    for appointment in appointments:
        appointment.markable = (not appointment.outcome and appointment.booking.status == "confirmed"
                                and appointment.booking.start <= now
                                and can_mark(request.user, appointment))
        appointment.can_cancel = check.allows(appointment.booking)
    tomorrow = local_midnight(today + timedelta(days=1), tz)
    return render(request, "web/consultant_day.html", {
        "today": today, "tz": tz, "outcome_form": OutcomeForm(),
        "today_appointments": [a for a in appointments if a.booking.start < tomorrow],
        "week_appointments": [a for a in appointments if a.booking.start >= tomorrow],
    })


@login_required
@require_POST
def appointment_mark(request, pk):
    appointment = get_object_or_404(_agenda(request.user), pk=pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose done or did not come."))
        return redirect("web:consultant_day")
    try:
        mark_appointment(actor=request.user, appointment=appointment, outcome=form.cleaned_data["outcome"])
    except PermissionDenied:
        raise Http404 from None
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, _("Marked: %(outcome)s.") % {"outcome": _("Done") if form.cleaned_data[
            "outcome"] == "done" else _("Did not come")})
    return redirect("web:consultant_day")


@login_required
def appointment_cancel(request, pk):
    """Either side cancels an appointment: the organisation's members, the consultant, the centre's staff."""
    appointment = get_object_or_404(visible_appointments(request.user), pk=pk)
    _with_topics(request.user, [appointment])
    check = CancellationCheck(request.user)
    form = AppointmentCancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_appointment(actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"])
        except PermissionDenied:
            raise Http404 from None
        except RuleViolation as violation:
            form.add_error("reason" if violation.field == "reason" else None, violation.message)
        else:
            messages.success(request, _("The appointment is cancelled. Both sides get an e-mail."))
            mine = appointment.consultant.user_id == request.user.pk
            return redirect("web:consultant_day" if mine else "web:consultations")
    return render(request, "web/appointment_cancel.html", {
        "appointment": appointment, "form": form, "can_cancel": check.allows(appointment.booking)})
