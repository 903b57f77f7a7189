"""Recurring bookings: RFC 5545 RRULEs read, checked and expanded in the centre's local time.

Only what the centre's groups need is accepted: `FREQ=DAILY|WEEKLY|MONTHLY` with `INTERVAL`, `BYDAY` (ordinals
such as `2TU` or `-1FR` only with MONTHLY, as RFC 5545 says), `BYMONTHDAY` (not with WEEKLY), `WKST`, and one of
`COUNT` or `UNTIL`: a series always ends, with at most `MAX_OCCURRENCES` meetings within `MAX_SPAN` of the first.
`UNTIL` may be a date (meetings on that local day included), a local date-time, or a UTC date-time (`...Z`).
The first meeting (the booking's start) must itself be an occurrence of the rule.

Time: the rule is expanded from the first meeting's local wall time with an aware `ZoneInfo` start, so a meeting
at 17:00 stays at 17:00 after the clocks change (its UTC time moves by an hour). Each occurrence keeps the first
one's local wall-clock length too, so a 17:00-19:00 meeting ends at 19:00 and a whole-day booking stays
midnight to midnight even on the 23- or 25-hour days.

A local time that does not exist (02:30 on the last Sunday of March in Warsaw) is read with the UTC offset in
force before the gap, as RFC 5545 §3.3.5 prescribes, which moves it forward by the length of the gap (to 03:30).
A local time that occurs twice (02:30 on the last Sunday of October) means its first occurrence (summer time).
Should the gap swallow a whole occurrence (02:30-03:00 has no local end after its shifted start), it keeps the
first occurrence's elapsed length instead (03:30-04:00).
The centre is closed at those hours, so in practice only whole-day bookings meet the change, at midnight, which
exists once in Warsaw.
"""
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, rrule
from django.db.models import TextChoices
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from .exceptions import RuleViolation

MAX_OCCURRENCES = 200
MAX_SPAN = relativedelta(years=1)
FIELD = "recurrence"

FREQUENCIES = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY}
WEEKDAYS = {"MO": MO, "TU": TU, "WE": WE, "TH": TH, "FR": FR, "SA": SA, "SU": SU}
PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "WKST", "COUNT", "UNTIL")
BYDAY_VALUE = re.compile(r"([+-]?\d{1,2})?([A-Z]{2})")
UNTIL_VALUE = re.compile(r"(\d{8})(?:T(\d{6})(Z?))?")
DAY_CODES = list(WEEKDAYS)  # MO..SU, in Python's weekday() order
EVERY_WEEKDAY = {
    "MO": gettext_lazy("every Monday"), "TU": gettext_lazy("every Tuesday"),
    "WE": gettext_lazy("every Wednesday"), "TH": gettext_lazy("every Thursday"),
    "FR": gettext_lazy("every Friday"), "SA": gettext_lazy("every Saturday"), "SU": gettext_lazy("every Sunday"),
}
WEEKDAY_NAMES = {  # within a sentence: lower case in Polish
    "MO": pgettext_lazy("in a sentence", "Monday"), "TU": pgettext_lazy("in a sentence", "Tuesday"),
    "WE": pgettext_lazy("in a sentence", "Wednesday"), "TH": pgettext_lazy("in a sentence", "Thursday"),
    "FR": pgettext_lazy("in a sentence", "Friday"), "SA": pgettext_lazy("in a sentence", "Saturday"),
    "SU": pgettext_lazy("in a sentence", "Sunday"),
}
ORDINALS = {1: gettext_lazy("1st"), 2: gettext_lazy("2nd"), 3: gettext_lazy("3rd"), 4: gettext_lazy("4th"),
            5: gettext_lazy("5th")}


def _invalid(message):
    return RuleViolation("invalid_rrule", message, FIELD)


