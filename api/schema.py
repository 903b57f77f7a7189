"""OpenAPI: every operation documents the error shape of api.exceptions for the failures it can meet."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from .serializers import ErrorSerializer

ERRORS = {
    "400": _("Invalid input or a broken rule; `code` names it."),
    "401": _("Not signed in, or the token is invalid."),
    "403": _("Signed in, but not allowed to do this."),
    "404": _("No such object, or not one the caller may see."),
    "429": _("Too many requests; retry after the time in `Retry-After`."),
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in ERRORS.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description), code, direction=direction)
        return responses


BOOKING_CREATE_EXAMPLES = [
    OpenApiExample(
        "A meeting in a room",
        request_only=True,
        value={"resource": 3, "organisation": 7, "start": "2025-03-04T17:00:00+01:00",
               "end": "2025-03-04T18:30:00+01:00", "title": "Zebranie zarządu", "purpose": "Monthly board meeting",
               "attendees": 8, "quantity": 1, "public": False},
    ),
    OpenApiExample(
        "Three beds for two nights, local time",
        description=_("Without an offset, times are read in the centre's time zone."),
        request_only=True,
        value={"resource": 11, "organisation": 7, "start": "2025-05-12T15:00:00", "end": "2025-05-14T10:00:00",
               "title": "Wyjazd szkoleniowy", "attendees": 3, "quantity": 3},
    ),
    OpenApiExample(
        "Created, awaiting approval",
        response_only=True,
        status_codes=["201"],
        value={"id": 42, "resource": 3, "organisation": 7, "start": "2025-03-04T17:00:00+01:00",
               "end": "2025-03-04T18:30:00+01:00", "status": "pending", "title": "Zebranie zarządu",
               "purpose": "Monthly board meeting", "attendees": 8, "quantity": 1, "public": False, "series": None,
               "created_by": 5, "created_at": "2025-02-20T10:12:31+01:00", "updated_at": "2025-02-20T10:12:31+01:00",
               "history": [{"at": "2025-02-20T10:12:31+01:00", "actor": 5, "from_status": "",
                            "to_status": "pending", "reason": ""}]},
    ),
    OpenApiExample(
        "A broken rule",
        response_only=True,
        status_codes=["400"],
        value={"code": "outside_opening_hours", "detail": "The centre is not open for the whole of this time.",
               "fields": {"start": ["The centre is not open for the whole of this time."]}},
    ),
    OpenApiExample(
        "The time is taken",
        response_only=True,
        status_codes=["409"],
        value={"code": "conflict", "detail": "This time is already booked.", "fields": {},
               "conflicts": [{"start": "2025-03-04T16:00:00+01:00", "end": "2025-03-04T18:00:00+01:00",
                              "title": None}]},
    ),
]
