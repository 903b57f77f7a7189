from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("Operations")

    def ready(self):
        from booking.signals import booking_changed, booking_conflict_refused, series_changed

        from . import metrics

        booking_changed.connect(metrics.count_booking, dispatch_uid="ops.count_booking")
        series_changed.connect(metrics.count_series, dispatch_uid="ops.count_series")
        booking_conflict_refused.connect(metrics.count_conflict, dispatch_uid="ops.count_conflict")
