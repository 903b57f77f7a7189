"""A series from the web booking form: the "Repeat" choices become an RRULE, "Check the dates" lists them and
books nothing, "Send the request" books them as one series; refusals are shown next to the form's fields."""
import html
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from booking.models import Booking, BookingSeries, Closure, Resource
from booking.recurrence import Repeat, expand, rrule_for
from tests import factories
from tests.factories import WARSAW, at


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def text(response):
    return html.unescape(response.content.decode())


def error_of(response, field_id):
    """The error shown next to a field (or a group of radio buttons), without its screen-reader prefix."""
    match = re.search(rf'<p class="error" id="{field_id}_error">(.*?)</p>', text(response), re.S)
    assert match, f"no error shown next to {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "").strip()


def listed_dates(response):
    """The dates of a checked or refused series as shown on the form: (text, refused)."""
    section = re.search(r'<section class="series-dates".*?</section>', text(response), re.S)
    assert section, "no dates shown"
    return [(re.sub(r"<[^>]+>", "", item).strip(), 'class="refused"' in attrs)
            for attrs, item in re.findall(r"<li([^>]*)>(.*?)</li>", section.group(0), re.S)]


def long_date(day):
    with translation.override("en"):
        return date_format(day, "l, j E Y")


@pytest.fixture
def centre(centre):
    """Open on public holidays too, so that a weekly series books every week whenever the tests run."""
    centre.closed_on_public_holidays = False
    centre.save(update_fields=["closed_on_public_holidays"])
    return centre


@pytest.fixture
def member_client(client, member, organisation):
    client.force_login(member)
    return client


def series_data(organisation, day, repeat=Repeat.WEEKLY, start="16:00", end="18:00", **extra):
    return {"organisation": organisation.pk, "date": day.isoformat(), "start_time": start, "end_time": end,
            "title": "Klub seniora", "attendees": 8, "repeat": repeat, "ends": "count", "count": 4,
            "mode": BookingSeries.Mode.ALL_OR_NOTHING, **extra}


def post(client, resource, data, check=False):
    return client.post(en("web:booking_create", resource.pk), {**data, **({"check": "1"} if check else {})})


def starts(series):
    return [booking.start for booking in series.bookings.order_by("start")]


def month_weekday(weekday_place, after):
    """The first Tuesday at least a week after `after` that is its month's 2nd (2) or last (-1) Tuesday."""
    day = after + timedelta(weeks=1)
    day += timedelta(days=(1 - day.weekday()) % 7)
    while not (weekday_place == 2 and 8 <= day.day <= 14
               or weekday_place == -1 and (day + timedelta(weeks=1)).month != day.month):
        day += timedelta(weeks=1)
    return day


# --- The form's choices as an RRULE -----------------------------------------------------------------------------

@pytest.mark.parametrize(("repeat", "first_day", "ends", "rrule"), [
    (Repeat.WEEKLY, date(2027, 3, 2), {"count": 10}, "FREQ=WEEKLY;BYDAY=TU;COUNT=10"),
    (Repeat.FORTNIGHTLY, date(2027, 3, 4), {"until": date(2027, 6, 24)},
     "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20270624"),
    (Repeat.MONTHLY, date(2027, 3, 9), {"count": 6}, "FREQ=MONTHLY;BYDAY=2TU;COUNT=6"),
    (Repeat.MONTHLY, date(2027, 3, 1), {"count": 6}, "FREQ=MONTHLY;BYDAY=1MO;COUNT=6"),
    (Repeat.MONTHLY, date(2027, 3, 22), {"count": 6}, "FREQ=MONTHLY;BYDAY=4MO;COUNT=6"),
    (Repeat.MONTHLY, date(2027, 3, 29), {"count": 6}, "FREQ=MONTHLY;BYDAY=-1MO;COUNT=6"),  # 5th and last
    (Repeat.MONTHLY, date(2027, 2, 23), {"count": 6}, "FREQ=MONTHLY;BYDAY=-1TU;COUNT=6"),  # 4th and last
    (Repeat.MONTHLY, date(2027, 12, 28), {"until": date(2028, 3, 31)}, "FREQ=MONTHLY;BYDAY=-1TU;UNTIL=20280331"),
])
def test_the_forms_choices_become_an_rrule_the_first_meeting_belongs_to(repeat, first_day, ends, rrule):
    assert rrule_for(repeat, first_day, **ends) == rrule
    first = at(first_day, 16)
    assert expand(rrule, first, at(first_day, 18), WARSAW)[0][0] == first


