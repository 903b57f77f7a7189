from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One e-mail to one recipient, saved in the same transaction as the change that causes it.

    The row names what the message is about (`payload`, `booking`, `organisation`); the Celery task that first
    sends it, once the transaction commits, writes its subject, bodies and calendar (`notifications.emails`),
    so a retry sends the same text. The relay task re-queues what is still unsent.
    """

    class Kind(models.TextChoices):
        BOOKING_REQUESTED = "booking_requested", _("Booking request received")
        REQUEST_TO_APPROVE = "request_to_approve", _("Booking request to approve (staff)")
        BOOKING_CONFIRMED = "booking_confirmed", _("Booking confirmed")
        BOOKING_REJECTED = "booking_rejected", _("Booking request rejected")
        BOOKING_CANCELLED = "booking_cancelled", _("Booking cancelled")
        BOOKING_REMINDER = "booking_reminder", _("Reminder the day before")
        ORGANISATION_VERIFIED = "organisation_verified", _("Organisation verified")
        LETTER_RECEIVED = "letter_received", _("Letter received")
        LETTER_REMINDER = "letter_reminder", _("Letter still waiting")
        ADDRESS_AGREEMENT = "address_agreement", _("Address agreement")
        AGREEMENT_ENDING = "agreement_ending", _("Address agreement ending")
        INVITATION = "invitation", _("Invitation to join an organisation")
        SERIES_REQUESTED = "series_requested", _("Series request received")
        SERIES_TO_APPROVE = "series_to_approve", _("Series request to approve (staff)")
        SERIES_CONFIRMED = "series_confirmed", _("Series confirmed")
        SERIES_REJECTED = "series_rejected", _("Series request rejected")
        SERIES_CANCELLED = "series_cancelled", _("Series cancelled")
        SERIES_UPDATED = "series_updated", _("Series changed")
        PASSWORD_RESET = "password_reset", _("Password reset link")
        SIGNUP_CONFIRMATION = "signup_confirmation", _("Link confirming a new account's address")
        SIGNUP_ADDRESS_TAKEN = "signup_address_taken", _("Sign-up with an address that has an account")
        WAITLIST_OFFER = "waitlist_offer", _("Waitlist offer")
        LENDING_ENDS_IN_14_DAYS = "lending_ends_14", _("Lending ends in 14 days")
        LENDING_ENDS_IN_3_DAYS = "lending_ends_3", _("Lending ends in 3 days")
        KEY_NOT_RETURNED = "key_not_returned", _("Key not returned")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Given up")

    # Messages that carry a credential (a password reset or confirmation link): written afresh at each attempt and
    # never kept, so that whoever reads the outbox in the admin cannot use them.
    UNKEPT_KINDS = {Kind.PASSWORD_RESET, Kind.SIGNUP_CONFIRMATION}

    recipient = models.EmailField(_("recipient"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    payload = models.JSONField(_("what it is about"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=400, blank=True, help_text=_("Written when first sent."))
    body_text = models.TextField(_("plain text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    calendar = models.TextField(_("calendar attachment (.ics)"), blank=True)
    calendar_method = models.CharField(_("calendar method"), max_length=8, blank=True,
                                       help_text=_("REQUEST adds or updates the event, CANCEL removes it."))
    booking = models.ForeignKey("booking.Booking", verbose_name=_("booking"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    # Whom the message is about, so that the personal-data purge finds it: its body names them.
    organisation = models.ForeignKey("ngo.Organisation", verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person concerned"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               help_text=_("Who booked, for booking messages (also those to staff); else the "
                                           "member it is addressed to."))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("sending attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    queued_at = models.DateTimeField(_("last queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "queued_at"], name="outbox_status_queued")]
        constraints = [
            # The reminder of a booking goes out once to each recipient (the booker; for a consultation also the
            # consultant), however often the periodic task runs.
            models.UniqueConstraint(fields=["booking", "recipient"], condition=Q(kind="booking_reminder"),
                                    name="outbox_one_reminder_per_booking_recipient"),
            # Each reminder of a lending's end, and the one about its keys, goes out once.
            models.UniqueConstraint(fields=["booking", "kind"], condition=Q(kind__in=["lending_ends_14",
                                                                                       "lending_ends_3",
                                                                                       "key_not_returned"]),
                                    name="outbox_one_lending_reminder_each"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"

    @property
    def is_written(self):
        return bool(self.subject)

    def as_email(self):
        """The message as Django sends it: plain text, an HTML alternative and the invitation, if any."""
        domain = settings.SITE_URL.split("://")[-1].split("/")[0].split(":")[0]
        email = EmailMultiAlternatives(
            self.subject, self.body_text, to=[self.recipient], reply_to=[self.reply_to] if self.reply_to else None,
            # A stable Message-ID lets mail servers recognise a message sent again after a crash.
            headers={"Message-ID": f"<outbox-{self.pk}.{self.created_at:%Y%m%d%H%M%S}@{domain}>",
                     "Content-Language": self.language},
        )
        email.attach_alternative(self.body_html, "text/html")
        if self.calendar:
            part = MIMEText(self.calendar, "calendar", "utf-8")
            part.set_param("method", self.calendar_method)
            part.add_header("Content-Disposition", "attachment",
                            filename="cancel.ics" if self.calendar_method == "CANCEL" else "invite.ics")
            email.attach(part)
        return email
