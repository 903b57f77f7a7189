"""RRULE reading and expansion in the centre's local time (booking.recurrence), without the database."""
from datetime import UTC, date, datetime, timedelta

import pytest

from booking.exceptions import RuleViolation
from booking.recurrence import MAX_OCCURRENCES, expand, parse_rrule
from tests.factories import WARSAW, at


def local(occurrences):
    """Occurrences as local (date, "HH:MM-HH:MM") pairs, as a person reads them."""
    return [(start.date(), f"{start:%H:%M}-{end:%H:%M}") for start, end in occurrences]


def days(occurrences):
    return [start.date() for start, _ in occurrences]


def elapsed(start, end):
    """Real time between two instants (`-` on datetimes of one zone gives wall-clock time)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def refusal(rule, start, end):
    with pytest.raises(RuleViolation) as caught:
        expand(rule, start, end, WARSAW)
    return caught.value


def test_daily_with_count():
    occurrences = expand("FREQ=DAILY;COUNT=3", at(date(2027, 1, 11), 10), at(date(2027, 1, 11), 12), WARSAW)
    assert local(occurrences) == [
        (date(2027, 1, 11), "10:00-12:00"), (date(2027, 1, 12), "10:00-12:00"), (date(2027, 1, 13), "10:00-12:00"),
    ]


def test_daily_limited_to_working_days():
    occurrences = expand("FREQ=DAILY;BYDAY=MO,TU,WE,TH;COUNT=6", at(date(2027, 1, 11), 10),
                         at(date(2027, 1, 11), 11), WARSAW)
    assert days(occurrences) == [date(2027, 1, d) for d in (11, 12, 13, 14, 18, 19)]


def test_every_second_week_until_a_date_includes_that_day():
    occurrences = expand("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20270223", at(date(2027, 1, 12), 17),
                         at(date(2027, 1, 12), 18), WARSAW)
    assert days(occurrences) == [date(2027, 1, 12), date(2027, 1, 26), date(2027, 2, 9), date(2027, 2, 23)]


def test_weekly_on_two_days():
    occurrences = expand("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4", at(date(2027, 1, 11), 9), at(date(2027, 1, 11), 10),
                         WARSAW)
    assert days(occurrences) == [date(2027, 1, 11), date(2027, 1, 14), date(2027, 1, 18), date(2027, 1, 21)]


def test_weekly_without_byday_repeats_the_first_weekday():
    occurrences = expand("FREQ=WEEKLY;COUNT=3", at(date(2027, 1, 13), 9), at(date(2027, 1, 13), 10), WARSAW)
    assert days(occurrences) == [date(2027, 1, 13), date(2027, 1, 20), date(2027, 1, 27)]


def test_monthly_on_the_second_tuesday():
    occurrences = expand("FREQ=MONTHLY;BYDAY=2TU;COUNT=4", at(date(2027, 1, 12), 17), at(date(2027, 1, 12), 19),
                         WARSAW)
    assert days(occurrences) == [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13)]


def test_monthly_on_the_last_friday():
    occurrences = expand("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", at(date(2027, 1, 29), 10), at(date(2027, 1, 29), 12),
                         WARSAW)
    assert days(occurrences) == [date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26)]


def test_monthly_every_second_month_on_a_day_of_the_month_until_utc():
    occurrences = expand("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15;UNTIL=20270715T150000Z",
                         at(date(2027, 1, 15), 10), at(date(2027, 1, 15), 12), WARSAW)
    assert days(occurrences) == [date(2027, 1, 15), date(2027, 3, 15), date(2027, 5, 15), date(2027, 7, 15)]


def test_monthly_on_the_31st_skips_shorter_months():
    occurrences = expand("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3", at(date(2027, 1, 31), 10),
                         at(date(2027, 1, 31), 11), WARSAW)
    assert days(occurrences) == [date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31)]


def test_until_as_local_date_time_is_inclusive():
    occurrences = expand("FREQ=WEEKLY;UNTIL=20270126T170000", at(date(2027, 1, 12), 17), at(date(2027, 1, 12), 18),
                         WARSAW)
    assert days(occurrences) == [date(2027, 1, 12), date(2027, 1, 19), date(2027, 1, 26)]


def test_rule_text_is_normalised_with_until_in_utc():
    rule = parse_rrule("rrule:freq=weekly;byday=tu;until=20270630")
    # The end of 30 June in Warsaw (summer time) is 21:59:59 UTC.
    assert rule.as_text(WARSAW) == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T215959Z"
    assert parse_rrule("FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU,-1FR;COUNT=5").as_text(WARSAW) == \
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU,-1FR;COUNT=5"


def test_weekly_meeting_keeps_its_local_time_across_both_clock_changes():
    """Clocks go forward on 28 March 2027 and back on 31 October 2027."""
    occurrences = expand("FREQ=WEEKLY;BYDAY=TU;UNTIL=20271109", at(date(2027, 3, 16), 17),
                         at(date(2027, 3, 16), 18), WARSAW)
    assert {label for _, label in local(occurrences)} == {"17:00-18:00"}
    utc_hours = {start.date(): start.astimezone(UTC).hour for start, _ in occurrences}
    assert utc_hours[date(2027, 3, 23)] == 16  # winter time, UTC+1
    assert utc_hours[date(2027, 3, 30)] == 15  # summer time, UTC+2
    assert utc_hours[date(2027, 10, 26)] == 15
    assert utc_hours[date(2027, 11, 2)] == 16
    assert all(elapsed(start, end) == timedelta(hours=1) for start, end in occurrences)


def test_whole_days_stay_midnight_to_midnight_on_the_short_day():
    occurrences = expand("FREQ=DAILY;COUNT=3", at(date(2027, 3, 27), 0), at(date(2027, 3, 28), 0), WARSAW)
    assert [(start.time().hour, end.time().hour) for start, end in occurrences] == [(0, 0)] * 3
    assert [elapsed(start, end) for start, end in occurrences] == [timedelta(hours=24), timedelta(hours=23),
                                                                   timedelta(hours=24)]


def test_nonexistent_local_time_moves_forward_by_the_gap():
    """02:30 does not exist in Warsaw on 28 March 2027: it is read with the winter offset, i.e. 03:30 summer time."""
    occurrences = expand("FREQ=WEEKLY;BYDAY=SU;COUNT=2", at(date(2027, 3, 21), 2, 30), at(date(2027, 3, 21), 4, 30),
                         WARSAW)
    start, end = occurrences[1]
    assert (start.hour, start.minute, end.hour, end.minute) == (3, 30, 4, 30)
    assert start.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)

    swallowed = expand("FREQ=WEEKLY;BYDAY=SU;COUNT=2", at(date(2027, 3, 21), 2, 30), at(date(2027, 3, 21), 3),
                       WARSAW)[1]
    assert [f"{moment:%H:%M}" for moment in swallowed] == ["03:30", "04:00"]


def test_ambiguous_local_time_is_its_first_occurrence():
    start, _ = expand("FREQ=WEEKLY;BYDAY=SU;COUNT=2", at(date(2027, 10, 24), 2, 30), at(date(2027, 10, 24), 3),
                      WARSAW)[1]
    assert start.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # still UTC+2


@pytest.mark.parametrize("rule, code", [
    ("", "invalid_rrule"),
    ("FREQ=YEARLY;COUNT=2", "invalid_rrule"),
    ("FREQ=HOURLY;COUNT=2", "invalid_rrule"),
    ("FREQ=WEEKLY;BYDAY=2TU;COUNT=3", "invalid_rrule"),
    ("FREQ=WEEKLY;BYMONTHDAY=3;COUNT=3", "invalid_rrule"),
    ("FREQ=MONTHLY;BYDAY=6TU;COUNT=3", "invalid_rrule"),
    ("FREQ=MONTHLY;BYDAY=XX;COUNT=3", "invalid_rrule"),
    ("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3", "invalid_rrule"),
    ("FREQ=WEEKLY;INTERVAL=0;COUNT=3", "invalid_rrule"),
    ("FREQ=WEEKLY;COUNT=0", "invalid_rrule"),
    ("FREQ=WEEKLY;COUNT=3;UNTIL=20270601", "invalid_rrule"),
    ("FREQ=WEEKLY;UNTIL=2027-06-01", "invalid_rrule"),
    ("FREQ=WEEKLY;BYSETPOS=1;COUNT=3", "invalid_rrule"),
    ("FREQ=WEEKLY;COUNT=3;COUNT=4", "invalid_rrule"),
    ("FREQ=WEEKLY;COUNT", "invalid_rrule"),
    ("DTSTART:20270112T170000\nRRULE:FREQ=WEEKLY;COUNT=3", "invalid_rrule"),
    ("FREQ=WEEKLY;BYDAY=TU", "series_unbounded"),
    ("FREQ=WEEKLY;BYDAY=WE;COUNT=3", "start_not_in_rule"),
    ("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270105", "start_not_in_rule"),
])
def test_malformed_or_open_ended_rules_are_refused_with_a_code(rule, code):
    violation = refusal(rule, at(date(2027, 1, 12), 17), at(date(2027, 1, 12), 18))
    assert (violation.code, violation.field) == (code, "recurrence")
    assert violation.message


def test_at_most_200_occurrences():
    start, end = at(date(2027, 1, 11), 10), at(date(2027, 1, 11), 11)
    assert len(expand(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}", start, end, WARSAW)) == 200
    assert refusal("FREQ=DAILY;COUNT=201", start, end).code == "too_many_occurrences"
    # Within a year, but more than 200 days.
    assert refusal("FREQ=DAILY;UNTIL=20271231", start, end).code == "too_many_occurrences"


def test_at_most_one_year_ahead_of_the_first_meeting():
    start, end = at(date(2027, 1, 12), 17), at(date(2027, 1, 12), 18)
    # 11 January 2028 is the last Tuesday within a year.
    assert days(expand("FREQ=WEEKLY;UNTIL=20280112", start, end, WARSAW))[-1] == date(2028, 1, 11)
    assert len(expand("FREQ=WEEKLY;COUNT=53", start, end, WARSAW)) == 53
    too_long = refusal("FREQ=WEEKLY;COUNT=54", start, end)
    assert too_long.code == "series_too_long"
    assert refusal("FREQ=WEEKLY;UNTIL=20290101", start, end).code == "series_too_long"
    assert refusal("FREQ=MONTHLY;BYDAY=2TU;COUNT=14", start, end).code == "series_too_long"
