from datetime import time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ngo.agreements import format_number
from ngo.models import Organisation

TIME_ZONE_CHOICES = sorted((name, name) for name in available_timezones() if "/" in name)


def agreement_pattern_validator(pattern):
    try:
        format_number(pattern, centre="CAS", year=2026, seq=14)
    except ValueError as error:
        raise ValidationError(str(error), code="invalid_pattern") from error


class Centre(models.Model):
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=20, blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    email = models.EmailField(_("staff e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Warsaw")
    check_in_time = models.TimeField(_("check-in time"), default=time(15, 0))
    check_out_time = models.TimeField(_("check-out time"), default=time(10, 0))
    closed_on_public_holidays = models.BooleanField(
        _("closed on Polish public holidays"), default=True,
    )
    weekly_hours_per_organisation = models.PositiveIntegerField(
        _("weekly hours per organisation"), null=True, blank=True,
        help_text=_("How many hours an organisation may book at this centre per week; empty means no limit."),
    )
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("staff"), blank=True,
                                   related_name="staffed_centres")
    agreement_number_pattern = models.CharField(
        _("address agreement numbers"), max_length=60, default="{centre}/ADR/{year}/{seq:03d}",
        validators=[agreement_pattern_validator],
        help_text=_("{centre} is the short name, {year} the year, {seq} the agreement's number in that year "
                    "({seq:03d}: three digits, 014)."))
    # Declared here, not on Organisation, because ngo does not know booking; ngo reaches it as
    # `organisation.centres` and `Organisation.centres.through`.
    hosted_organisations = models.ManyToManyField(Organisation, verbose_name=_("hosted organisations"),
                                                  through="Hosting", blank=True, related_name="centres")

    class Meta:
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tz(self):
        return ZoneInfo(self.time_zone)

    @property
    def address(self):
        return f"{self.street}, {self.postal_code} {self.city}"


class Hosting(models.Model):
    """A centre hosts an organisation: its staff verify, suspend and look after the organisation and its members.

    The home centre is the one where the organisation registered (or was registered by staff); others may host it
    too, by a superuser's decision.
    """

    centre = models.ForeignKey(Centre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="hostings")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE,
                                     related_name="hostings")
    home = models.BooleanField(_("home centre"), default=False)
    created_at = models.DateTimeField(_("hosted since"), auto_now_add=True)

    class Meta:
        verbose_name = _("hosting")
        verbose_name_plural = _("hostings")
        constraints = [
            models.UniqueConstraint(fields=["centre", "organisation"], name="unique_hosting"),
            models.UniqueConstraint(fields=["organisation"], condition=models.Q(home=True), name="one_home_centre"),
        ]

    def __str__(self):
        return f"{self.centre} → {self.organisation}"


