"""Template helpers of the web pages: accessible form widgets, the centre's details, the staff menu, and
filters that show bookings and series in the words of `booking.formatting` (which the e-mails use too)."""
from django import template
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, Subquery, Value

from booking.formatting import clock, opening_hours, series_pattern, series_summary, short_date, span_label
from booking.models import Centre
from booking.selectors import own_consultant_roles, staffed_centres
from booking.wording import asks_attendees, booked_quantity, free_text
from ngo.letters import letters_to_collect

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


def _header_facts(request):
    """What the header shows of the person, asked once per request and in one query: whether they are staff of a
    centre (the staff menu), whether they give consultations (their day) and how many letters wait for their
    organisations (the count)."""
    if not hasattr(request, "_header_facts"):
        user = request.user
        waiting = (letters_to_collect(user).order_by().annotate(one=Value(1)).values("one")
                   .annotate(count=Count("pk")).values("count"))
        facts = get_user_model().objects.filter(pk=user.pk).annotate(
            staff=Exists(staffed_centres(user)), consultant=Exists(own_consultant_roles(user)),
            letters=Subquery(waiting, output_field=IntegerField()),
        ).values("staff", "consultant", "letters").first() or {}
        request._header_facts = {"staff": bool(facts.get("staff")), "consultant": bool(facts.get("consultant")),
                                 "letters": facts.get("letters") or 0}
    return request._header_facts


@register.simple_tag(takes_context=True)
def user_is_centre_staff(context):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    return _header_facts(request)["staff"]


@register.simple_tag(takes_context=True)
def user_is_consultant(context):
    """Whether the visitor gives consultations somewhere (the menu then links their day)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    return _header_facts(request)["consultant"]


@register.filter
def local_clock(moment, tz):
    """`{{ moment|local_clock:tz }}`: the time of day of an aware instant in the time zone `tz`."""
    return clock(moment.astimezone(tz))


@register.filter
def minutes(duration):
    """`{{ duration|minutes }}`: a timedelta in whole minutes."""
    return int(duration.total_seconds() // 60)


@register.simple_tag(takes_context=True)
def letters_to_collect_count(context):
    """How many letters wait for the person's organisations (the header's count)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return _header_facts(request)["letters"]


@register.filter
def centre_hours(centre):
    """`{{ centre|centre_hours }}`: its opening hours as lines (days, hours), from the prefetched rows."""
    return opening_hours(centre.opening_hours.all()) if centre is not None else []


@register.filter
def when(booking):
    """`{{ booking|when }}`: its time in its centre's time zone."""
    return span_label(booking.start, booking.end, booking.resource.centre.tz)


@register.filter
def quantity(booking):
    """`{{ booking|quantity }}`: '2 lockers' when its resource has several units, else ''."""
    return booked_quantity(booking)


@register.filter
def free_of(resource, free):
    """`{{ resource|free_of:cell.units }}`: 'Free lockers: 3 of 8'."""
    return free_text(resource.kind, free, resource.units)


@register.filter
def has_attendees(resource):
    """`{% if resource|has_attendees %}`: whether people are counted for its kind (rooms, not lockers)."""
    return asks_attendees(resource.kind)


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


@register.filter
def offer_until(entry):
    """`{{ entry|offer_until }}`: until when a waitlist offer is held, day and time in its centre's time zone."""
    until = entry.offer_expires_at.astimezone(entry.resource.centre.tz)
    return f"{short_date(until)}, {clock(until)}"
