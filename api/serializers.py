"""Shapes of the API. They check types and ranges only; every rule is in the service they hand over to."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from booking.exceptions import RuleViolation
from booking.models import (
    Appointment,
    Booking,
    BookingEvent,
    BookingSeries,
    BookingStatus,
    Centre,
    Closure,
    ConsultationService,
    FeedToken,
    InKindCertificate,
    LendingAgreement,
    OpeningHours,
    Resource,
    WaitlistEntry,
)
from booking.recurrence import parse_rrule
from booking.selectors import offered_consultations, visible_conflicts, visible_organisations, visible_resources
from booking.series import Recurrence, dates_in_order
from ngo.models import AddressAgreement, Invitation, Letter, Membership, Organisation, krs_validator

from .fields import (
    DateOrDateTimeField,
    LocalDateTimeField,
    NamedIdField,
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
    WallClockTimeField,
    in_zone,
)

MAX_AVAILABILITY_DAYS = 92


def check_window(start, end, *, start_field="start", end_field="end", max_days=MAX_AVAILABILITY_DAYS):
    """An aware [start, end) that is not empty and at most `max_days` long."""
    if start >= end:
        raise ValidationError({end_field: ValidationError(_("The end must be later than the start."),
                                                          code="invalid_interval")})
    if (end - start).total_seconds() > max_days * 86400:
        raise ValidationError({end_field: ValidationError(
            _("Ask for at most %(days)d days at a time.") % {"days": max_days}, code="window_too_long")})


# Model fields with the API's strict JSON types. (A comment, not a docstring: the schema would show it
# as the description of every serializer.)
class ApiModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.TimeField: WallClockTimeField,
    }
    serializer_related_field = StrictPrimaryKeyRelatedField


# --- Centres and resources ------------------------------------------------------------------

class OpeningHoursSerializer(ApiModelSerializer):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]


class ClosureSerializer(ApiModelSerializer):
    class Meta:
        model = Closure
        fields = ["id", "resource", "start", "end", "reason"]
        extra_kwargs = {"resource": {"help_text": _("Empty for a closure of the whole centre.")}}


class CentreSerializer(ApiModelSerializer):
    opening_hours = OpeningHoursSerializer(many=True, read_only=True)
    upcoming_closures = ClosureSerializer(many=True, read_only=True)
    address = serializers.CharField(read_only=True)

    class Meta:
        model = Centre
        fields = ["id", "name", "short_name", "street", "postal_code", "city", "address", "email", "phone",
                  "time_zone", "check_in_time", "check_out_time", "closed_on_public_holidays",
                  "weekly_hours_per_organisation", "opening_hours", "upcoming_closures"]


class ResourceSerializer(ApiModelSerializer):
    class Meta:
        model = Resource
        fields = ["id", "centre", "kind", "name", "description", "capacity", "units", "amenities", "booking_mode",
                  "requires_approval", "min_duration", "max_duration", "slot_length", "advance_window",
                  "minimum_notice", "buffer", "is_active", "occupancy_public"]


class AvailabilityQuerySerializer(serializers.Serializer):
    start = LocalDateTimeField()
    end = LocalDateTimeField(help_text=_("At most 92 days after the start. Without an offset it is read in the "
                                         "centre's time zone."))

    def validate(self, attrs):
        tz = self.context["time_zone"]
        attrs["start"], attrs["end"] = in_zone(attrs["start"], tz), in_zone(attrs["end"], tz)
        check_window(attrs["start"], attrs["end"])
        return attrs


class FreeIntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    units = serializers.IntegerField(help_text=_("How many units are free throughout this interval."))


class BusyIntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    title = serializers.CharField(allow_null=True, help_text=_("Null where the caller may not see it."))


class AvailabilitySerializer(serializers.Serializer):
    resource = serializers.IntegerField(source="resource.pk")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    free = FreeIntervalSerializer(many=True)
    busy = BusyIntervalSerializer(many=True)


# --- Bookings -------------------------------------------------------------------------------

class BookingSerializer(ApiModelSerializer):
    class Meta:
        model = Booking
        fields = ["id", "resource", "organisation", "start", "end", "status", "title", "purpose", "attendees",
                  "quantity", "public", "series", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class BookingEventSerializer(ApiModelSerializer):
    from_status = serializers.ChoiceField(choices=BookingStatus.choices, allow_blank=True, read_only=True,
                                          help_text=_("Empty for the booking's creation."))

    class Meta:
        model = BookingEvent
        fields = ["at", "actor", "from_status", "to_status", "reason"]
        read_only_fields = fields


class BookingDetailSerializer(BookingSerializer):
    history = BookingEventSerializer(source="events", many=True, read_only=True)

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "history"]
        read_only_fields = fields


class RecurrenceSerializer(serializers.Serializer):
    rrule = StrictCharField(
        max_length=500,
        help_text=_("An RFC 5545 rule: FREQ=DAILY, WEEKLY or MONTHLY, with INTERVAL, BYDAY (2TU for the second "
                    "Tuesday), BYMONTHDAY, and COUNT or UNTIL; at most 200 meetings within a year. The booking's "
                    "start is the first meeting."),
    )
    mode = serializers.ChoiceField(
        choices=BookingSeries.Mode.choices, default=BookingSeries.Mode.ALL_OR_NOTHING,
        help_text=_("`all_or_nothing`: one date that cannot be booked refuses the series. `skip_conflicts`: book "
                    "the other dates and report the skipped ones."),
    )

    def validate_rrule(self, value):
        try:
            parse_rrule(value)
        except RuleViolation as violation:
            raise serializers.ValidationError(violation.message, code=violation.code) from None
        return value


# What a booking and a waitlist entry both ask for: a resource and an organisation the caller may see, the time
# (naive: in the resource's centre's zone), and the details the booking rules check. The resource and the
# organisation are ids here, read by the booking service with the resource's lock. (A comment: a docstring would
# become the schema's description of both.)
class BookingRequestSerializer(serializers.Serializer):
    resource = NamedIdField(queryset=Resource.objects.none())
    organisation = NamedIdField(queryset=Organisation.objects.none(), help_text=_("The organisation you book for."))
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    # The title and the numbers are checked by the booking rules, alike for every path (booking.rules).
    title = StrictCharField(allow_blank=True, help_text=_("Not blank; at most 200 characters."))
    purpose = StrictCharField(required=False, allow_blank=True, default="", max_length=5000)
    attendees = StrictIntegerField(required=False, default=1, help_text=_("At least 1, at most the capacity."))
    quantity = StrictIntegerField(required=False, default=1,
                                  help_text=_("How many units: beds, lockers. At most the resource's units."))
    public = StrictBooleanField(required=False, default=False,
                                help_text=_("Whether anyone may see the title in the centre's calendar."))


class BookingCreateSerializer(BookingRequestSerializer):
    override_reason = StrictCharField(
        required=False, allow_blank=True, default="", max_length=2000,
        help_text=_("Centre staff only: book despite the booking rules (never despite a conflict), saying why."),
    )
    recurrence = RecurrenceSerializer(
        required=False, help_text=_("Book a series of meetings: the start and end above are the first one."),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "recurrence" in attrs:
            attrs["recurrence"] = Recurrence(**attrs["recurrence"])
        return attrs


# The waitlist's service takes the resource and the organisation loaded: read here among what the caller may see.
class WaitlistEntryCreateSerializer(BookingRequestSerializer):
    resource = StrictPrimaryKeyRelatedField(queryset=Resource.objects.none())
    organisation = StrictPrimaryKeyRelatedField(queryset=Organisation.objects.none(),
                                                help_text=_("The organisation that waits."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["resource"].queryset = visible_resources(request.user).select_related("centre")
            self.fields["organisation"].queryset = visible_organisations(request.user)

    def validate(self, attrs):
        tz = attrs["resource"].centre.tz
        attrs["start"], attrs["end"] = in_zone(attrs["start"], tz), in_zone(attrs["end"], tz)
        return attrs


class WaitlistEntrySerializer(ApiModelSerializer):
    offered = serializers.SerializerMethodField(help_text=_(
        "Whether the time has freed and is held for the organisation until `offer_expires_at`: accept it before."))

    class Meta:
        model = WaitlistEntry
        fields = ["id", "resource", "organisation", "start", "end", "title", "purpose", "attendees", "quantity",
                  "public", "created_by", "created_at", "offered", "offered_at", "offer_expires_at"]
        read_only_fields = fields

    def get_offered(self, entry) -> bool:
        return entry.offer_held()


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)


class RejectSerializer(ReasonSerializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text=_("Required: the organisation is told why."))


class CancelSerializer(ReasonSerializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text=_("Required when staff cancel another organisation's booking."))


# --- Organisations --------------------------------------------------------------------------

class OrganisationSerializer(ApiModelSerializer):
    centre = StrictPrimaryKeyRelatedField(
        queryset=Centre.objects.all(), write_only=True, required=False,
        help_text=_("Registering: the home centre, whose staff will verify the organisation. Required when there is "
                    "more than one centre."))
    centres = serializers.PrimaryKeyRelatedField(many=True, read_only=True,
                                                 help_text=_("The centres hosting the organisation."))

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "krs", "contact_person", "email", "phone", "description", "status",
                  "status_reason", "centre", "centres", "created_at"]
        read_only_fields = ["status", "status_reason", "created_at"]
        # Without DRF's own uniqueness check, a taken KRS number is refused by the service, in its words.
        extra_kwargs = {"krs": {"validators": [krs_validator]}}


class MemberSerializer(ApiModelSerializer):
    id = serializers.IntegerField(source="user.pk", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "name", "role", "joined_at"]
        read_only_fields = fields


class InviteSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254, help_text=_("Where the invitation goes; the person need not have an "
                                                         "account yet."))
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)


class InvitationSerializer(ApiModelSerializer):
    invited_by = serializers.CharField(source="invited_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at"]
        read_only_fields = fields


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class AcceptInvitationSerializer(serializers.Serializer):
    token = StrictCharField(max_length=200, help_text=_("The token at the end of the invitation's link."))


class OrganisationStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Organisation.Status.choices, default=Organisation.Status.VERIFIED)
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text=_("Required to suspend."))


# --- The correspondence register -----------------------------------------------------------

class LetterSerializer(ApiModelSerializer):
    note = StrictCharField(source="description", read_only=True)
    collected_by = serializers.CharField(source="collected_by_name", read_only=True,
                                         help_text=_("The name of whoever collected it."))
    collected_by_member = serializers.PrimaryKeyRelatedField(
        source="collected_by", read_only=True, help_text=_("The member who collected it, when one did."))

    class Meta:
        model = Letter
        fields = ["id", "centre", "organisation", "received_at", "sender", "kind", "tracking_number", "note",
                  "status", "collected_at", "collected_by", "collected_by_member", "returned_at"]
        read_only_fields = fields


class LetterCreateSerializer(serializers.Serializer):
    centre = StrictPrimaryKeyRelatedField(
        queryset=Centre.objects.all(), required=False,
        help_text=_("The centre whose register it goes in; by default the first of yours hosting the organisation."))
    organisation = StrictPrimaryKeyRelatedField(queryset=Organisation.objects.all())
    sender = StrictCharField(max_length=200)
    kind = serializers.ChoiceField(choices=Letter.Kind.choices, default=Letter.Kind.ORDINARY)
    tracking_number = StrictCharField(max_length=40, required=False, allow_blank=True, default="",
                                      help_text=_("Required for registered letters."))
    note = StrictCharField(source="description", max_length=300, required=False, allow_blank=True, default="")
    received_on = serializers.DateField(required=False, default=None,
                                        help_text=_("The centre's local date; today by default."))


class LetterCollectSerializer(serializers.Serializer):
    letters = serializers.ListField(child=StrictIntegerField(min_value=1), min_length=1, max_length=100,
                                    help_text=_("The ids of the waiting letters handed over."))
    member = StrictIntegerField(required=False, allow_null=True, default=None, min_value=1,
                                help_text=_("The id of the member of the letters' organisation who collected them."))
    name = StrictCharField(max_length=200, required=False, allow_blank=True, default="",
                           help_text=_("Who collected them, when not a member (or to name the member otherwise)."))
    collected_at = LocalDateTimeField(required=False, default=None, help_text=_("Now by default."))


# --- Address agreements --------------------------------------------------------------------

class AddressAgreementSerializer(ApiModelSerializer):
    class Meta:
        model = AddressAgreement
        fields = ["id", "number", "centre", "organisation", "registered_seat", "correspondence", "starts_on",
                  "ends_on", "status", "note", "refusal_reason", "created_at", "decided_at"]
        read_only_fields = fields


class AddressAgreementCreateSerializer(serializers.Serializer):
    organisation = StrictPrimaryKeyRelatedField(queryset=Organisation.objects.all())
    centre = StrictPrimaryKeyRelatedField(
        queryset=Centre.objects.all(), required=False, default=None,
        help_text=_("Signing: by default the first of your centres hosting the organisation; asking: its home "
                    "centre."))
    registered_seat = StrictBooleanField(default=True)
    correspondence = StrictBooleanField(default=True)
    starts_on = serializers.DateField(required=False, default=None, help_text=_("Today by default."))
    ends_on = serializers.DateField(required=False, allow_null=True, default=None,
                                    help_text=_("The last day; empty for no end date."))
    note = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class AgreementEndSerializer(serializers.Serializer):
    ends_on = serializers.DateField(allow_null=True, help_text=_("The new last day (later extends, earlier ends); "
                                                                 "null for no end date."))


# --- Calendar feeds -------------------------------------------------------------------------

class FeedSerializer(ApiModelSerializer):
    class Meta:
        model = FeedToken
        fields = ["id", "scope", "name", "organisation", "centre", "created_at"]
        read_only_fields = fields


class NewFeedSerializer(FeedSerializer):
    """The only time the secret URL is shown: only its hash is kept."""

    url = serializers.SerializerMethodField()
    webcal_url = serializers.SerializerMethodField()

    class Meta(FeedSerializer.Meta):
        fields = [*FeedSerializer.Meta.fields, "url", "webcal_url"]
        read_only_fields = fields

    def get_url(self, feed) -> str:
        return f"{settings.SITE_URL.rstrip('/')}/feeds/{self.context['raw_token']}.ics"

    def get_webcal_url(self, feed) -> str:
        return "webcal://" + self.get_url(feed).split("://", 1)[1]


class FeedCreateSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=FeedToken.Scope.choices)
    organisation = StrictPrimaryKeyRelatedField(queryset=Organisation.objects.none(), required=False,
                                                      allow_null=True, help_text=_("For the organisation scope."))
    centre = StrictPrimaryKeyRelatedField(queryset=Centre.objects.all(), required=False, allow_null=True,
                                                help_text=_("For the centre scope (staff)."))
    name = StrictCharField(required=False, allow_blank=True, default="", max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["organisation"].queryset = visible_organisations(request.user)


# --- Authentication -------------------------------------------------------------------------

class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send it as `Authorization: Token <token>`."))


# --- Errors (documentation of the shape api.exceptions produces) -----------------------------

class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Machine-readable: a rule's code, `conflict`, `not_found`..."))
    detail = serializers.CharField(help_text=_("A sentence for people, in the request's language."))
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text=_("Messages per input field; empty when no field is to blame."))


class ConflictSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    title = serializers.CharField(allow_null=True, help_text=_("Null where the caller may not see it."))


class ConflictErrorSerializer(ErrorSerializer):
    conflicts = ConflictSerializer(many=True)


# --- Series ---------------------------------------------------------------------------------

class SeriesCancelSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=2000,
                             help_text=_("Required when staff cancel another organisation's series."))

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = DateOrDateTimeField(
            required=False, allow_null=True,
            help_text=_("Cancel the meetings from this date on; without it, every meeting that has not started."),
        )
        return fields


class SeriesDetailsSerializer(serializers.Serializer):
    title = StrictCharField(required=False, allow_blank=True, help_text=_("At most 200 characters."))
    purpose = StrictCharField(required=False, allow_blank=True, max_length=5000)


class OccurrenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = ["id", "start", "end", "status", "title"]
        read_only_fields = fields


class SkippedSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    code = serializers.CharField(help_text=_("Why the date was not booked: `conflict`, `closed`, ..."))
    detail = serializers.CharField()


class SeriesSerializer(serializers.ModelSerializer):
    start = serializers.DateTimeField(source="local_start", read_only=True, help_text=_("The first meeting."))
    occurrences = serializers.SerializerMethodField()
    skipped = SkippedSerializer(many=True, read_only=True,
                                help_text=_("Dates not booked when the series was created, with the reason."))

    class Meta:
        model = BookingSeries
        fields = ["id", "resource", "organisation", "rrule", "mode", "start", "duration", "title", "purpose",
                  "occurrences", "skipped", "created_by", "created_at"]
        read_only_fields = fields

    @extend_schema_field(OccurrenceSerializer(many=True))
    def get_occurrences(self, series):
        return OccurrenceSerializer(series.bookings.order_by("start", "pk"), many=True).data


class OccurrenceReportSerializer(serializers.Serializer):
    """One date of a series being created: whether it can be booked, and if not why."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    bookable = serializers.BooleanField()
    code = serializers.CharField(allow_null=True)
    detail = serializers.CharField(allow_null=True)
    conflicts = ConflictSerializer(many=True, help_text=_("The bookings in the way; titles only where visible."))


class DryRunSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    mode = serializers.ChoiceField(choices=BookingSeries.Mode.choices, allow_null=True,
                                   help_text=_("Null for a single booking."))
    rrule = serializers.CharField(allow_null=True, help_text=_("Null for a single booking."))
    refused = serializers.BooleanField(help_text=_("Whether the series would be refused as a whole."))
    occurrences = OccurrenceReportSerializer(many=True)


class SeriesRefusalSerializer(ErrorSerializer):
    occurrences = OccurrenceReportSerializer(
        many=True, required=False, help_text=_("With a `recurrence`: the dates that cannot be booked."))


class SeriesConflictSerializer(ConflictErrorSerializer):
    occurrences = OccurrenceReportSerializer(
        many=True, required=False, help_text=_("With a `recurrence`: the dates that cannot be booked."))


def occurrence_reports(bookings, skipped, actor):
    """The booked and refused dates of a series in time order, conflicts titled only where `actor` may see them."""
    reports = [{
        "start": start, "end": end, "bookable": refused is None,
        "code": refused and refused.code, "detail": refused and refused.message,
        "conflicts": visible_conflicts(actor, refused.conflicts if refused else []),
    } for start, end, refused in dates_in_order(bookings, skipped)]
    return OccurrenceReportSerializer(reports, many=True).data


