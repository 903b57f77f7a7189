from datetime import time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
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
        CONSULTANT = "consultant", _("Consultant's agenda")

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
        Kind.CONSULTANT: BookingMode.SLOTS,
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
    needs_key = models.BooleanField(_("key or card handed over"), default=False,
                                    help_text=_("Staff record who took its key or card (and any deposit) and when it "
                                                "came back."))

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
    # Held for an organisation on the waitlist until it accepts or the offer lapses (booking.waitlist); not yet a
    # booking of theirs, so lists, feeds and reports leave it out, but it takes the time like an active booking.
    OFFERED = "offered", _("Held for the waitlist")


ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
# What takes a resource's time: the conflicts, the units' count and PostgreSQL's exclusion constraint count these.
HOLDING_STATUSES = (*ACTIVE_STATUSES, BookingStatus.OFFERED)


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
        CONSULTANT = "consultant", _("My consultation appointments")
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


class WaitlistEntry(models.Model):
    """An organisation waits for exactly this time of a resource (and this quantity), taken when it asked.

    When the time frees, the first entry whose request fits gets an offer: a booking in state `offered`, which the
    conflicts count like an active one, held until `offer_expires_at` (booking.waitlist).
    """

    resource = models.ForeignKey(Resource, verbose_name=_("resource"), on_delete=models.CASCADE,
                                 related_name="waitlist_entries")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE,
                                     related_name="waitlist_entries")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    attendees = models.PositiveIntegerField(_("attendees"), default=1)
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    public = models.BooleanField(_("title is public"), default=False)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    created_at = models.DateTimeField(_("joined at"), default=timezone.now)
    offer = models.OneToOneField(Booking, verbose_name=_("offer"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="waitlist_entry")
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer held until"), null=True, blank=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["resource", "created_at"], name="waitlist_resource_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="waitlist_start_before_end"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="waitlist_quantity_positive"),
            models.UniqueConstraint(fields=["resource", "organisation", "start", "end"], name="waitlist_once"),
        ]

    def __str__(self):
        return f"{self.title} – {self.resource.name}, {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_offered(self):
        return self.offer_id is not None

    def offer_held(self, now=None):
        """Whether an offer holds the time for this entry at `now`: made and not lapsed (a lapsed one is passed on
        by the beat within a minute, and cannot be accepted meanwhile)."""
        return self.is_offered and self.offer_expires_at > (now or timezone.now())


# --- Consultations: people's time, booked as appointments in the consultants' duty hours ---------------------
# booking/consultations.py says why an appointment is a Booking of the consultant's own Resource.