def test_last_weekday_of_the_month_stays_the_last():
    occurrences = expand(rrule_for(Repeat.MONTHLY, date(2027, 3, 30), count=4), at(date(2027, 3, 30), 16),
                         at(date(2027, 3, 30), 18), WARSAW)
    assert [start.date() for start, _end in occurrences] == [date(2027, 3, 30), date(2027, 4, 27), date(2027, 5, 25),
                                                            date(2027, 6, 29)]


# --- Booking a series -------------------------------------------------------------------------------------------

def test_a_weekly_series_is_one_request_with_its_dates(member_client, room, organisation, open_day):
    response = member_client.post(en("web:booking_create", room.pk), series_data(organisation, open_day),
                                  follow=True)
    series = BookingSeries.objects.get()
    assert series.rrule == "FREQ=WEEKLY;BYDAY=TU;COUNT=4" and series.title == "Klub seniora"
    assert starts(series) == [at(open_day + timedelta(weeks=week), 16) for week in range(4)]
    assert Booking.objects.count() == 4 and set(Booking.objects.values_list("status", flat=True)) == {"pending"}
    assert response.redirect_chain[-1][0] == en("web:my_bookings")
    assert "Your request for 4 meetings has been sent." in text(response)


def test_every_second_week_until_a_date(member_client, room, organisation, open_day):
    last = open_day + timedelta(weeks=6, days=2)  # a Thursday: the last meeting is on the Tuesday before
    post(member_client, room, series_data(organisation, open_day, Repeat.FORTNIGHTLY, ends="until",
                                          until=last.isoformat(), count=""))
    series = BookingSeries.objects.get()
    assert starts(series) == [at(open_day + timedelta(weeks=week), 16) for week in (0, 2, 4, 6)]


@pytest.mark.parametrize(("place", "byday"), [(2, "2TU"), (-1, "-1TU")])
def test_every_month_on_the_same_weekday(member_client, room, organisation, place, byday):
    first = month_weekday(place, date.today())
    page = text(member_client.get(en("web:booking_create", room.pk), {"start": f"{first}T16:00",
                                                                           "end": f"{first}T18:00"}))
    assert ("Every month on the 2nd Tuesday" if place == 2 else "Every month on the last Tuesday") in page
    post(member_client, room, series_data(organisation, first, Repeat.MONTHLY, count=3))
    series = BookingSeries.objects.get()
    assert series.rrule == f"FREQ=MONTHLY;BYDAY={byday};COUNT=3"
    days = [start.astimezone(WARSAW).date() for start in starts(series)]
    assert [day.weekday() for day in days] == [1, 1, 1]
    if place == 2:
        assert all(8 <= day.day <= 14 for day in days)
    else:
        assert all((day + timedelta(weeks=1)).month != day.month for day in days)
    assert len({day.month for day in days}) == 3


def test_a_single_booking_is_untouched_by_the_repeat_part(member_client, room, organisation, open_day):
    response = post(member_client, room, series_data(organisation, open_day, repeat="", count="", ends=""))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.series is None and (booking.start, booking.end) == (at(open_day, 16), at(open_day, 18))


# --- Checking the dates -----------------------------------------------------------------------------------------

