"""The waitlist's pages: joining it from a taken time on the booking form, an entry and its offer (the e-mail's
link), accepting the offer and leaving the waitlist."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from booking.exceptions import BookingConflict, RuleViolation
from booking.selectors import visible_conflicts, visible_waitlist_entries
from booking.waitlist import accept_offer, join_waitlist, leave_waitlist


def join_from_form(request, resource, form):
    """"Join the waitlist" on the booking form's conflict: the form's request, exactly. Returns the redirect to our
    bookings, or None with the refusal on the form."""
    data = form.booking_request()
    data.pop("recurrence", None)
    try:
        join_waitlist(actor=request.user, resource=resource, **data)
    except RuleViolation as violation:
        form.add_violation(violation)
        return None
    messages.success(request, _("You are on the waitlist for “%(title)s”. When the time frees, we will offer it to "
                                "you by e-mail.") % {"title": data["title"]})
    return redirect("web:my_bookings")


def _entry(request, pk):
    return get_object_or_404(visible_waitlist_entries(request.user).select_related(
        "resource__centre", "organisation", "offer"), pk=pk)


@login_required
def waitlist_entry(request, pk):
    """An entry and its offer, if there is one; accepting it books the time (POST)."""
    entry = _entry(request, pk)
    error = conflicts = None
    if request.method == "POST":
        try:
            accept_offer(actor=request.user, entry=entry)
        except RuleViolation as violation:
            error = violation.message
        except BookingConflict as conflict:  # only if a rule of the database itself refused it
            error, conflicts = conflict.message, visible_conflicts(request.user, conflict.conflicts)
        except PermissionDenied as denied:
            error = str(denied)
        else:
            messages.success(request, _("The offer is accepted: “%(title)s” is booked.") % {"title": entry.title})
            return redirect("web:my_bookings")
        entry = _entry(request, pk)
    offered = entry.offer_held()
    return render(request, "web/waitlist_entry.html", {"entry": entry, "offered": offered, "error": error,
                                                       "conflicts": conflicts, "centre": entry.resource.centre})


@login_required
@require_POST
def waitlist_leave(request, pk):
    entry = _entry(request, pk)
    leave_waitlist(actor=request.user, entry=entry)
    messages.success(request, _("“%(title)s” is off the waitlist.") % {"title": entry.title})
    return redirect("web:my_bookings")