@dataclass(frozen=True)
class RecurrenceRule:
    """A parsed, validated RRULE. `until` is a date, a naive local date-time or an aware UTC date-time."""

    freq: str
    interval: int = 1
    byday: tuple[tuple[int | None, str], ...] = ()
    bymonthday: tuple[int, ...] = ()
    wkst: str | None = None
    count: int | None = None
    until: date | datetime | None = None

    def until_instant(self, tz):
        """The aware instant UNTIL stands for in time zone `tz` (inclusive), or None."""
        if self.until is None:
            return None
        if isinstance(self.until, datetime):
            return self.until if self.until.tzinfo else self.until.replace(tzinfo=tz)
        return datetime.combine(self.until, time.max, tzinfo=tz)

    def as_text(self, tz):
        """The rule as RFC 5545 text, UNTIL in UTC as the RFC requires with a zoned start."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.byday:
            parts.append("BYDAY=" + ",".join(f"{n or ''}{day}" for n, day in self.byday))
        if self.bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(str(day) for day in self.bymonthday))
        if self.wkst:
            parts.append(f"WKST={self.wkst}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append("UNTIL=" + self.until_instant(tz).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
        return ";".join(parts)

    def _rrule(self, dtstart, until):
        """dateutil's rule up to `until`; COUNT is applied by the caller (dateutil refuses COUNT with UNTIL)."""
        return rrule(
            FREQUENCIES[self.freq], dtstart=dtstart, interval=self.interval, until=until,
            wkst=WEEKDAYS[self.wkst] if self.wkst else None,
            byweekday=[WEEKDAYS[day](n) if n else WEEKDAYS[day] for n, day in self.byday] or None,
            bymonthday=list(self.bymonthday) or None,
        )


def _number(name, value, high, signed=False):
    """A whole number from 1 to `high`, or (when `signed`) from -`high` to -1."""
    if not re.fullmatch(r"[+-]?\d{1,4}" if signed else r"\+?\d{1,4}", value) or not 1 <= abs(int(value)) <= high:
        raise _invalid(_("%(part)s cannot be “%(value)s”: use a whole number from 1 to %(high)d.")
                       % {"part": name, "value": value, "high": high})
    return int(value)


def _until(value):
    match = UNTIL_VALUE.fullmatch(value)
    try:
        if not match:
            raise ValueError(value)
        day = datetime.strptime(match[1], "%Y%m%d").date()
        if match[2] is None:
            return day
        moment = datetime.combine(day, datetime.strptime(match[2], "%H%M%S").time())
        return moment.replace(tzinfo=UTC) if match[3] else moment
    except ValueError:
        raise _invalid(_("UNTIL must be a date such as 20270630 or a date-time such as 20270630T170000Z.")) from None


