"""Dates, spans and opening hours read the same on the pages and in the e-mails, in Polish and in English
(`booking.formatting`, used by the template filters and by the messages)."""
import html
import re
from datetime import UTC, date, time, timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from booking.availability import public_holiday
from booking.formatting import moment_label, opening_hours, opening_hours_text, span_label
from booking.models import OpeningHours, Resource
from tests import factories
from tests.factories import WARSAW, at

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    # in the genitive, as a date is written in Polish ("1 grudnia 2026")
    "pl": ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
           "października", "listopada", "grudnia"],
}
WEEKDAYS = {"en": ["Monday", "Tuesday", "Wednesday", "Thursday"],
            "pl": ["Poniedziałek", "Wtorek", "Środa", "Czwartek"]}
WHOLE_DAY = {"en": "whole day", "pl": "cały dzień"}


def long_date(day, language):
    return f"{WEEKDAYS[language][day.weekday()]}, {day.day} {MONTHS[language][day.month - 1]} {day.year}"


@pytest.fixture
def tuesday(centre):
    """A Tuesday a week or more ahead with no public holiday from Tuesday to Thursday (check-out day included)."""
    day = factories.next_open_weekday(1)
    while any(public_holiday(centre, day + timedelta(days=n)) for n in range(3)):
        day += timedelta(weeks=1)
    return day


def slot(centre, day):
    return factories.make_resource(centre, name="Sala spotkań"), at(day, 10), at(day, 12)


def one_day(centre, day):
    return factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka"), at(day, 0), at(day + timedelta(1), 0)


def three_days(centre, day):
    return factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka"), at(day, 0), at(day + timedelta(3), 0)


def two_nights(centre, day):
    beds = factories.make_resource(centre, Resource.Kind.ACCOMMODATION, name="Pokój 4-osobowy", units=4, capacity=4)
    return beds, at(day, 15), at(day + timedelta(2), 10)


def expected(case, day, language):
    thursday = day + timedelta(days=2)
    return {
        slot: f"{long_date(day, language)}, 10:00–12:00",
        one_day: f"{long_date(day, language)}, {WHOLE_DAY[language]}",
        three_days: f"{long_date(day, language)} – {long_date(thursday, language)}",
        two_nights: f"{long_date(day, language)}, 15:00 – {long_date(thursday, language)}, 10:00",
    }[case]


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("case", [slot, one_day, three_days, two_nights], ids=lambda case: case.__name__)
def test_the_page_and_the_email_of_a_booking_show_the_same_time_and_hours(
        client, member, centre, organisation, tuesday, case, language, mailoutbox,
        django_capture_on_commit_callbacks):
    member.language = language
    member.save(update_fields=["language"])
    resource, start, end = case(centre, tuesday)
    with django_capture_on_commit_callbacks(execute=True):
        booking = factories.make_booking(actor=member, resource=resource, organisation=organisation, start=start,
                                         end=end, title="Zebranie")
    [email] = [mail for mail in mailoutbox if mail.to == [member.email]]
    client.force_login(member)
    with translation.override(language):
        page = client.get(reverse("web:booking_cancel", args=[booking.pk])).content.decode()
        when = gettext("When")

    on_page = html.unescape(re.search(rf"<dt>{when}</dt><dd>(.*?)</dd>", page).group(1))
    in_email = re.search(rf"^{when}: (.*)$", email.body, re.M).group(1)
    assert on_page == in_email == expected(case, tuesday, language)

    hours_on_page = [f"{html.unescape(days)}: {html.unescape(hours)}" for days, hours in re.findall(
        r'<dt><abbr title="([^"]*)">[^<]*</abbr></dt><dd>([^<]*)</dd>', page)]
    assert hours_on_page == {
        "en": ["Monday–Thursday: 07:00–18:00", "Friday: 07:00–14:00", "Saturday–Sunday: closed"],
        "pl": ["Poniedziałek–Czwartek: 07:00–18:00", "Piątek: 07:00–14:00", "Sobota–Niedziela: nieczynne"],
    }[language]
    assert "\n".join(hours_on_page) in email.body


def test_dates_and_hours_read_naturally_in_both_languages():
    tuesday = date(2026, 12, 1)
    hours = [OpeningHours(weekday=day, opens=time(7), closes=time(18)) for day in range(4)]
    hours += [OpeningHours(weekday=4, opens=time(12), closes=time(14)),  # a lunch break on Friday
              OpeningHours(weekday=4, opens=time(7), closes=time(11))]
    utc = at(tuesday, 9).astimezone(UTC)  # an instant given in another time zone
    with translation.override("en"):
        assert span_label(at(tuesday, 0), at(tuesday + timedelta(3), 0), WARSAW) == (
            "Tuesday, 1 December 2026 – Thursday, 3 December 2026")
        assert moment_label(utc, WARSAW) == "1 December 2026, 09:00"
        assert moment_label(at(tuesday, 0), WARSAW) == "1 December 2026"
        assert opening_hours(hours) == [
            {"days": "Mon–Thu", "days_label": "Monday–Thursday", "hours": "07:00–18:00"},
            {"days": "Fri", "days_label": "Friday", "hours": "07:00–11:00, 12:00–14:00"},
            {"days": "Sat–Sun", "days_label": "Saturday–Sunday", "hours": "closed"},
        ]
        assert opening_hours_text(hours) == ["Monday–Thursday: 07:00–18:00", "Friday: 07:00–11:00, 12:00–14:00",
                                             "Saturday–Sunday: closed"]
    with translation.override("pl"):
        assert span_label(at(tuesday, 15), at(tuesday + timedelta(2), 10), WARSAW) == (
            "Wtorek, 1 grudnia 2026, 15:00 – Czwartek, 3 grudnia 2026, 10:00")
        assert moment_label(utc, WARSAW) == "1 grudnia 2026, 09:00"
        assert opening_hours_text(hours) == ["Poniedziałek–Czwartek: 07:00–18:00",
                                             "Piątek: 07:00–11:00, 12:00–14:00", "Sobota–Niedziela: nieczynne"]
