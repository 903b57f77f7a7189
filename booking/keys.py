"""Keys and deposits: staff record who took a resource's key or card (and any deposit), and when it came back.

A key counts as not returned once its booking has ended (or was called off) without a return recorded: such
handovers make the staff's "keys not returned" list, and the organisation gets one reminder per booking
(notifications.tasks.remind_keys).
"""
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ngo.exceptions import NotPermitted

from .localtime import local_day
from .models import ACTIVE_STATUSES, Booking, KeyHandover
from .rules import check_key_handover, check_key_return
from .selectors import is_centre_staff


def _require_staff(actor, booking):
    if not is_centre_staff(actor, booking.resource.centre):
        raise NotPermitted("not_centre_staff", _("Only the centre's staff record keys."))


def hand_over_key(*, actor, booking, key, taken_by, deposit=None, on=None, now=None) -> KeyHandover:
    now = now or timezone.now()
    _require_staff(actor, booking)
    key, taken_by = (key or "").strip(), (taken_by or "").strip()
    check_key_handover(booking, key, taken_by, deposit, now)
    with transaction.atomic():
        return KeyHandover.objects.create(
            booking=booking, key=key, taken_by=taken_by, deposit=deposit,
            handed_over_on=on or local_day(now, booking.resource.centre.tz), handed_over_by=actor)


def return_key(*, actor, handover, deposit_refunded=True, on=None, now=None) -> KeyHandover:
    now = now or timezone.now()
    _require_staff(actor, handover.booking)
    check_key_return(handover)
    handover.returned_on = on or local_day(now, handover.booking.resource.centre.tz)
    handover.returned_to = actor
    handover.deposit_refunded = bool(deposit_refunded and handover.deposit)
    handover.save(update_fields=["returned_on", "returned_to", "deposit_refunded"])
    return handover


def bookings_for_keys(centres, now=None):
    """Bookings staff may hand a key over for: those standing, not ended, of resources with keys, at `centres`."""
    now = now or timezone.now()
    return (Booking.objects.filter(resource__centre__in=centres, resource__needs_key=True,
                                   status__in=ACTIVE_STATUSES, end__gt=now)
            .select_related("resource__centre", "organisation").order_by("start", "pk"))


def keys_out(centres):
    """Every key at `centres` not returned yet."""
    return (KeyHandover.objects.filter(booking__resource__centre__in=centres, returned_on__isnull=True)
            .select_related("booking__resource__centre", "booking__organisation").order_by("handed_over_on", "pk"))


def keys_not_returned(centres, now=None):
    """The keys still out although their booking has ended or was called off."""
    now = now or timezone.now()
    return keys_out(centres).filter(Q(booking__end__lte=now) | ~Q(booking__status__in=ACTIVE_STATUSES))