def test_checking_the_dates_lists_them_with_the_refused_ones_and_books_nothing(
        member_client, centre, room, organisation, open_day):
    closed = open_day + timedelta(weeks=2)
    Closure.objects.create(centre=centre, start=at(closed, 0), end=at(closed + timedelta(days=1), 0), reason="Remont")
    factories.make_booking(actor=organisation.members.get(), resource=room, organisation=organisation,
                           day=open_day + timedelta(weeks=3), hour=15, hours=2, title="Chór")
    response = post(member_client, room, series_data(organisation, open_day), check=True)
    assert response.status_code == 200
    assert Booking.objects.count() == 1 and not BookingSeries.objects.exists()
    dates = listed_dates(response)
    assert [refused for _text, refused in dates] == [False, False, True, True]
    assert dates[0][0] == f"{long_date(open_day)}, 16:00–18:00"
    with translation.override("en"):
        assert dates[2][0].endswith(f"cannot be booked: The centre is closed on {date_format(closed)} (Remont).")
    assert "This time is already booked." in dates[3][0]
    assert "The request would be refused as it is" in text(response)


def test_checking_without_repeat_asks_how_often(member_client, room, organisation, open_day):
    response = post(member_client, room, series_data(organisation, open_day, repeat=""), check=True)
    assert error_of(response, "id_repeat") == "Choose how often the meetings repeat to check their dates."
    assert not Booking.objects.exists()


# --- Dates that cannot be booked --------------------------------------------------------------------------------

def test_book_none_refuses_the_series_and_names_the_date(member_client, centre, room, organisation, open_day):
    closed = open_day + timedelta(weeks=1)
    Closure.objects.create(centre=centre, start=at(closed, 0), end=at(closed + timedelta(days=1), 0), reason="Remont")
    response = post(member_client, room, series_data(organisation, open_day))
    assert response.status_code == 200
    assert not Booking.objects.exists() and not BookingSeries.objects.exists()
    with translation.override("en"):
        day = date_format(closed)
    assert error_of(response, "id_repeat").startswith(f"The meeting on {day} cannot be booked. The centre is closed")
    assert [refused for _text, refused in listed_dates(response)] == [True]
    assert listed_dates(response)[0][0].startswith(long_date(closed))


def test_book_none_refuses_a_series_with_a_taken_date(member_client, room, organisation, open_day):
    taken = open_day + timedelta(weeks=3)
    other = factories.make_organisation("Fundacja Pomocna Dłoń", members=[factories.make_user("ewa")])
    factories.make_booking(actor=other.members.get(), resource=room, organisation=other, day=taken, hour=15, hours=2,
                           title="Tajne spotkanie")
    response = post(member_client, room, series_data(organisation, open_day))
    assert response.status_code == 200
    assert Booking.objects.count() == 1 and not BookingSeries.objects.exists()
    with translation.override("en"):
        assert f"The meeting on {date_format(taken)} cannot be booked. This time is already booked." in error_of(
            response, "id_repeat")
    assert listed_dates(response) == [(f"{long_date(taken)}, 16:00–18:00 – cannot be booked: This time is already "
                                       "booked.", True)]
    assert "Tajne spotkanie" not in text(response)


def test_book_the_others_books_the_rest_and_reports_the_skipped(member_client, room, organisation, open_day):
    taken = open_day + timedelta(weeks=2)
    other = factories.make_organisation("Fundacja Pomocna Dłoń", members=[factories.make_user("ewa")])
    factories.make_booking(actor=other.members.get(), resource=room, organisation=other, day=taken, hour=15, hours=2,
                           title="Tajne spotkanie")
    response = member_client.post(en("web:booking_create", room.pk),
                                  series_data(organisation, open_day, mode=BookingSeries.Mode.SKIP_CONFLICTS),
                                  follow=True)
    series = BookingSeries.objects.get()
    assert starts(series) == [at(open_day + timedelta(weeks=week), 16) for week in (0, 1, 3)]
    page = text(response)
    assert "Your request for 3 meetings has been sent." in page
    with translation.override("en"):
        assert f"1 date was skipped. {date_format(taken)}: This time is already booked." in page
    assert "Tajne spotkanie" not in page