def parse_rrule(text):
    """Read an RRULE (with or without the `RRULE:` prefix) into a RecurrenceRule, or raise RuleViolation."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:"):]
    if not text:
        raise _invalid(_("Give a recurrence rule, for example FREQ=WEEKLY;BYDAY=TU;COUNT=10."))
    values = {}
    for part in text.upper().split(";"):
        name, sep, value = part.partition("=")
        if not sep or not value:
            raise _invalid(_("“%(part)s” is not a NAME=VALUE rule part.") % {"part": part})
        if name not in PARTS:
            raise _invalid(_("%(part)s is not supported; use FREQ, INTERVAL, BYDAY, BYMONTHDAY, WKST, COUNT "
                             "and UNTIL.") % {"part": name})
        if name in values:
            raise _invalid(_("%(part)s is given twice.") % {"part": name})
        values[name] = value

    freq = values.get("FREQ")
    if freq not in FREQUENCIES:
        raise _invalid(_("FREQ must be DAILY, WEEKLY or MONTHLY."))
    interval = _number("INTERVAL", values["INTERVAL"], 366) if "INTERVAL" in values else 1

    byday = []
    for value in values["BYDAY"].split(",") if "BYDAY" in values else ():
        match = BYDAY_VALUE.fullmatch(value)
        if not match or match[2] not in WEEKDAYS:
            raise _invalid(_("“%(value)s” is not a day such as TU, 2TU or -1FR.") % {"value": value})
        ordinal = _number("BYDAY", match[1], 5, signed=True) if match[1] else None
        if ordinal and freq != "MONTHLY":
            raise _invalid(_("A numbered day such as %(value)s needs FREQ=MONTHLY.") % {"value": value})
        byday.append((ordinal, match[2]))

    bymonthday = tuple(_number("BYMONTHDAY", value, 31, signed=True)
                       for value in values["BYMONTHDAY"].split(",")) if "BYMONTHDAY" in values else ()
    if bymonthday and freq == "WEEKLY":
        raise _invalid(_("BYMONTHDAY cannot be used with FREQ=WEEKLY."))

    wkst = values.get("WKST")
    if wkst is not None and wkst not in WEEKDAYS:
        raise _invalid(_("WKST must be a day such as MO."))

    if "COUNT" in values and "UNTIL" in values:
        raise _invalid(_("Give either COUNT or UNTIL, not both."))
    if "COUNT" not in values and "UNTIL" not in values:
        raise RuleViolation("series_unbounded",
                            _("Say when the series ends: add COUNT (how many meetings) or UNTIL (the last date)."),
                            FIELD)
    count = None
    if "COUNT" in values:
        if not values["COUNT"].isdigit() or int(values["COUNT"]) < 1:
            raise _invalid(_("COUNT must be a positive whole number."))
        count = int(values["COUNT"])
        if count > MAX_OCCURRENCES:
            raise _too_many(count)
    until = _until(values["UNTIL"]) if "UNTIL" in values else None

    return RecurrenceRule(freq=freq, interval=interval, byday=tuple(byday), bymonthday=bymonthday, wkst=wkst,
                          count=count, until=until)


def describe(rule, first):
    """How often a series meets, in words: 'every Tuesday', 'every 2 weeks on Monday, Thursday', 'every month on
    the 2nd Tuesday'; '' for the rare rules these words do not cover (its dates are listed wherever this is shown).

    `first` is the first meeting's local date: a rule without BYDAY or BYMONTHDAY repeats its weekday or day.
    """
    if isinstance(rule, str):
        rule = parse_rrule(rule)
    ordinals = [n for n, _day in rule.byday if n]
    days = [day for _n, day in rule.byday] or [DAY_CODES[first.weekday()]]
    day_names = ", ".join(str(WEEKDAY_NAMES[day]) for day in days)
    count = rule.interval
    if rule.freq == "DAILY" and not rule.byday and not rule.bymonthday:
        return _("every day") if count == 1 else ngettext("every %(count)d days", "every %(count)d days",
                                                          count) % {"count": count}
    if rule.freq == "WEEKLY" or (rule.freq == "DAILY" and count == 1 and not rule.bymonthday):
        if count > 1:
            return ngettext("every %(count)d weeks on %(days)s", "every %(count)d weeks on %(days)s",
                            count) % {"count": count, "days": day_names}
        return str(EVERY_WEEKDAY[days[0]]) if len(days) == 1 else _("every week on %(days)s") % {"days": day_names}
    if rule.freq != "MONTHLY" or count > 1:
        return ""
    if not rule.byday:
        month_days = rule.bymonthday or (first.day,)
        if min(month_days) < 0:
            return ""
        return _("every month on day %(days)s") % {"days": ", ".join(str(day) for day in month_days)}
    if rule.bymonthday or len(rule.byday) != 1 or not ordinals:
        return ""
    weekday = WEEKDAY_NAMES[days[0]]
    if ordinals[0] == -1:
        return _("every month on the last %(weekday)s") % {"weekday": weekday}
    if ordinals[0] in ORDINALS:
        return _("every month on the %(ordinal)s %(weekday)s") % {"ordinal": ORDINALS[ordinals[0]],
                                                                 "weekday": weekday}
    return ""


class Repeat(TextChoices):
    """How often a series from the booking form meets; the weekday is the first meeting's."""

    WEEKLY = "weekly", gettext_lazy("Every week")
    FORTNIGHTLY = "fortnightly", gettext_lazy("Every second week")
    MONTHLY = "monthly", gettext_lazy("Every month on the same weekday")


