"""Template helpers of the web pages: accessible form widgets, the centre's details, the staff menu."""
from datetime import time, timedelta

from django import template
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from booking.models import Centre
from booking.recurrence import describe
from booking.selectors import staffed_centres

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


def opening_hours_lines(hours):
    """Weekly hours as short lines, neighbouring days with equal hours joined: 'Mon–Thu 07:00–18:00'."""
    by_day = {day: [] for day in range(7)}
    for interval in hours:
        by_day[interval.weekday].append(f"{interval.opens:%H:%M}–{interval.closes:%H:%M}")
    groups = []
    for day in range(7):
        text = ", ".join(sorted(by_day[day])) or _("closed")
        if groups and groups[-1][2] == text:
            groups[-1][1] = day
        else:
            groups.append([day, day, text])
    lines = []
    for first, last, text in groups:
        days = WEEKDAYS_ABBR[first] if first == last else f"{WEEKDAYS_ABBR[first]}–{WEEKDAYS_ABBR[last]}"
        label = WEEKDAYS[first] if first == last else f"{WEEKDAYS[first]} – {WEEKDAYS[last]}"
        lines.append({"days": days, "days_label": label, "hours": text})
    return lines


@register.inclusion_tag("web/includes/centre_info.html", takes_context=True)
def centre_info(context):
    """The page's centre, or every centre, with address and opening hours (shown on every page)."""
    centre = context.get("centre")
    if centre is not None:
        centres = [centre]
    else:
        centres = list(Centre.objects.prefetch_related("opening_hours"))
    return {"centres": [(c, opening_hours_lines(c.opening_hours.all())) for c in centres]}


@register.simple_tag(takes_context=True)
def user_is_centre_staff(context):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    if not hasattr(request, "_is_centre_staff"):
        request._is_centre_staff = staffed_centres(request.user).exists()
    return request._is_centre_staff


def span_label(start, end, tz):
    """A booking's time in the centre's words: '14 May 2025, 10:00–11:00', whole days, or a stay."""
    start, end = start.astimezone(tz), end.astimezone(tz)
    if start.date() == end.date():
        return f"{date_format(start.date(), 'l, j E Y')}, {start:%H:%M}–{end:%H:%M}"
    if start.time() == end.time() == time(0):
        last = end.date() - timedelta(days=1)
        if last == start.date():
            return _("%(day)s, whole day") % {"day": date_format(start.date(), "l, j E Y")}
        return f"{date_format(start.date(), 'j E Y')} – {date_format(last, 'j E Y')}"
    return f"{date_format(start.date(), 'j E Y')}, {start:%H:%M} – {date_format(end.date(), 'j E Y')}, {end:%H:%M}"


@register.filter
def when(booking):
    """`{{ booking|when }}`: its time in its centre's time zone."""
    return span_label(booking.start, booking.end, booking.resource.centre.tz)


def series_pattern(series, tz):
    """How often and when a series meets: 'every Tuesday 17:00–19:00' (hours only for meetings within a day)."""
    start = series.local_start.astimezone(tz)
    end = start.replace(tzinfo=None) + series.duration
    hours = f"{start:%H:%M}–{end:%H:%M}" if end.date() == start.date() else ""
    return " ".join(part for part in (describe(series.rrule, start.date()), hours) if part)


@register.filter
def repeats(booking):
    """`{{ booking|repeats }}`: how its series meets, in its centre's time zone."""
    return series_pattern(booking.series, booking.resource.centre.tz)


@register.filter
def series_request(series):
    """`{{ series|series_request }}`: a series' pending `meetings` in words: 'every Tuesday 17:00–19:00,
    10 meetings, from 3 December 2026 to 4 February 2027'."""
    tz = series.resource.centre.tz
    first, last = series.meetings[0].start.astimezone(tz).date(), series.meetings[-1].start.astimezone(tz).date()
    count = len(series.meetings)
    parts = [series_pattern(series, tz),
             ngettext("%(count)d meeting", "%(count)d meetings", count) % {"count": count}]
    if count > 1:
        parts.append(_("from %(first)s to %(last)s") % {
            "first": date_format(first, "j E" if first.year == last.year else "j E Y"),
            "last": date_format(last, "j E Y")})
    else:
        parts.append(date_format(first, "j E Y"))
    return ", ".join(part for part in parts if part)