# --- Bad input --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "field", "error"), [
    ({"ends": "until", "until": "{before}"}, "id_until", "The last meeting cannot be before the first."),
    ({"ends": "until", "until": ""}, "id_until", "Give the date of the last meeting."),
    ({"ends": "until", "until": "not a date"}, "id_until", "Enter a valid date."),
    ({"count": 0}, "id_count", "Ensure this value is greater than or equal to 1."),
    ({"count": ""}, "id_count", "Say how many meetings there are."),
    ({"count": 500}, "id_count", "500 meetings are too many. A series has at most 200 meetings"),
    ({"ends": "until", "until": "{beyond}"}, "id_until", "A series may run for at most a year"),
    ({"repeat": "yearly"}, "id_repeat", "Select a valid choice."),
    ({"mode": "sometimes"}, "id_mode", "Select a valid choice."),
])
def test_bad_input_is_shown_next_to_its_field_and_writes_nothing(member_client, room, organisation, open_day,
                                                                 extra, field, error):
    dates = {"{before}": (open_day - timedelta(days=1)).isoformat(),
             "{beyond}": (open_day + timedelta(days=400)).isoformat()}
    extra = {name: dates.get(value, value) if isinstance(value, str) else value for name, value in extra.items()}
    for check in (False, True):
        response = post(member_client, room, series_data(organisation, open_day, **extra), check=check)
        assert response.status_code == 200
        assert error_of(response, field).startswith(error)
        assert f'href="#{field}' in text(response)  # the summary leads to it
    assert not Booking.objects.exists() and not BookingSeries.objects.exists()


@pytest.mark.parametrize("kind", [Resource.Kind.LOCKER, Resource.Kind.ACCOMMODATION])
def test_lockers_and_beds_have_no_repeat(member_client, centre, organisation, kind):
    resource = factories.make_resource(centre, kind=kind)
    assert resource.booking_mode != Resource.BookingMode.SLOTS
    page = text(member_client.get(en("web:booking_create", resource.pk)))
    assert 'name="repeat"' not in page and "Check the dates" not in page and "repeat.js" not in page


def test_the_form_offers_the_repeat_part_without_javascript(member_client, room, open_day):
    page = text(member_client.get(en("web:booking_create", room.pk), {"start": f"{open_day}T16:00",
                                                                           "end": f"{open_day}T18:00"}))
    assert '<legend>Repeat</legend>' in page
    assert re.search(r'<input type="radio" name="repeat" value="" [^>]*checked', page)
    for label in ("Every week", "Every second week", "Book none of the meetings", "Check the dates"):
        assert label in page


# --- Cost -------------------------------------------------------------------------------------------------------

def test_sending_a_series_costs_the_same_queries_however_many_meetings(member_client, room, organisation, open_day):
    counts = []
    for count, hour in ((3, 8), (30, 10)):
        with CaptureQueriesContext(connection) as queries:
            response = post(member_client, room, series_data(organisation, open_day, start=f"{hour}:00",
                                                             end=f"{hour + 1}:00", count=count))
        assert response.status_code == 302
        counts.append(len(queries))
    assert Booking.objects.count() == 33
    assert counts[0] == counts[1], counts


def test_the_repeat_part_speaks_polish_by_default(member_client, room, open_day):
    with translation.override("pl"):
        url = reverse("web:booking_create", args=[room.pk])
    page = text(member_client.get(url, {"start": f"{open_day}T16:00", "end": f"{open_day}T18:00"}))
    for words in ("Powtarzanie", "Co drugi tydzień", "Nie rezerwuj żadnego spotkania", "Sprawdź terminy"):
        assert words in page
