"""Recurring bookings in the API: the `recurrence` of POST /bookings/, and /series/{id}/ with its actions.

`POST /bookings/` with a `recurrence` object hands over to `create_series_response`; `?dry_run=1` answers
the occurrences and which would be refused, writing nothing. A refused series answers like a refused booking
(400 with the rule's code, 409 with the conflicts) plus `occurrences`: the dates that cannot be booked.
"""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from booking import series as series_services
from booking.models import Booking, BookingSeries
from booking.selectors import title_visibility, visible_series

from .exceptions import exception_handler
from .fields import LocalDateTimeField, StrictCharField
from .serializers import ConflictErrorSerializer, ConflictSerializer, ErrorSerializer

DRY_RUN = OpenApiParameter(
    "dry_run", OpenApiTypes.BOOL, description=_("With a `recurrence`: answer which dates would be booked and which "
                                                "refused, and write nothing."),
)


def wants_dry_run(request):
    return request.query_params.get("dry_run", "").lower() in {"1", "true", "yes"}


@extend_schema_field({"oneOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]})
class DateOrDateTimeField(serializers.Field):
    """A date (its local midnight is meant) or a date-time, naive ones read in the centre's time zone."""

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) == len("2027-01-31"):
            return serializers.DateField().run_validation(data)
        return LocalDateTimeField().run_validation(data)

    def to_representation(self, value):
        return value.isoformat()


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


class SeriesReasonSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)


class SeriesRejectSerializer(SeriesReasonSerializer):
    reason = StrictCharField(max_length=2000, help_text=_("Required: the organisation is told why."))


class SeriesDetailsSerializer(serializers.Serializer):
    title = StrictCharField(required=False, max_length=200)
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
    mode = serializers.ChoiceField(choices=BookingSeries.Mode.choices)
    rrule = serializers.CharField()
    refused = serializers.BooleanField(help_text=_("Whether the series would be refused as a whole."))
    occurrences = OccurrenceReportSerializer(many=True)


class SeriesRefusalSerializer(ErrorSerializer):
    occurrences = OccurrenceReportSerializer(
        many=True, required=False, help_text=_("With a `recurrence`: the dates that cannot be booked."))


class SeriesConflictSerializer(ConflictErrorSerializer):
    occurrences = OccurrenceReportSerializer(
        many=True, required=False, help_text=_("With a `recurrence`: the dates that cannot be booked."))


def occurrence_reports(result_or_refusal, user):
    """Booked and refused dates in time order, conflicts titled only where `user` may see them."""
    visible = title_visibility(user)
    skipped = getattr(result_or_refusal, "skipped", None) or getattr(result_or_refusal, "occurrences", [])
    reports = [{
        "start": start, "end": end, "bookable": refused is None,
        "code": refused and refused.code, "detail": refused and refused.message,
        "conflicts": [{"start": b.start, "end": b.end, "title": b.title if visible(b) else None}
                      for b in sorted(refused.conflicts if refused else [], key=lambda b: b.start)],
    } for start, end, refused in series_services.dates_in_order(getattr(result_or_refusal, "bookings", []), skipped)]
    return OccurrenceReportSerializer(reports, many=True).data


# For the schema of POST /bookings/: what a `recurrence` adds to its answers.
SERIES_CREATE_RESPONSES = {
    201: SeriesSerializer,
    200: DryRunSerializer,
    400: SeriesRefusalSerializer,
    409: SeriesConflictSerializer,
}


def create_series_response(request, data, recurrence):
    """Create (or with `?dry_run=1` preview) a series from a validated POST /bookings/ payload.

    `data` holds what BookingCreateSerializer validates (resource, organisation, aware start and end, title...),
    `recurrence` its validated `recurrence` object.
    """
    dry_run = wants_dry_run(request)
    try:
        result = series_services.create_series(
            user=request.user, resource=data["resource"], organisation=data["organisation"], start=data["start"],
            end=data["end"], rrule=recurrence["rrule"], mode=recurrence["mode"], title=data["title"],
            purpose=data.get("purpose", ""), attendees=data.get("attendees", 1), quantity=data.get("quantity", 1),
            public=data.get("public", False), override_reason=data.get("override_reason", ""), dry_run=dry_run,
        )
    except (series_services.SeriesRuleViolation, series_services.SeriesConflict) as refusal:
        response = exception_handler(refusal, {"request": request})
        response.data["occurrences"] = occurrence_reports(refusal, request.user)
        return response
    if dry_run:
        return Response(DryRunSerializer({
            "dry_run": True, "mode": result.series.mode, "rrule": result.series.rrule, "refused": result.refused,
            "occurrences": occurrence_reports(result, request.user),
        }).data)
    return Response(SeriesSerializer(result.series).data, status=status.HTTP_201_CREATED)


@extend_schema_view(retrieve=extend_schema(summary=_("One booking series with its meetings")))
class SeriesViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A recurring booking. Members see their organisations' series, staff their centres'."""

    serializer_class = SeriesSerializer

    def get_queryset(self):
        return visible_series(self.request.user).order_by("pk")

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _answer(self, series):
        return Response(SeriesSerializer(series, context=self.get_serializer_context()).data)

    @extend_schema(summary=_("Change the title or purpose of every future meeting of a series"),
                   request=SeriesDetailsSerializer, responses=SeriesSerializer)
    def partial_update(self, request, pk=None):
        series = self.get_object()
        data = self._input(SeriesDetailsSerializer)
        series_services.update_series_details(series=series, user=request.user, title=data.get("title"),
                                              purpose=data.get("purpose"))
        series.refresh_from_db()
        return self._answer(series)

    @extend_schema(summary=_("Cancel a series, or its meetings from a date on"), request=SeriesCancelSerializer,
                   responses=SeriesSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        series = self.get_object()
        data = self._input(SeriesCancelSerializer)
        series_services.cancel_series(series=series, user=request.user, reason=data["reason"],
                                      from_date=data.get("from"))
        return self._answer(series)

    @extend_schema(summary=_("Approve every pending meeting of a series (staff of its centre)"),
                   request=SeriesReasonSerializer, responses=SeriesSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        series = self.get_object()
        data = self._input(SeriesReasonSerializer)
        series_services.approve_series(series=series, user=request.user, reason=data["reason"])
        return self._answer(series)

    @extend_schema(summary=_("Reject every pending meeting of a series (staff of its centre)"),
                   request=SeriesRejectSerializer, responses=SeriesSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        series = self.get_object()
        data = self._input(SeriesRejectSerializer)
        series_services.reject_series(series=series, user=request.user, reason=data["reason"])
        return self._answer(series)
