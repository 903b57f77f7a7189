"""Dates, spans and opening hours in the centre's words, in the active language: one wording for the web pages
and the e-mails alike (the template tags in `web` and the messages in `notifications` both call these).

Times are 24-hour "HH:MM", zero-padded, as the week page and the time inputs show them. Each function takes
aware date-times and the centre's time zone, or local dates and times.
"""
from datetime import time, timedelta

from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .recurrence import describe


def clock(value):
    """'07:00': a time, or a date-time's time as it stands."""
    return f"{value:%H:%M}"


def long_date(value):
    """'Tuesday, 1 December 2026'."""
    return date_format(value, "l, j E Y")


def short_date(value):
    """'1 December 2026'."""
    return date_format(value, "j E Y")


def span_label(start, end, tz):
    """A booking's time: 'Tuesday, 1 December 2026, 10:00–11:00'; 'Tuesday, 1 December 2026, whole day';
    'Tuesday, 1 December 2026 – Thursday, 3 December 2026' for whole days; a stay with both days and times."""
    start, end = start.astimezone(tz), end.astimezone(tz)
    if start.date() == end.date():
        return f"{long_date(start)}, {clock(start)}–{clock(end)}"
    if start.time() == end.time() == time(0):
        last = end.date() - timedelta(days=1)
        if last == start.date():
            return _("%(day)s, whole day") % {"day": long_date(start)}
        return f"{long_date(start)} – {long_date(last)}"
    return f"{long_date(start)}, {clock(start)} – {long_date(end)}, {clock(end)}"


def moment_label(value, tz):
    """A start in few words, for a subject line: '1 December 2026, 10:00', or just the day at midnight."""
    value = value.astimezone(tz)
    return short_date(value) if value.time() == time(0) else f"{short_date(value)}, {clock(value)}"


def opening_hours(rows):
    """The weekly hours of OpeningHours `rows`, neighbouring days with equal hours joined, as dicts:
    `days` ('Mon–Thu'), `days_label` ('Monday–Thursday'), `hours` ('07:00–11:00, 12:00–14:00' or 'closed')."""
    by_day = {day: [] for day in range(7)}
    for row in sorted(rows, key=lambda row: (row.weekday, row.opens)):
        by_day[row.weekday].append(f"{clock(row.opens)}–{clock(row.closes)}")
    groups = []
    for day in range(7):
        hours = ", ".join(by_day[day]) or _("closed")
        if groups and groups[-1][2] == hours:
            groups[-1][1] = day
        else:
            groups.append([day, day, hours])
    return [{"days": WEEKDAYS_ABBR[first] if first == last else f"{WEEKDAYS_ABBR[first]}–{WEEKDAYS_ABBR[last]}",
             "days_label": WEEKDAYS[first] if first == last else f"{WEEKDAYS[first]}–{WEEKDAYS[last]}",
             "hours": hours}
            for first, last, hours in groups]


def opening_hours_text(rows):
    """The same hours as lines of text: 'Monday–Thursday: 07:00–18:00'."""
    return [f"{line['days_label']}: {line['hours']}" for line in opening_hours(rows)]


def series_pattern(series, tz):
    """How often and when a series meets: 'every Tuesday 17:00–19:00' (hours only for meetings within a day)."""
    start = series.local_start.astimezone(tz)
    end = start.replace(tzinfo=None) + series.duration
    hours = f"{clock(start)}–{clock(end)}" if end.date() == start.date() else ""
    return " ".join(part for part in (describe(series.rrule, start.date()), hours) if part)


def series_summary(series, meetings, tz):
    """A series with its `meetings` (by start) in words: 'every Tuesday 17:00–19:00, 10 meetings, from
    3 December 2026 to 4 February 2027'."""
    first, last = meetings[0].start.astimezone(tz).date(), meetings[-1].start.astimezone(tz).date()
    count = len(meetings)
    parts = [series_pattern(series, tz),
             ngettext("%(count)d meeting", "%(count)d meetings", count) % {"count": count}]
    if count > 1:
        parts.append(_("from %(first)s to %(last)s") % {
            "first": date_format(first, "j E" if first.year == last.year else "j E Y"), "last": short_date(last)})
    else:
        parts.append(short_date(first))
    return ", ".join(part for part in parts if part)