def rrule_for(repeat, first_day, *, until=None, count=None):
    """The RRULE of the booking form's choices: `repeat` from `first_day` until the date `until` (included) or
    for `count` meetings. Monthly keeps the weekday's place in the month: the 2nd Tuesday, or the last Tuesday
    when `first_day` is its month's last."""
    day = DAY_CODES[first_day.weekday()]
    if repeat == Repeat.MONTHLY:
        last = first_day.day + 7 > monthrange(first_day.year, first_day.month)[1]
        parts = ["FREQ=MONTHLY", f"BYDAY={-1 if last else (first_day.day - 1) // 7 + 1}{day}"]
    elif repeat == Repeat.FORTNIGHTLY:
        parts = ["FREQ=WEEKLY", "INTERVAL=2", f"BYDAY={day}"]
    else:
        parts = ["FREQ=WEEKLY", f"BYDAY={day}"]
    parts.append(f"UNTIL={until:%Y%m%d}" if until is not None else f"COUNT={count}")
    return ";".join(parts)


def _too_many(count=None):
    message = _("A series has at most %(max)d meetings; book a longer one in parts.") % {"max": MAX_OCCURRENCES}
    if count:
        message = _("%(count)d meetings are too many.") % {"count": count} + " " + message
    return RuleViolation("too_many_occurrences", message, FIELD)


def _normalise(local):
    """The real instant of a local wall time in its zone: a nonexistent time moves forward by the gap."""
    return local.astimezone(UTC).astimezone(local.tzinfo)


def expand(rule, start, end, tz):
    """Every occurrence `(start, end)` of a series whose first meeting is [start, end), aware in `tz`.

    Raises RuleViolation when the series would exceed MAX_OCCURRENCES or MAX_SPAN, or when `start` is not
    itself an occurrence of the rule.
    """
    if isinstance(rule, str):
        rule = parse_rrule(rule)
    first = start.astimezone(tz)
    length = end.astimezone(tz).replace(tzinfo=None) - first.replace(tzinfo=None)
    limit = first + MAX_SPAN
    until = rule.until_instant(tz)

    # Expanded no further than the limit, so this ends quickly whatever the rule.
    within = list(rule._rrule(first, min(until, limit) if until else limit)[:rule.count or MAX_OCCURRENCES + 1])
    if not within or within[0] != first:
        raise RuleViolation(
            "start_not_in_rule",
            _("The first meeting, %(day)s, is not one of the dates the rule gives; start the series on its first "
              "date.") % {"day": date_format(first.date())},
            FIELD,
        )
    if len(within) > MAX_OCCURRENCES:
        raise _too_many()
    beyond = (rule.count is not None and len(within) < rule.count) or (
        until is not None and until > limit and rule._rrule(first, until).after(limit) is not None)
    if beyond:
        raise RuleViolation(
            "series_too_long",
            _("A series may run for at most a year: from %(first)s until %(last)s at the latest.")
            % {"first": date_format(first.date()), "last": date_format(limit.date())},
            FIELD,
        )
    elapsed = end.astimezone(UTC) - start.astimezone(UTC)  # aware `-` in one zone is wall time
    occurrences = []
    for local in within:
        occurrence_start, occurrence_end = _normalise(local), _normalise(local + length)
        if occurrence_end <= occurrence_start:  # a short meeting swallowed by the spring-forward gap
            occurrence_end = occurrence_start + elapsed
        occurrences.append((occurrence_start, occurrence_end))
    return occurrences

