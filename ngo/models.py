import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .signals import password_changed

krs_validator = RegexValidator(r"^\d{10}$", _("A KRS number has exactly 10 digits."), code="invalid_krs")
DESCRIPTION_LENGTH = 2000


class User(AbstractUser):
    """A person: an NGO member, a coordinator or centre staff. `language` picks their e-mails' language."""

    class Language(models.TextChoices):
        POLISH = "pl", _("Polish")
        ENGLISH = "en", _("English")

    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.POLISH)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Set when the person signs up on the site (ngo.signup): the account stays inactive until they open the link
    # e-mailed to the address, which clears it; accounts still waiting after SIGNUP_UNCONFIRMED_DAYS are deleted.
    awaiting_confirmation_since = models.DateTimeField(
        _("awaiting e-mail confirmation since"), null=True, blank=True,
        help_text=_("Signed up on the site and has not yet opened the link sent to the e-mail address."))

    def set_unusable_password(self):
        super().set_unusable_password()
        self._password_disabled = True

    def save(self, *args, **kwargs):
        """Announce a new or disabled password (`password_changed`) to the apps that hold the person's other
        credentials. Every path saves the user after `set_password()`: the reset link, the admin, `changepassword`,
        the shell. Django keeps the new raw password in `_password` until that save, and clears it first when
        it only upgrades the hash of the same password at login, which changes nothing for the person."""
        changed = self._password is not None or self.__dict__.pop("_password_disabled", False)
        existing = not self._state.adding
        super().save(*args, **kwargs)
        if changed and existing:
            password_changed.send(sender=type(self), user=self)


class Organisation(models.Model):
    class Kind(models.TextChoices):
        REGISTERED_NGO = "registered", _("Registered NGO (KRS)")
        ASSOCIATION = "association", _("Association without KRS yet")
        FOUNDATION = "foundation", _("Foundation without KRS yet")
        INFORMAL_GROUP = "informal", _("Informal group")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    krs = models.CharField(_("KRS number"), max_length=10, blank=True, validators=[krs_validator])
    contact_person = models.CharField(_("contact person"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # A TextField's max_length binds only forms and serializers; the validator binds full_clean (the services).
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_LENGTH,
                                   validators=[MaxLengthValidator(DESCRIPTION_LENGTH)])
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UNVERIFIED)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("status changed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    status_reason = models.TextField(_("reason of the status"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    removed_at = models.DateTimeField(
        _("removed at"), null=True, blank=True,
        help_text=_("When the organisation left the centre; its personal data is purged some years later."),
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="organisations")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            # Its message is what every path shows (the services' full_clean, the pages' and the admin's forms);
            # the code "unique" files it under the `krs` field.
            models.UniqueConstraint(
                fields=["krs"], condition=~models.Q(krs=""), name="unique_krs", violation_error_code="unique",
                violation_error_message=_("An organisation with this KRS number is already registered."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_verified(self):
        return self.status == self.Status.VERIFIED


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        COORDINATOR = "coordinator", _("Coordinator")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE,
                             related_name="memberships")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE,
                                     related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")]

    def __str__(self):
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"


class InvitationQuerySet(models.QuerySet):
    def pending(self, now=None):
        """Neither accepted, revoked nor expired."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class Invitation(models.Model):
    """An invitation to join an organisation, sent to an e-mail address: the person joins only by accepting it
    while logged in. The link carries a random token; only its hash is kept."""

    LIFETIME = timedelta(days=14)

    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE,
                                     related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=16, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("invited by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("accepted by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.email} → {self.organisation}"

    @staticmethod
    def hash_token(raw_token):
        return hashlib.sha256(raw_token.encode()).hexdigest()


class Letter(models.Model):
    """The correspondence register: a letter that arrived at a centre's address for an organisation, kept there
    until a named person collects it or it goes back to its sender."""

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", _("ordinary")
        REGISTERED = "registered", _("registered")
        OFFICIAL = "official", _("from a court or office")
        PARCEL = "parcel", _("parcel")

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        COLLECTED = "collected", _("collected")
        RETURNED = "returned", _("returned to sender")

    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE,
                                     related_name="letters")
    # A string reference: ngo does not import booking. Empty only on letters logged before centres were recorded.
    centre = models.ForeignKey("booking.Centre", verbose_name=_("centre"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="letters")
    received_at = models.DateTimeField(_("received at"))
    sender = models.CharField(_("sender"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ORDINARY)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    description = models.CharField(_("note"), max_length=300, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("logged by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.WAITING)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("collected by (member)"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    collected_by_name = models.CharField(_("collected by"), max_length=200, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["centre", "status", "received_at"], name="letter_register")]

    def __str__(self):
        return f"{self.sender} → {self.organisation}"


class AddressAgreement(models.Model):
    """An organisation may use a centre's address as its registered seat and/or for its correspondence, from a day
    until a day (both included) or with no end. Organisations ask for one (`requested`); staff approve it, which
    numbers it by the centre's pattern, or refuse it. Ending early or extending changes `ends_on`."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    centre = models.ForeignKey("booking.Centre", verbose_name=_("centre"), on_delete=models.PROTECT,
                               related_name="address_agreements")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE,
                                     related_name="address_agreements")
    number = models.CharField(_("agreement number"), max_length=60, blank=True)
    registered_seat = models.BooleanField(_("registered seat"), default=True,
                                          help_text=_("The address is the organisation's seat in the register (KRS)."))
    correspondence = models.BooleanField(_("correspondence"), default=True,
                                         help_text=_("Letters for the organisation may come to the address."))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty: with no end."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    note = models.CharField(_("note"), max_length=500, blank=True)
    refusal_reason = models.CharField(_("reason for refusal"), max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The reminders before the end, each sent once; changing the end date clears them.
    reminded_30_at = models.DateTimeField(_("30-day reminder sent at"), null=True, blank=True)
    reminded_7_at = models.DateTimeField(_("7-day reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("address agreement")
        verbose_name_plural = _("address agreements")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], condition=~models.Q(number=""),
                                    name="agreement_number_unique_per_centre"),
            models.CheckConstraint(condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F(
                "starts_on")), name="agreement_ends_after_it_starts"),
        ]

    def __str__(self):
        return self.number or f"{self.organisation} ({self.get_status_display()})"

    def in_force_on(self, day):
        return (self.status == self.Status.APPROVED and self.starts_on <= day
                and (self.ends_on is None or day <= self.ends_on))