class ConsultationService(models.Model):
    """What a centre offers of people's time: IT help, legal advice, NGO counselling, and whatever staff add."""

    class Kind(models.TextChoices):
        IT_HELP = "it_help", _("IT help")
        LEGAL = "legal", _("Legal advice")
        COUNSELLING = "counselling", _("NGO counselling")
        OTHER = "other", _("Other")

    centre = models.ForeignKey(Centre, verbose_name=_("centre"), on_delete=models.CASCADE,
                               related_name="consultation_services")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    appointment_length = models.DurationField(
        _("appointment length"), default=timedelta(minutes=30),
        validators=[MinValueValidator(timedelta(minutes=5), message=_("An appointment is at least 5 minutes long."))],
    )
    horizon = models.DurationField(_("bookable ahead"), default=timedelta(days=28),
                                   help_text=_("How far ahead an appointment can be booked."))
    topic_required = models.BooleanField(_("topic required"), default=True,
                                         help_text=_("Whether the member must say in advance what it is about."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("consultation service")
        verbose_name_plural = _("consultation services")
        ordering = ["centre", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(appointment_length__gt=timedelta(0)),
                                   name="consultation_length_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def asks_device(self):
        """IT help asks which device or system the appointment is about."""
        return self.kind == self.Kind.IT_HELP

    @property
    def topic_confidential(self):
        """Legal-advice topics are for the organisation and the consultant only, not the centre's other staff."""
        return self.kind == self.Kind.LEGAL


class Consultant(models.Model):
    """A person giving a centre's consultations: staff, or an outside volunteer whose login sees only their agenda.

    `resource` is their agenda: a Resource of kind `consultant` (one unit), so that an appointment is an ordinary
    Booking of it and the core's conflict guarantee holds per consultant."""

    centre = models.ForeignKey(Centre, verbose_name=_("centre"), on_delete=models.CASCADE,
                               related_name="consultants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT,
                             related_name="consultant_roles")
    resource = models.OneToOneField(Resource, verbose_name=_("agenda"), on_delete=models.PROTECT,
                                    related_name="consultant", editable=False)
    services = models.ManyToManyField(ConsultationService, verbose_name=_("services"), blank=True,
                                      related_name="consultants")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("consultant")
        verbose_name_plural = _("consultants")
        ordering = ["centre", "resource__name"]
        constraints = [models.UniqueConstraint(fields=["centre", "user"], name="one_consultant_per_centre")]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.user.get_full_name() or self.user.username


class DutyHours(models.Model):
    """One weekly interval (local wall-clock time) in which a consultant gives one service."""

    consultant = models.ForeignKey(Consultant, verbose_name=_("consultant"), on_delete=models.CASCADE,
                                   related_name="duty_hours")
    service = models.ForeignKey(ConsultationService, verbose_name=_("service"), on_delete=models.CASCADE,
                                related_name="duty_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=OpeningHours.Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("duty hours")
        verbose_name_plural = _("duty hours")
        ordering = ["consultant", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=models.Q(starts__lt=models.F("ends")), name="duty_starts_before_ends"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class DateOff(models.Model):
    """Days a consultant is away (both included): their times are not offered."""

    consultant = models.ForeignKey(Consultant, verbose_name=_("consultant"), on_delete=models.CASCADE,
                                   related_name="dates_off")
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("date off")
        verbose_name_plural = _("dates off")
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(condition=models.Q(first_day__lte=models.F("last_day")),
                                   name="date_off_first_before_last"),
        ]

    def __str__(self):
        return f"{self.first_day}–{self.last_day}"


class Appointment(models.Model):
    """A consultation: the Booking of the consultant's agenda, plus what only the consultation knows."""

    class Outcome(models.TextChoices):
        OPEN = "", _("Not marked yet")
        DONE = "done", _("Done")
        NO_SHOW = "no_show", _("Did not come")

    booking = models.OneToOneField(Booking, verbose_name=_("booking"), on_delete=models.CASCADE,
                                   related_name="appointment")
    service = models.ForeignKey(ConsultationService, verbose_name=_("service"), on_delete=models.PROTECT,
                                related_name="appointments")
    consultant = models.ForeignKey(Consultant, verbose_name=_("consultant"), on_delete=models.PROTECT,
                                   related_name="appointments")
    topic = models.TextField(_("topic"), blank=True)
    device = models.CharField(_("device or system"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, blank=True, default="")
    marked_at = models.DateTimeField(_("marked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["booking__start"]

    def __str__(self):
        return f"{self.service} – {self.consultant}"


class ResourceRate(models.Model):
    """The notional value of lending a resource for one unit of its booking mode (an hour, a day or a night), in
    PLN, from a date on. A later rate starts a new row, so certificates of earlier periods keep their rate."""

    resource = models.ForeignKey(Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="rates")
    amount = models.DecimalField(_("rate (PLN)"), max_digits=10, decimal_places=2,
                                 validators=[MinValueValidator(0)],
                                 help_text=_("Per hour, day or night, by the resource's booking mode."))
    valid_from = models.DateField(_("applies from"))

    class Meta:
        verbose_name = _("notional rate")
        verbose_name_plural = _("notional rates")
        ordering = ["resource", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "valid_from"], name="one_rate_per_resource_and_day"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="rate_not_negative"),
        ]

    def __str__(self):
        return f"{self.amount} PLN ({self.valid_from:%Y-%m-%d})"


class DocumentDetails(models.Model):
    """What the centre's documents say about their issuer: the unit's name, its address and who signs."""

    centre = models.OneToOneField(Centre, verbose_name=_("centre"), on_delete=models.CASCADE,
                                  related_name="document_details")
    unit_name = models.CharField(_("name of the unit"), max_length=300,
                                 help_text=_("As it stands on documents, e.g. the social-welfare office the centre "
                                             "belongs to and the centre's own name."))
    address = models.CharField(_("address"), max_length=300)
    signatory_name = models.CharField(_("who signs"), max_length=200)
    signatory_role = models.CharField(_("signatory's position"), max_length=200, blank=True)
    general_rules = models.TextField(_("general rules of the centre"), blank=True,
                                     help_text=_("Quoted in lending agreements (the placeholder {{ rules }})."))

    class Meta:
        verbose_name = _("details for documents")
        verbose_name_plural = _("details for documents")

    def __str__(self):
        return self.unit_name


class InKindCertificate(models.Model):
    """A certificate of in-kind support (zaświadczenie o nieodpłatnym udostępnieniu): what an organisation used
    free of charge in a period and what it was worth. Fixed once issued: `content` keeps every figure, name and
    rate as they were; issuing again makes a new certificate with a new number, and the old one stays."""

    centre = models.ForeignKey(Centre, verbose_name=_("centre"), on_delete=models.PROTECT,
                               related_name="certificates")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="certificates")
    year = models.PositiveIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))
    project = models.CharField(_("project or purpose"), max_length=200, blank=True,
                               help_text=_("Only bookings whose title or purpose mentions it; empty: all."))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="pl")
    content = models.JSONField(_("content"), default=dict, editable=False)
    total = models.DecimalField(_("total (PLN)"), max_digits=12, decimal_places=2)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))
    replaces = models.ForeignKey("self", verbose_name=_("replaces"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="replaced_by")

    class Meta:
        verbose_name = _("in-kind certificate")
        verbose_name_plural = _("in-kind certificates")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "year", "number"], name="one_certificate_number"),
            models.CheckConstraint(condition=models.Q(first_day__lte=models.F("last_day")),
                                   name="certificate_period_in_order"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        """The number as documents show it: ZN/<number>/<year>, after the centre's short name if it has one."""
        prefix = f"{self.centre.short_name}/" if self.centre.short_name else ""
        return f"{prefix}ZN/{self.number}/{self.year}"


class KeyHandover(models.Model):
    """A key or card of a booked resource handed to the organisation, with any deposit, and its return."""

    booking = models.ForeignKey(Booking, verbose_name=_("booking"), on_delete=models.CASCADE,
                                related_name="key_handovers")
    key = models.CharField(_("key or card number"), max_length=50)
    deposit = models.DecimalField(_("deposit (PLN)"), max_digits=8, decimal_places=2, null=True, blank=True,
                                  validators=[MinValueValidator(0)])
    taken_by = models.CharField(_("taken by"), max_length=200, help_text=_("The person who took it."))
    handed_over_on = models.DateField(_("handed over on"))
    handed_over_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handed over by"), null=True,
                                       on_delete=models.SET_NULL, related_name="+")
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    returned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("returned to"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    deposit_refunded = models.BooleanField(_("deposit refunded"), default=False)

    class Meta:
        verbose_name = _("key handover")
        verbose_name_plural = _("key handovers")
        ordering = ["handed_over_on", "pk"]
        indexes = [models.Index(fields=["returned_on", "booking"], name="key_handover_open")]

    def __str__(self):
        return f"{self.key} → {self.taken_by}"


class AgreementTemplate(models.Model):
    """The text of the centre's lending agreements (umowa użyczenia), edited by staff: Django template text whose
    placeholders (`booking.agreements.PLACEHOLDERS`) are checked when it is saved."""

    centre = models.ForeignKey(Centre, verbose_name=_("centre"), on_delete=models.CASCADE,
                               related_name="agreement_templates")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="pl")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_(
        "Django template text. Placeholders: {{ organisation }}, {{ krs }}, {{ centre }}, {{ unit_name }}, "
        "{{ address }}, {{ signatory_name }}, {{ signatory_role }}, {{ number }}, {{ date }}, {{ rules }}, and "
        "{% for item in resources %}{{ item.name }} ({{ item.kind }}): {{ item.first_day }} – {{ item.last_day }}"
        "{% endfor %}. Blank lines separate paragraphs."))
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("lending agreement template")
        verbose_name_plural = _("lending agreement templates")
        constraints = [models.UniqueConstraint(fields=["centre", "language"], name="one_agreement_template")]

    def __str__(self):
        return f"{self.title} ({self.centre}, {self.language})"

    def clean(self):
        from django.core.exceptions import ValidationError

        from .agreements import check_agreement_template

        try:
            check_agreement_template(self.body)
        except ValidationError as error:
            raise ValidationError({"body": error.messages}) from None


class LendingAgreement(models.Model):
    """A numbered lending agreement (umowa użyczenia) issued to an organisation: its text as rendered then."""

    centre = models.ForeignKey(Centre, verbose_name=_("centre"), on_delete=models.PROTECT, related_name="agreements")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="agreements")
    year = models.PositiveIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="pl")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), editable=False)
    issuer = models.JSONField(_("issuer"), default=dict, editable=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("lending agreement")
        verbose_name_plural = _("lending agreements")
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["centre", "year", "number"], name="one_agreement_number")]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        prefix = f"{self.centre.short_name}/" if self.centre.short_name else ""
        return f"{prefix}UU/{self.number}/{self.year}"
