"""Timestamps: ISO 8601 with an offset, or without one to be read in the centre's time zone."""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from booking.localtime import EARLIEST, LATEST


class LocalDateTimeField(serializers.DateTimeField):
    """A timestamp whose naive form stays naive here; `in_zone` then reads it in the right time zone."""

    default_error_messages = {
        "out_of_range": _("Give a time between 1970 and 2999."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("ISO 8601; without an offset it is read in the centre's time zone."))
        super().__init__(**kwargs)

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            if not EARLIEST.replace(tzinfo=None) < value < LATEST.replace(tzinfo=None):
                self.fail("out_of_range")
            return value
        value = super().enforce_timezone(value)
        if not EARLIEST < value < LATEST:
            self.fail("out_of_range")
        return value


def in_zone(value, tz):
    """`value` made aware in `tz` if it came without an offset (a wall-clock time at the centre)."""
    if value is None or timezone.is_aware(value):
        return value
    return value.replace(tzinfo=tz)


# JSON is typed: a number is not a string, nor a string a number. DRF coerces by default (it serves forms too);
# these fields keep to the types the schema documents.

class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # DRF trims before it checks the length; the documented maxLength is of what the caller sent.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null (for HTML forms); in JSON an id is a number or null.
        if data == "":
            self.fail("incorrect_type", data_type="str")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class NamedIdField(StrictPrimaryKeyRelatedField):
    """An id that the service reads itself, in a statement it runs anyway (booking creation: with the resource's
    lock), so the request spends none on it: checked here for its type only. The service refuses one that does not
    exist or that the caller may not see (booking.exceptions.NotVisible) in the words of `does_not_exist`."""

    MAX_ID = 2**63 - 1  # a database's bigint: a larger number names nothing

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= self.MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return data


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}$", "example": "07:00:00"})
class WallClockTimeField(serializers.TimeField):
    """A local time of day, "HH:MM:SS" (JSON Schema's `time` format would demand an offset)."""


@extend_schema_field({"oneOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]})
class DateOrDateTimeField(serializers.Field):
    """A date (its local midnight is meant) or a date-time, naive ones read in the centre's time zone."""

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) == len("2027-01-31"):
            return serializers.DateField().run_validation(data)
        return LocalDateTimeField().run_validation(data)

    def to_representation(self, value):
        return value.isoformat()