class OpeningHours(models.Model):
    """One opening interval on one weekday; a day may have several (for a lunch break)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    centre = models.ForeignKey(Centre, verbose_name=_("centre"), on_delete=models.CASCADE,
                               related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["centre", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="opens_before_closes"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Resource(models.Model):
    class Kind(models.TextChoices):
        ROOM = "room", _("Room")
        DESK = "desk", _("Office desk")
        LOCKER = "locker", _("Locker")
        ACCOMMODATION = "accommodation", _("Accommodation")
        EQUIPMENT = "equipment", _("Equipment")

    class BookingMode(models.TextChoices):
        SLOTS = "slots", _("Time slots within opening hours")
        DAYS = "days", _("Whole days")
        NIGHTS = "nights", _("Nights")

    DEFAULT_MODE = {
        Kind.ROOM: BookingMode.SLOTS,
        Kind.DESK: BookingMode.SLOTS,
        Kind.EQUIPMENT: BookingMode.SLOTS,
        Kind.LOCKER: BookingMode.DAYS,
        Kind.ACCOMMODATION: BookingMode.NIGHTS,
    }

    centre = models.ForeignKey(Centre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people)"), null=True, blank=True)
    units = models.PositiveIntegerField(
        _("units"), default=1, validators=[MinValueValidator(1)],
        help_text=_("How many can be booked at once: beds in a dormitory, identical lockers."),
    )
    amenities = models.JSONField(_("amenities"), default=list, blank=True)
    booking_mode = models.CharField(_("booking mode"), max_length=8, choices=BookingMode.choices, blank=True,
                                    help_text=_("Empty means the default for the kind."))
    requires_approval = models.BooleanField(_("requires approval"), default=True)
    min_duration = models.DurationField(_("minimum duration"), null=True, blank=True)
    max_duration = models.DurationField(_("maximum duration"), null=True, blank=True)
    slot_length = models.DurationField(
        _("slot length"), default=timedelta(minutes=30),
        validators=[MinValueValidator(timedelta(minutes=1), message=_("A slot is at least one minute long."))],
    )
    advance_window = models.DurationField(
        _("bookable ahead"), default=timedelta(days=365), help_text=_("How far ahead the resource can be booked."),
    )
    minimum_notice = models.DurationField(_("minimum notice"), default=timedelta(0))
    buffer = models.DurationField(_("buffer between bookings"), default=timedelta(0))
    is_active = models.BooleanField(_("active"), default=True)
    occupancy_public = models.BooleanField(_("occupancy is public"), default=True)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["centre", "kind", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(units__gte=1), name="resource_units_positive"),
        ]

    def __str__(self):
        return f"{self.name} ({self.centre.short_name or self.centre.name})"

    def save(self, *args, **kwargs):
        if not self.booking_mode:
            self.booking_mode = self.DEFAULT_MODE[self.kind]
        super().save(*args, **kwargs)

    @property
    def is_single_unit(self):
        return self.units == 1


class Closure(models.Model):
    """The whole centre or one resource closed for a date-time range."""

    centre = models.ForeignKey(Centre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="closures")
    resource = models.ForeignKey(Resource, verbose_name=_("resource"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="closures",
                                 help_text=_("Empty means the whole centre."))
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="closure_start_before_end"),
        ]

    def __str__(self):
        return f"{self.reason} ({self.start:%Y-%m-%d})"


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class BookingSeries(models.Model):
    """A recurring booking: an RFC 5545 RRULE whose occurrences are ordinary bookings linked here."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All meetings or none")
        SKIP_CONFLICTS = "skip_conflicts", _("Book the free dates, skip the others")

    resource = models.ForeignKey(Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="series")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="booking_series")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    rrule = models.CharField(_("recurrence rule"), max_length=500)
    local_start = models.DateTimeField(_("first occurrence"))
    duration = models.DurationField(_("duration"), help_text=_("Local wall-clock length of each occurrence."))
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    skipped = models.JSONField(
        _("skipped dates"), default=list, blank=True,
        help_text=_("Occurrences not booked when the series was created, each with the reason (code and message)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("booking series")
        # The same English word, two Polish ones ("seria", "serie"): the context tells them apart.
        verbose_name_plural = pgettext_lazy("plural", "booking series")

    def __str__(self):
        return f"{self.title} ({self.rrule})"


class Booking(models.Model):
    Status = BookingStatus

    # Indexed by the composite indexes below, which lead with it (a plain index would win the planner's
    # choice on PostgreSQL and walk the resource's whole history).
    resource = models.ForeignKey(Resource, verbose_name=_("resource"), on_delete=models.PROTECT,
                                 related_name="bookings", db_index=False)
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="bookings")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("booked by"), null=True,
                                   on_delete=models.SET_NULL, related_name="bookings")
    series = models.ForeignKey(BookingSeries, verbose_name=_("series"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="bookings")
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    attendees = models.PositiveIntegerField(_("attendees"), default=1)
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    public = models.BooleanField(_("title is public"), default=False)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(_("status"), max_length=16, choices=BookingStatus.choices,
                              default=BookingStatus.PENDING)
    sequence = models.PositiveIntegerField(_("sequence"), default=0, help_text=_("Raised on every change (iCalendar)."))
    exclusive = models.BooleanField(
        default=True, editable=False,
        help_text="Copy of resource.units == 1; the PostgreSQL exclusion constraint applies to these rows.",
    )
    override_reason = models.TextField(_("reason for overriding rules"), blank=True)
    decision_reason = models.TextField(_("reason of approval or rejection"), blank=True)
    cancellation_reason = models.TextField(_("reason of cancellation"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["resource", "start", "end"], name="booking_resource_time"),
            # What is still running or ahead at an instant: availability and search read only the window,
            # not the history before it (bench/README.md, "Indexes").
            models.Index(fields=["resource", "end", "start"], name="booking_resource_end"),
            models.Index(fields=["organisation", "start"], name="booking_organisation_start"),
            models.Index(fields=["status", "created_at"], name="booking_status_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="booking_start_before_end"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="booking_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.title} – {self.resource.name}, {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES


class BookingEvent(models.Model):
    """Audit trail: every state change of a booking, who made it, when and why."""

    booking = models.ForeignKey(Booking, verbose_name=_("booking"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    from_status = models.CharField(_("from"), max_length=16, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=BookingStatus.choices)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("booking event")
        verbose_name_plural = _("booking events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_status or '∅'} → {self.to_status}"


class FeedToken(models.Model):
    """A secret calendar-feed URL. Only the SHA-256 of the token is kept."""

    class Scope(models.TextChoices):
        ORGANISATION = "organisation", _("Organisation's bookings")
        PERSON = "person", _("My bookings")
        CENTRE = "centre", _("Centre's bookings (staff)")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="feed_tokens")
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    centre = models.ForeignKey(Centre, verbose_name=_("centre"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    name = models.CharField(_("name"), max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name or self.get_scope_display()


class AccessibilityStatement(models.Model):
    """A centre's accessibility statement (deklaracja dostępności), which the Polish act on the digital accessibility
    of public bodies' websites (ustawa z 4 kwietnia 2019 r.) requires of every service. The statutory wording and the
    request and complaint procedure are the page's; what differs by centre is kept here, in Polish and in English
    (an empty English text shows the Polish one)."""

    class Compliance(models.TextChoices):
        FULL = "full", _("fully compliant")
        PARTIAL = "partial", _("partially compliant")
        NONE = "none", _("not compliant")

    class Assessment(models.TextChoices):
        SELF = "self", _("self-assessment by the public body")
        EXTERNAL = "external", _("assessment by an external body")

    # The texts kept in both languages, as `<name>_pl` and `<name>_en`.
    TEXTS = ("non_accessible", "exemptions", "entrances", "lifts", "toilets", "parking", "induction_loop",
             "sign_language")

    centre = models.OneToOneField(Centre, verbose_name=_("centre"), on_delete=models.CASCADE,
                                  related_name="accessibility_statement")
    entity = models.CharField(_("public body"), max_length=300,
                              help_text=_("Who publishes the service, for example the municipal social-welfare "
                                          "office the centre belongs to."))
    published_on = models.DateField(_("service published on"))
    updated_on = models.DateField(_("service last updated on"))
    compliance = models.CharField(_("compliance with the act"), max_length=8, choices=Compliance.choices,
                                  default=Compliance.PARTIAL)
    non_accessible_pl = models.TextField(_("content that is not accessible (Polish)"), blank=True,
                                         help_text=_("One item a line: what is not accessible and why."))
    non_accessible_en = models.TextField(_("content that is not accessible (English)"), blank=True)
    exemptions_pl = models.TextField(_("exemptions (Polish)"), blank=True,
                                     help_text=_("One item a line: content the act exempts, and on what ground."))
    exemptions_en = models.TextField(_("exemptions (English)"), blank=True)
    prepared_on = models.DateField(_("statement prepared on"))
    reviewed_on = models.DateField(_("statement last reviewed on"), null=True, blank=True)
    assessment = models.CharField(_("how accessibility was assessed"), max_length=8, choices=Assessment.choices,
                                  default=Assessment.SELF)
    assessed_by = models.CharField(_("external body that assessed it"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person for accessibility"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=32)
    entrances_pl = models.TextField(_("entrances (Polish)"), blank=True)
    entrances_en = models.TextField(_("entrances (English)"), blank=True)
    lifts_pl = models.TextField(_("floors and lifts (Polish)"), blank=True)
    lifts_en = models.TextField(_("floors and lifts (English)"), blank=True)
    toilets_pl = models.TextField(_("toilets (Polish)"), blank=True)
    toilets_en = models.TextField(_("toilets (English)"), blank=True)
    parking_pl = models.TextField(_("parking (Polish)"), blank=True)
    parking_en = models.TextField(_("parking (English)"), blank=True)
    induction_loop_pl = models.TextField(_("induction loop (Polish)"), blank=True)
    induction_loop_en = models.TextField(_("induction loop (English)"), blank=True)
    sign_language_pl = models.TextField(_("sign language interpreter (Polish)"), blank=True)
    sign_language_en = models.TextField(_("sign language interpreter (English)"), blank=True)

    class Meta:
        verbose_name = _("accessibility statement")
        verbose_name_plural = _("accessibility statements")

    def __str__(self):
        return str(self.centre)

    def texts(self, language):
        """The statement's texts in `language` ("pl" or "en"), each falling back to Polish where it is empty."""
        return {name: getattr(self, f"{name}_{language}", "") or getattr(self, f"{name}_pl") for name in self.TEXTS}
