"""Long-term lending: members renew a locker or desk from "our bookings"."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from booking.exceptions import BookingConflict, RuleViolation
from booking.lending import renew_booking
from booking.models import BookingStatus
from booking.selectors import organisation_bookings

from ..forms import RenewForm


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
