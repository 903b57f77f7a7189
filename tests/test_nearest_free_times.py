"""A time outside the opening hours is refused with the hours of that day (or the week's, when the centre is closed
that day), and the booking form offers the nearest free times of the same length as links that fill it in."""
import html
import re
from datetime import date, datetime, timedelta

import pytest
from django.utils import translation

from booking.availability import nearest_free_slots
from booking.exceptions import RuleViolation
from booking.formatting import long_date
from booking.models import Closure
from tests import factories
from tests.factories import WARSAW, at
from tests.test_web_pages import en

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=WARSAW)  # Monday
FRIDAY = date(2026, 1, 16)
SATURDAY = date(2026, 1, 17)
MONDAY = date(2026, 1, 19)
TUESDAY = date(2026, 1, 20)
WEDNESDAY = date(2026, 1, 21)

pytestmark = pytest.mark.django_db


def refusal(room, organisation, start, end):
    with translation.override("en"), pytest.raises(RuleViolation) as caught:
        factories.make_booking(resource=room, organisation=organisation, start=start, end=end, now=NOW)
    return caught.value


def test_a_time_past_closing_is_refused_with_the_hours_of_that_day(room, organisation):
    error = refusal(room, organisation, at(FRIDAY, 13), at(FRIDAY, 15))

    assert error.code == "outside_opening_hours"
    assert error.message == ("The centre is not open for the whole of this time. "
                             "Opening hours that day (Friday, 16 January 2026): 07:00–14:00.")


def test_a_day_the_centre_does_not_open_is_refused_with_the_weeks_hours(room, organisation):
    error = refusal(room, organisation, at(SATURDAY, 10), at(SATURDAY, 11))

    assert error.code == "outside_opening_hours"
    assert error.message == ("The centre is closed on Saturday, 17 January 2026. Opening hours: "
                             "Monday–Thursday: 07:00–18:00; Friday: 07:00–14:00; Saturday–Sunday: closed.")


def test_the_nearest_free_times_of_the_same_length(room, organisation):
    factories.make_booking(resource=room, organisation=organisation, start=at(FRIDAY, 11), end=at(FRIDAY, 12),
                           now=NOW)

    slots = nearest_free_slots(room, at(FRIDAY, 13), at(FRIDAY, 15))

    # Friday's nearest fit before closing, then the same hours on the next open days (the weekend has none).
    assert slots == [(at(FRIDAY, 12), at(FRIDAY, 14)), (at(MONDAY, 13), at(MONDAY, 15)),
                     (at(TUESDAY, 13), at(TUESDAY, 15))]


def test_the_nearest_free_times_leave_out_closures_taken_times_and_refused_starts(centre, room, organisation):
    Closure.objects.create(centre=centre, start=at(MONDAY, 0), end=at(TUESDAY, 0), reason="Remont")
    factories.make_booking(resource=room, organisation=organisation, start=at(TUESDAY, 12), end=at(TUESDAY, 15),
                           now=NOW)

    slots = nearest_free_slots(room, at(FRIDAY, 13), at(FRIDAY, 15), bookable=lambda start: start >= at(MONDAY, 0))

    # Friday is refused by the caller's rule, Monday closed; on Tuesday the nearest free two hours are 15-17.
    assert slots == [(at(TUESDAY, 15), at(TUESDAY, 17)), (at(WEDNESDAY, 13), at(WEDNESDAY, 15)),
                     (at(WEDNESDAY + timedelta(days=1), 13), at(WEDNESDAY + timedelta(days=1), 15))]
    assert nearest_free_slots(room, at(FRIDAY, 7), at(FRIDAY, 19)) == []  # longer than any day's hours


def test_the_booking_form_offers_links_that_fill_it_in(client, member, room, organisation):
    friday = factories.next_open_weekday(4, centre=room.centre)
    client.force_login(member)
    url = en("web:booking_create", room.pk)

    response = client.post(url, {"organisation": organisation.pk, "date": friday.isoformat(), "start_time": "13:00",
                                 "end_time": "15:00", "title": "Próba chóru", "attendees": 9})

    page = html.unescape(response.content.decode())
    with translation.override("en"):
        day = long_date(friday)
    assert f"Opening hours that day ({day}): 07:00–14:00." in page
    offers = re.findall(r'<div class="suggestions" id="suggestions">.*?</div>', page, re.S)[0]
    assert "Free at the nearest times of the same length" in offers
    assert f"{day}, 12:00–14:00" in offers
    link = re.search(r'<a href="\?([^"]+)">' + re.escape(f"{day}, 12:00–14:00"), offers).group(1)

    form = html.unescape(client.get(f"{url}?{link}").content.decode())

    assert f'name="date" value="{friday.isoformat()}"' in form
    assert 'name="start_time" value="12:00"' in form and 'name="end_time" value="14:00"' in form
    assert 'name="title" value="Próba chóru"' in form and 'name="attendees" value="9"' in form
    assert re.search(rf'<option value="{organisation.pk}" selected>', form)


def test_a_link_edited_by_hand_fills_in_only_what_is_valid(client, member, room, organisation):
    client.force_login(member)

    form = client.get(en("web:booking_create", room.pk), {"date": "31.02", "start_time": "12:00",
                                                          "attendees": "many", "title": "Zebranie"})

    assert form.status_code == 200
    page = html.unescape(form.content.decode())
    assert 'name="start_time" value="12:00"' in page and 'name="title" value="Zebranie"' in page
    assert 'name="attendees" value="1"' in page
    assert re.search(r'<input type="date" name="date"(?![^>]*value=)', page)
