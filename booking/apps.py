from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Bookings")

    def ready(self):
        from django.db.backends.signals import connection_created

        from ngo.signals import organisations_purged

        from . import feeds, gdpr, waitlist
        from .signals import booking_changed, series_changed

        organisations_purged.connect(gdpr.scrub_purged_bookings, dispatch_uid="booking.scrub_purged_bookings")
        booking_changed.connect(waitlist.on_booking_changed, dispatch_uid="booking.waitlist.booking_changed")
        series_changed.connect(waitlist.on_series_changed, dispatch_uid="booking.waitlist.series_changed")
        connection_created.connect(feeds.watch_connection, dispatch_uid="booking.feeds.watch_connection")
