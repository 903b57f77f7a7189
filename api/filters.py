"""Query filters. Timestamps without an offset are read in the centre's time zone where one centre is meant,
otherwise in the site's (TIME_ZONE)."""
from datetime import UTC
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import ChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from booking.localtime import EARLIEST, LATEST
from booking.models import Booking, BookingStatus, Centre, Resource
from booking.search import free_throughout

from .fields import in_zone
from .serializers import check_window

MAX_ID = 2**63 - 1


class GivenValueMixin:
    """A parameter that is present must carry a value: `?start=` is an error, not "no filter"."""

    def clean(self, value):
        if isinstance(value, str) and not value.strip():
            raise ValidationError(_("Give a value, or leave the parameter out."), code="blank")
        return super().clean(value)


class IdField(GivenValueMixin, forms.IntegerField):
    """Digits only: Django's IntegerField would also take "1.0" or " 1"."""

    def to_python(self, value):
        if value not in self.empty_values and not (isinstance(value, str) and value.isascii() and value.isdigit()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class GivenChoiceField(GivenValueMixin, ChoiceField):
    pass


class TimestampField(GivenValueMixin, forms.Field):
    """ISO 8601, kept naive when it comes without an offset (the filter set decides the time zone)."""

    default_error_messages = {
        "invalid": _("Give a date and time in ISO 8601, e.g. 2025-03-04T17:00:00+01:00."),
        "out_of_range": _("Give a time between 1970 and 2999."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
            in_utc = in_zone(parsed, UTC).astimezone(UTC)
        except OverflowError:
            in_utc = None
        if in_utc is None or not EARLIEST < in_utc < LATEST:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return parsed if timezone.is_naive(parsed) else in_utc


@extend_schema_field(OpenApiTypes.DATETIME)  # its description comes from the view
class TimestampFilter(filters.Filter):
    field_class = TimestampField


@extend_schema_field({"type": "integer", "minimum": 0})
class IdFilter(filters.NumberFilter):
    field_class = IdField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class ChoiceFilter(filters.ChoiceFilter):
    field_class = GivenChoiceField


class ResourceFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("available_from"), data.get("available_to")
        if (start is None) != (end is None):
            missing = "available_to" if end is None else "available_from"
            raise ValidationError({missing: ValidationError(
                _("Give both available_from and available_to."), code="required")})
        if start is not None:
            centre = Centre.objects.filter(pk=data.get("centre")).first() if data.get("centre") else None
            tz = centre.tz if centre else ZoneInfo(settings.TIME_ZONE)
            data["available_from"], data["available_to"] = in_zone(start, tz), in_zone(end, tz)
            check_window(data["available_from"], data["available_to"],
                         start_field="available_from", end_field="available_to")
        return data


class ResourceFilter(filters.FilterSet):
    centre = IdFilter(field_name="centre_id")
    kind = ChoiceFilter(choices=Resource.Kind.choices)
    min_capacity = IdFilter(field_name="capacity", lookup_expr="gte")
    available_from = TimestampFilter(method="filter_available")
    available_to = TimestampFilter(method="filter_available")

    class Meta:
        model = Resource
        fields = ["centre", "kind", "min_capacity", "available_from", "available_to"]
        form = ResourceFilterForm

    def filter_available(self, queryset, name, value):
        # Both bounds are needed at once: applied in filter_queryset, after the other filters.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        start, end = self.form.cleaned_data.get("available_from"), self.form.cleaned_data.get("available_to")
        if start is None:
            return queryset
        return free_throughout(actor=self.request.user, resources=queryset, start=start, end=end)


class BookingFilter(filters.FilterSet):
    status = ChoiceFilter(choices=BookingStatus.choices)
    resource = IdFilter(field_name="resource_id")
    organisation = IdFilter(field_name="organisation_id")
    start = TimestampFilter(method="filter_ends_after")
    end = TimestampFilter(method="filter_starts_before")

    class Meta:
        model = Booking
        fields = ["status", "resource", "organisation", "start", "end"]

    def filter_ends_after(self, queryset, name, value):
        return queryset.filter(end__gt=in_zone(value, ZoneInfo(settings.TIME_ZONE)))

    def filter_starts_before(self, queryset, name, value):
        return queryset.filter(start__lt=in_zone(value, ZoneInfo(settings.TIME_ZONE)))
