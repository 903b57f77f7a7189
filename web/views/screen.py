"""Pages for the centre's entrance and doors: the reception screen (and the JSON it polls) and a room's door sign.

No login: they show only what anyone may see (`booking.screen`, `booking.qrcodes`).
"""
import hashlib
import json

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from booking.formatting import long_date
from booking.models import Centre, Resource
from booking.qrcodes import qr_svg, resource_week_url
from booking.screen import screen_day


def _centre(pk):
    return get_object_or_404(Centre.objects.prefetch_related("opening_hours"), pk=pk)


def _booking_data(booking):
    return None if booking is None else {
        "start": booking.start, "end": booking.end, "who": booking.organisation or _("Booking"),
        "title": booking.title or "", "now": booking.now, "over": booking.over,
    }


def screen_data_of(day):
    """What the screen shows, as the JSON it polls: texts as the page writes them, nothing more."""
    closures = []
    for closure in day.closures:
        if closure.start and closure.end:
            when = f"{closure.start}–{closure.end}"
        elif closure.start:
            when = _("from %(time)s") % {"time": closure.start}
        elif closure.end:
            when = _("until %(time)s") % {"time": closure.end}
        else:
            when = _("all day")
        closures.append(f"{closure.room or _('The whole centre')}: {closure.reason} ({when})")
    if day.holiday:
        closures.insert(0, _("Public holiday: %(name)s") % {"name": day.holiday})
    return {
        "today": long_date(day.day),
        "hours": _("Open today: %(hours)s") % {"hours": ", ".join(day.hours)} if day.hours else _("Closed today"),
        "closures": closures,
        "rooms": [{"id": room.pk, "name": room.name, "now": _booking_data(room.current),
                   "next": _booking_data(room.next), "bookings": [_booking_data(b) for b in room.bookings]}
                  for room in day.rooms],
    }


@require_safe
def reception_screen(request, pk):
    centre = _centre(pk)
    data = screen_data_of(screen_day(centre, now=timezone.now()))
    return render(request, "web/screen.html", {
        "centre": centre, "screen": data, "refresh_seconds": settings.SCREEN_REFRESH_SECONDS,
    })


@require_safe
def screen_data(request, pk):
    """The screen's content as JSON, polled by web/static/web/screen.js. Cached publicly for half the polling
    interval; the ETag is the body's, so a screen whose day has not changed gets a 304."""
    centre = _centre(pk)
    body = json.dumps(screen_data_of(screen_day(centre, now=timezone.now())), ensure_ascii=False).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Content-Language"] = translation.get_language()
    patch_cache_control(response, public=True, max_age=max(1, settings.SCREEN_REFRESH_SECONDS // 2))
    return response


@require_safe
def door_sign(request, pk):
    """A room's door sign to print (A4, or A5 with `?size=a5`): name, capacity, equipment and a QR code of its
    week page."""
    resource = get_object_or_404(Resource.objects.select_related("centre"), pk=pk, is_active=True)
    size = "a5" if request.GET.get("size") == "a5" else "a4"
    url = resource_week_url(resource)
    return render(request, "web/door_sign.html", {
        "resource": resource, "centre": resource.centre, "size": size, "url": url, "qr": qr_svg(url),
    })
