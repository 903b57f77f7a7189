"""One error shape for every failure: {"code", "detail", "fields"} (and "conflicts" for a 409).

Booking refusals from the services (RuleViolation, BookingConflict, NotVisible), Django's ValidationError,
PermissionDenied and Http404, and DRF's own exceptions all come out the same way. A database that is away
or cut a statement off (DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT) is a 503 `database_unavailable`,
which a client may try again.
"""
import logging
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from booking.exceptions import BookingConflict, NotVisible, RuleViolation
from booking.selectors import visible_conflicts

from .serializers import ConflictSerializer, occurrence_reports

logger = logging.getLogger(__name__)


def error_body(code, detail, fields=None):
    return {"code": str(code), "detail": str(detail), "fields": fields or {}}


def flatten_fields(detail, prefix=""):
    """DRF's nested error detail as {"field": [...], "recurrence.rrule": [...]}; non-field errors under their key."""
    if isinstance(detail, Mapping):
        fields = {}
        for key, value in detail.items():
            fields.update(flatten_fields(value, f"{prefix}{key}."))
        return fields
    if isinstance(detail, list) and any(isinstance(item, (Mapping, list)) for item in detail):
        fields = {}
        for index, item in enumerate(detail):
            fields.update(flatten_fields(item, f"{prefix}{index}."))
        return fields
    key = prefix[:-1] or api_settings.NON_FIELD_ERRORS_KEY
    return {key: [str(item) for item in (detail if isinstance(detail, list) else [detail])]}


def first_error(detail):
    """The first ErrorDetail in a (possibly nested) DRF error detail."""
    if isinstance(detail, Mapping):
        detail = list(detail.values())
    if isinstance(detail, list):
        for item in detail:
            found = first_error(item)
            if found is not None:
                return found
        return None
    return detail


def refusal_response(exc, actor):
    """A booking refused by the services: 409 with the conflicts, or 400 naming the rule; a refused series adds
    its `occurrences`, the dates that cannot be booked."""
    if isinstance(exc, BookingConflict):
        body = error_body("conflict", exc.message)
        body["conflicts"] = ConflictSerializer(visible_conflicts(actor, exc.conflicts), many=True).data
        code = status.HTTP_409_CONFLICT
    else:
        body = error_body(exc.code, exc.message, {exc.field: [exc.message]} if exc.field else {})
        code = status.HTTP_400_BAD_REQUEST
    if hasattr(exc, "occurrences"):
        body["occurrences"] = occurrence_reports([], exc.occurrences, actor)
    return Response(body, status=code)


def exception_handler(exc, context):
    if isinstance(exc, (BookingConflict, RuleViolation)):
        return refusal_response(exc, context["request"].user)
    if isinstance(exc, OperationalError):
        logger.error("Database unavailable: %s", exc, exc_info=exc)
        set_rollback()
        return Response(error_body("database_unavailable", _("The database did not answer in time. Please try "
                                                             "again in a moment.")),
                        status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, NotVisible):  # the words of a serializer's id that names nothing (fields.NamedIdField)
        message = PrimaryKeyRelatedField.default_error_messages["does_not_exist"].format(pk_value=exc.pk)
        exc = exceptions.ValidationError({exc.field: [message]}, code="does_not_exist")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args, code=getattr(exc, "code", None))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        error = first_error(exc.detail)
        code = getattr(error, "code", None) or "invalid"
        response.data = error_body(code, error if error is not None else _("Invalid input."),
                                   flatten_fields(exc.detail))
    else:
        response.data = error_body(getattr(exc.detail, "code", exc.default_code), exc.detail)
    return response
