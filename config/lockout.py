"""The answer to a login refused by django-axes (AXES_LOCKOUT_CALLABLE): after AXES_FAILURE_LIMIT wrong passwords
for one username or from one address, every login there is refused until AXES_COOLOFF_TIME has passed since
the last try. The API answers in its error shape; the web and admin login show a page."""
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from api.exceptions import error_body

STATUS = 429


def locked_out(request, original_response=None, credentials=None):
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = max(1, seconds // 60)
    message = ngettext(
        "Too many wrong passwords. Logging in to this account or from this address is paused for %(minutes)d "
        "minute; please try again later.",
        "Too many wrong passwords. Logging in to this account or from this address is paused for %(minutes)d "
        "minutes; please try again later.",
        minutes,
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("locked_out", message), status=STATUS, headers={"Retry-After": str(seconds)})
    response = render(request, "registration/locked_out.html", {"message": message}, status=STATUS)
    response["Retry-After"] = str(seconds)
    return response
