from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"  # no models: never shown

    def ready(self):
        from booking.signals import booking_changed, booking_conflict_refused, series_changed

        from . import metrics

        booking_changed.connect(metrics.count_booking, dispatch_uid="ops.count_booking")
        series_changed.connect(metrics.count_series, dispatch_uid="ops.count_series")
        booking_conflict_refused.connect(metrics.count_conflict, dispatch_uid="ops.count_conflict")
