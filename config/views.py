"""Site-wide views that belong to no app."""
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from api.exceptions import error_body


def server_error(request):
    """Django's last resort (handler500): API callers get the API's error shape, people the error page."""
    if request.path.startswith("/api/"):
        detail = _("Something went wrong on our side. Please try again in a moment; if it happens again, "
                   "contact the centre.")
        return JsonResponse(error_body("server_error", detail), status=500)
    return defaults.server_error(request)
