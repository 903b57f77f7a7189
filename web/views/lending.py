"""Long-term lending: members renew a locker or desk from "our bookings"; staff record keys handed over and back."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from booking.exceptions import BookingConflict, RuleViolation
from booking.keys import bookings_for_keys, hand_over_key, keys_not_returned, keys_out, return_key
from booking.lending import renew_booking
from booking.models import BookingStatus
from booking.selectors import organisation_bookings

from ..forms import KeyHandoverForm, RenewForm
from .staff import _require_centre_staff


@login_required
def booking_renew(request, pk):
    """Renew one of our lendings: a new booking from its end, checked and approved like any other."""
    booking = get_object_or_404(organisation_bookings(request.user).select_related("resource__centre", "organisation"),
                                pk=pk)
    form = RenewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = renew_booking(actor=request.user, booking=booking, last_day=form.cleaned_data["last_day"])
            except (RuleViolation, BookingConflict) as refusal:
                form.add_violation(refusal) if isinstance(refusal, RuleViolation) else form.add_error(
                    "last_day", refusal.message)
            else:
                renewal = result.booking
                messages.success(request, _("Renewal requested: the centre's staff will confirm it.")
                                 if renewal.status == BookingStatus.PENDING else _("Renewed."))
                return redirect("web:my_bookings")
        status = 400
    return render(request, "web/booking_renew.html", {"booking": booking, "form": form,
                                                      "centre": booking.resource.centre}, status=status)


@login_required
def keys(request):
    """Record a key handed over; the keys out, those whose booking is over first."""
    centres = _require_centre_staff(request.user)
    form = KeyHandoverForm(request.POST or None, bookings=bookings_for_keys(centres))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                handover = hand_over_key(actor=request.user, booking=data["booking"], key=data["key"],
                                         taken_by=data["taken_by"], deposit=data["deposit"])
            except RuleViolation as violation:
                form.add_violation(violation)
            else:
                messages.success(request, _("Key %(key)s handed over to %(person)s.") % {
                    "key": handover.key, "person": handover.taken_by})
                return redirect("web:keys")
        status = 400
    overdue = list(keys_not_returned(centres))
    out = [handover for handover in keys_out(centres) if handover not in overdue]
    return render(request, "web/keys.html", {"form": form, "overdue": overdue, "out": out}, status=status)


@login_required
@require_POST
def key_return(request, pk):
    centres = _require_centre_staff(request.user)
    handover = get_object_or_404(keys_out(centres), pk=pk)
    return_key(actor=request.user, handover=handover, deposit_refunded=True)
    messages.success(request, _("Key %(key)s returned.") % {"key": handover.key})
    return redirect("web:keys")
