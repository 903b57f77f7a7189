"""The booking side of the personal-data purge (ngo.gdpr purges organisations and people, then sends
`organisations_purged`); connected in BookingConfig.ready()."""
from django.db.models import Q
from django.utils.translation import gettext as _

from .models import Booking, BookingEvent, BookingSeries, FeedToken


def scrub_purged_bookings(sender, organisation_ids, user_ids, **kwargs):
    """Keep the purged organisations' bookings for the statistics (resource, times, status, numbers) but
    drop what may name people: titles, purposes, reasons, who booked; and revoke their calendar feeds."""
    FeedToken.objects.filter(Q(organisation_id__in=organisation_ids) | Q(owner_id__in=user_ids)).delete()
    bookings = Booking.objects.filter(organisation_id__in=organisation_ids)
    bookings.update(title=_("(removed)"), purpose="", public=False, created_by=None, override_reason="",
                    decision_reason="", cancellation_reason="")
    BookingSeries.objects.filter(organisation_id__in=organisation_ids).update(
        title=_("(removed)"), purpose="", created_by=None)
    BookingEvent.objects.filter(booking__organisation_id__in=organisation_ids).update(reason="")
