from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from booking.signals import booking_changed, series_changed, waitlist_offered
        from ngo.signals import (
            address_agreement_changed,
            confirmation_requested,
            invitation_sent,
            letter_received,
            organisation_status_changed,
            password_reset_requested,
            signup_address_taken,
        )

        from . import receivers

        booking_changed.connect(receivers.booking_changed, dispatch_uid="notifications.booking_changed")
        series_changed.connect(receivers.series_changed, dispatch_uid="notifications.series_changed")
        organisation_status_changed.connect(receivers.organisation_status_changed,
                                            dispatch_uid="notifications.organisation_status_changed")
        letter_received.connect(receivers.letter_received, dispatch_uid="notifications.letter_received")
        password_reset_requested.connect(receivers.password_reset_requested,
                                         dispatch_uid="notifications.password_reset_requested")
        invitation_sent.connect(receivers.invitation_sent, dispatch_uid="notifications.invitation_sent")
        confirmation_requested.connect(receivers.confirmation_requested,
                                       dispatch_uid="notifications.confirmation_requested")
        signup_address_taken.connect(receivers.signup_address_taken, dispatch_uid="notifications.signup_address_taken")
        waitlist_offered.connect(receivers.waitlist_offered, dispatch_uid="notifications.waitlist_offered")
        address_agreement_changed.connect(receivers.address_agreement_changed,
                                          dispatch_uid="notifications.address_agreement_changed")
