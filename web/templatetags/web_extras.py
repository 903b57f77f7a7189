"""Template helpers of the web pages: accessible form widgets, the centre's details, the staff menu, and
filters that show bookings and series in the words of `booking.formatting` (which the e-mails use too)."""
from django import template

from booking.formatting import clock, opening_hours, series_pattern, series_summary, span_label
from booking.models import Centre
from booking.selectors import own_consultant_roles, staffed_centres

register = template.Library()


@register.simple_tag
def field_widget(bound_field, describedby=""):
    """The field's widget, pointing at its help text and errors (`aria-describedby`) and flagged when invalid."""
    ids = [describedby] if describedby else []
    attrs = {}
    if bound_field.help_text:
        ids.append(f"{bound_field.auto_id}_helptext")
    if bound_field.errors:
        ids.append(f"{bound_field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    return bound_field.as_widget(attrs=attrs)


@register.inclusion_tag("web/includes/centre_info.html", takes_context=True)
def centre_info(context):
    """The page's centre, or every centre, with address and opening hours (shown on every page)."""
    centre = context.get("centre")
    if centre is not None:
        centres = [centre]
    else:
        centres = list(Centre.objects.prefetch_related("opening_hours"))
    return {"centres": [(c, opening_hours(c.opening_hours.all())) for c in centres]}


@register.simple_tag(takes_context=True)
def user_is_centre_staff(context):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    if not hasattr(request, "_is_centre_staff"):
        request._is_centre_staff = staffed_centres(request.user).exists()
    return request._is_centre_staff


@register.simple_tag(takes_context=True)
def user_is_consultant(context):
    """Whether the visitor gives consultations somewhere (the menu then links their day)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    if not hasattr(request, "_is_consultant"):
        request._is_consultant = own_consultant_roles(request.user).exists()
    return request._is_consultant


@register.filter
def local_clock(moment, tz):
    """`{{ moment|local_clock:tz }}`: the time of day of an aware instant in the time zone `tz`."""
    return clock(moment.astimezone(tz))


@register.filter
def minutes(duration):
    """`{{ duration|minutes }}`: a timedelta in whole minutes."""
    return int(duration.total_seconds() // 60)


@register.filter
def when(booking):
    """`{{ booking|when }}`: its time in its centre's time zone."""
    return span_label(booking.start, booking.end, booking.resource.centre.tz)


@register.filter
def repeats(booking):
    """`{{ booking|repeats }}`: how its series meets, in its centre's time zone."""
    return series_pattern(booking.series, booking.resource.centre.tz)


@register.filter
def series_request(series):
    """`{{ series|series_request }}`: a series with its pending `meetings`, in words."""
    return series_summary(series, series.meetings, series.resource.centre.tz)


@register.filter
def closure_when(closure):
    """`{{ closure|closure_when }}`: its time in its centre's time zone; whole days as dates, the last included."""
    return span_label(closure.start, closure.end, closure.centre.tz)
