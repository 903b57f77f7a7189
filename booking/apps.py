from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Bookings")

    def ready(self):
        from ngo.signals import organisations_purged

        from . import gdpr

        organisations_purged.connect(gdpr.scrub_purged_bookings, dispatch_uid="booking.scrub_purged_bookings")
