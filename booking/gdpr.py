"""The booking side of the personal-data purge (ngo.gdpr purges organisations and people, deletes their feeds,
then sends `organisations_purged`); connected in BookingConfig.ready()."""
from django.utils.translation import gettext as _

from .models import Appointment, Booking, BookingEvent, BookingSeries, Resource


def scrub_purged_bookings(sender, organisation_ids, user_ids, **kwargs):
    """Keep the purged organisations' bookings for the statistics (resource, times, status, numbers) but
    drop what may name people: titles, purposes, reasons, who booked, the messages of the dates a series
    skipped (their dates and codes stay), consultation topics and devices, and the name on the agenda of a purged
    person who gave consultations (their dates off go with them: ngo.gdpr)."""
    bookings = Booking.objects.filter(organisation_id__in=organisation_ids)
    bookings.update(title=_("(removed)"), purpose="", public=False, created_by=None, override_reason="",
                    decision_reason="", cancellation_reason="")
    series = BookingSeries.objects.filter(organisation_id__in=organisation_ids)
    for one in series.only("pk", "skipped"):
        if one.skipped:
            one.skipped = [{**occurrence, "detail": ""} for occurrence in one.skipped]
            one.save(update_fields=["skipped"])
    series.update(title=_("(removed)"), purpose="", created_by=None)
    BookingEvent.objects.filter(booking__organisation_id__in=organisation_ids).update(reason="")
    Appointment.objects.filter(booking__organisation_id__in=organisation_ids).update(topic="", device="")
    # A purged person who gave consultations: their agenda (a Resource) bears their name.
    Resource.objects.filter(consultant__user_id__in=user_ids).update(name=_("(removed)"))