# --- Consultations --------------------------------------------------------------------------

class ConsultationServiceSerializer(ApiModelSerializer):
    asks_device = serializers.BooleanField(read_only=True, help_text=_("Whether an appointment names a device or "
                                                                       "system (IT help)."))
    topic_confidential = serializers.BooleanField(read_only=True, help_text=_(
        "Whether the topic is hidden from the centre's staff (legal advice): only the organisation and the "
        "consultant read it."))

    class Meta:
        model = ConsultationService
        fields = ["id", "centre", "kind", "name", "description", "appointment_length", "horizon", "topic_required",
                  "asks_device", "topic_confidential"]


class ConsultantRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FreeTimeSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    consultants = ConsultantRefSerializer(many=True, help_text=_("The consultants free then; book with one of "
                                                                 "them, or with none for whoever is free."))


class FreeTimesQuerySerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text=_("Only this local day."))
    consultant = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                          help_text=_("Only this consultant's times."))


class AppointmentSerializer(ApiModelSerializer):
    booking = serializers.IntegerField(source="booking_id", read_only=True,
                                       help_text=_("The booking of the consultant's agenda (cancel it there)."))
    organisation = serializers.IntegerField(source="booking.organisation_id", read_only=True)
    start = serializers.DateTimeField(source="booking.start", read_only=True)
    end = serializers.DateTimeField(source="booking.end", read_only=True)
    status = serializers.CharField(source="booking.status", read_only=True)
    consultant = ConsultantRefSerializer(read_only=True)
    topic = serializers.SerializerMethodField(help_text=_("Null where the caller may not read it."))
    device = serializers.SerializerMethodField(help_text=_("Null where the caller may not read it."))

    class Meta:
        model = Appointment
        fields = ["id", "booking", "service", "organisation", "consultant", "start", "end", "status", "topic",
                  "device", "outcome"]

    def _visible(self, appointment):
        return self.context["topic_visible"](appointment)

    def get_topic(self, appointment) -> str | None:
        return appointment.topic if self._visible(appointment) else None

    def get_device(self, appointment) -> str | None:
        return appointment.device if self._visible(appointment) else None


class AppointmentCreateSerializer(serializers.Serializer):
    service = StrictPrimaryKeyRelatedField(queryset=ConsultationService.objects.none())
    organisation = StrictPrimaryKeyRelatedField(queryset=Organisation.objects.none(),
                                                help_text=_("The organisation you book for."))
    start = LocalDateTimeField(help_text=_("One of the free times; without an offset it is read in the centre's "
                                           "time zone. The end follows from the service's appointment length."))
    consultant = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                          max_value=2**31 - 1,
                                          help_text=_("A consultant of the service; empty for whoever is free."))
    topic = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)
    device = StrictCharField(required=False, allow_blank=True, default="", max_length=200,
                             help_text=_("For IT help: the device or system."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        self.fields["service"].queryset = offered_consultations()
        if request is not None:
            self.fields["organisation"].queryset = visible_organisations(request.user)

    def validate(self, attrs):
        service = attrs["service"]
        attrs["start"] = in_zone(attrs["start"], service.centre.tz)
        if attrs["consultant"] is not None:
            consultant = service.consultants.filter(pk=attrs["consultant"], is_active=True).select_related(
                "centre", "resource", "user").first()
            if consultant is None:
                raise ValidationError({"consultant": ValidationError(
                    _("This person does not give this consultation."), code="does_not_exist")})
            attrs["consultant"] = consultant
        return attrs
# --- In-kind certificates -------------------------------------------------------------------

class CertificateLineSerializer(serializers.Serializer):
    """One resource at one rate: how much of it was used, and its value."""

    resource = serializers.CharField()
    kind = serializers.CharField()
    unit = serializers.ChoiceField(choices=["hour", "day", "night"])
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    rate = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class CertificateSerializer(serializers.ModelSerializer):
    """An issued certificate; its figures are fixed. `pdf_url` downloads it (`?lang=en` for English)."""

    reference = serializers.CharField(read_only=True, help_text=_("The number as the document shows it."))
    total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, help_text=_("PLN"))
    total_in_words = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = InKindCertificate
        fields = ["id", "reference", "number", "year", "centre", "organisation", "first_day", "last_day", "project",
                  "language", "lines", "total", "total_in_words", "issued_at", "replaces", "pdf_url"]
        read_only_fields = fields

    def get_total_in_words(self, certificate) -> str:
        return certificate.content["total_in_words"]["pl"]

    @extend_schema_field(CertificateLineSerializer(many=True))
    def get_lines(self, certificate):
        return certificate.content["lines"]

    def get_pdf_url(self, certificate) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:certificate-pdf", args=[certificate.pk]))


class AgreementSerializer(serializers.ModelSerializer):
    """An issued lending agreement; `pdf_url` downloads it."""

    reference = serializers.CharField(read_only=True, help_text=_("The number as the document shows it."))
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = LendingAgreement
        fields = ["id", "reference", "number", "year", "centre", "organisation", "language", "title", "text",
                  "issued_at", "pdf_url"]
        read_only_fields = fields

    def get_pdf_url(self, agreement) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:agreement-pdf", args=[agreement.pk]))
