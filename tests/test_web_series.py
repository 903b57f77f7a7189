"""Series in the web pages: one request in the staff queue, approved or rejected as a whole; "our bookings" tells a
meeting of a series and cancels it with the later ones after a confirmation step."""
import html
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from booking.models import Booking, BookingStatus
from booking.recurrence import describe
from booking.series import Mode
from notifications.models import OutboxMessage
from tests import factories
from tests.factories import at

WEEKLY_FOUR = "FREQ=WEEKLY;COUNT=4"


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def centre(centre):
    """Open on public holidays too, so that a weekly series books every week whenever the tests run."""
    centre.closed_on_public_holidays = False
    centre.save(update_fields=["closed_on_public_holidays"])
    return centre


@pytest.fixture
def series(member, room, organisation, open_day):
    return factories.make_series(actor=member, resource=room, organisation=organisation, day=open_day, hour=16, hours=2,
                                 rrule=WEEKLY_FOUR).series


def meetings(series):
    return list(series.bookings.order_by("start"))


def statuses(series):
    return [booking.status for booking in meetings(series)]


def dates(day, weeks, fmt):
    return [date_format(day + timedelta(weeks=week), fmt) for week in range(weeks)]


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def messages_written_by(action):
    """The e-mails (outbox rows) `action` writes: one per recipient and series action, whatever the meetings."""
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    result = action()
    written = list(OutboxMessage.objects.exclude(pk__in=before))
    recipients = [message.recipient for message in written]
    assert recipients and len(recipients) == len(set(recipients))
    return result, {message.kind for message in written}


def card_of(page, series):
    start = page.index(f'id="series-{series.pk}"')
    return page[start:page.index("</article>", start)]


# --- The staff queue -------------------------------------------------------------------------------------------

def test_a_series_is_one_request_with_its_recurrence_in_words_and_its_dates(staff_client, member, room,
                                                                             organisation, series, open_day):
    single = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                    title="Walne zebranie")
    page = text(staff_client.get(en("web:approval_queue")))
    assert "2 requests are waiting" in page
    assert page.count('class="request') == 2
    assert page.index("Klub seniora") < page.index("Walne zebranie")  # the series was asked for first
    card = card_of(page, series)
    last = open_day + timedelta(weeks=3)
    first_label = date_format(open_day, "j F" if open_day.year == last.year else "j F Y")
    assert (f"every Tuesday 16:00–18:00, 4 meetings, from {first_label} to {date_format(last, 'j F Y')}"
            in card)
    assert "Stowarzyszenie Aktywni Seniorzy" in card and "Verified" in card
    details = re.search(r"<details>(.*?)</details>", card, re.S).group(1)
    assert [day in details for day in dates(open_day, 4, "j F Y")] == [True] * 4
    assert details.count("<li>") == 4 and "16:00–18:00" in details
    assert f'action="{en("web:series_approve", series.pk)}"' in card
    assert f'action="{en("web:series_reject", series.pk)}"' in card
    assert 'name="csrfmiddlewaretoken"' in card
    assert f'id="request-{single.pk}"' in page  # a single booking stays as it was


def test_the_recurrence_reads_in_polish_by_default(client, staff_user, series, open_day):
    client.force_login(staff_user)
    with translation.override("pl"):
        page = text(client.get(reverse("web:approval_queue")))
    assert "w każdy wtorek 16:00–18:00, 4 spotkania, od " in card_of(page, series)
    assert "Zatwierdź wszystkie spotkania" in page and "Odrzuć wszystkie spotkania" in page


def test_requests_are_ordered_by_their_earliest_request_time(staff_client, member, room, organisation, open_day):
    single = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                    title="Walne zebranie")
    later = factories.make_series(actor=member, resource=room, organisation=organisation, day=open_day, hour=16,
                                  hours=2, rrule=WEEKLY_FOUR, title="Chór").series
    page = text(staff_client.get(en("web:approval_queue")))
    assert page.index(f'id="request-{single.pk}"') < page.index(f'id="series-{later.pk}"')


def test_approve_all_in_one_click_with_one_message_per_recipient(staff_client, series):
    response, kinds = messages_written_by(
        lambda: staff_client.post(en("web:series_approve", series.pk), follow=True))
    assert statuses(series) == ["confirmed"] * 4
    page = text(response)
    assert "Approved: “Klub seniora”, Stowarzyszenie Aktywni Seniorzy, 4 meetings." in page
    assert "Nothing to approve." in page
    assert kinds == {OutboxMessage.Kind.SERIES_CONFIRMED}


def test_only_the_pending_meetings_are_approved_and_listed(staff_client, member, series, open_day):
    first = meetings(series)[0]
    Booking.objects.filter(pk=first.pk).update(status=BookingStatus.CANCELLED)
    card = card_of(text(staff_client.get(en("web:approval_queue"))), series)
    assert "3 meetings" in card and date_format(open_day, "j F Y") not in card
    staff_client.post(en("web:series_approve", series.pk))
    assert statuses(series) == ["cancelled", "confirmed", "confirmed", "confirmed"]


def test_reject_all_needs_a_reason_shown_next_to_it(staff_client, series):
    response = staff_client.post(en("web:series_reject", series.pk), {"reason": "  "})
    assert response.status_code == 400
    page = text(response)
    error = re.search(rf'<p class="error" id="series-reason-{series.pk}-error">(.*?)</p>', page, re.S).group(1)
    assert "Say why the request is rejected." in error
    assert f'aria-describedby="series-reason-{series.pk}-error"' in page
    assert statuses(series) == ["pending"] * 4
    response, kinds = messages_written_by(lambda: staff_client.post(
        en("web:series_reject", series.pk), {"reason": "Sala w remoncie"}, follow=True))
    assert "Rejected: “Klub seniora”, Stowarzyszenie Aktywni Seniorzy, 4 meetings." in text(response)
    assert {(b.status, b.decision_reason) for b in meetings(series)} == {("rejected", "Sala w remoncie")}
    assert kinds == {OutboxMessage.Kind.SERIES_REJECTED}


def test_a_decided_series_is_answered_with_a_message_not_an_error(staff_client, series):
    staff_client.post(en("web:series_approve", series.pk))
    response = staff_client.post(en("web:series_approve", series.pk), follow=True)
    assert response.status_code == 200
    assert "No meeting of this series awaits approval." in text(response)
    response = staff_client.post(en("web:series_reject", series.pk), {"reason": "Za późno"}, follow=True)
    assert "No meeting of this series awaits approval." in text(response)
    assert statuses(series) == ["confirmed"] * 4


def test_members_and_other_centres_staff_cannot_decide(client, member, series):
    client.force_login(member)
    assert client.post(en("web:series_approve", series.pk)).status_code == 403
    assert client.post(en("web:series_reject", series.pk), {"reason": "Nie"}).status_code == 403
    stranger = factories.make_user("ola")
    factories.make_centre("Centrum Pracy Socjalnej", staff=[stranger])
    client.force_login(stranger)
    assert client.post(en("web:series_approve", series.pk)).status_code == 404
    assert client.post(en("web:series_reject", series.pk), {"reason": "Nie"}).status_code == 404
    assert statuses(series) == ["pending"] * 4


def test_staff_of_another_centre_who_belong_to_the_organisation_still_cannot_decide(client, member, series):
    factories.make_centre("Centrum Pracy Socjalnej", staff=[member])
    client.force_login(member)
    assert client.post(en("web:series_approve", series.pk)).status_code == 403
    assert statuses(series) == ["pending"] * 4


def test_decisions_need_a_post(staff_client, series):
    assert staff_client.get(en("web:series_approve", series.pk)).status_code == 405
    assert staff_client.get(en("web:series_reject", series.pk)).status_code == 405
    assert staff_client.post(en("web:series_approve", 999999)).status_code == 404


def test_the_decision_forms_are_protected_against_csrf(client, staff_user, series):
    from django.test import Client

    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(staff_user)
    assert guarded.post(en("web:series_approve", series.pk)).status_code == 403
    assert statuses(series) == ["pending"] * 4


# --- Our bookings ------------------------------------------------------------------------------------------------

def test_our_bookings_tell_a_meeting_of_a_series_and_offer_both_cancellations(member_client, series):
    page = text(member_client.get(en("web:my_bookings")))
    for meeting in meetings(series):
        card = page[page.index(f'id="booking-{meeting.pk}"'):]
        card = card[:card.index("</li>")]
        assert "Part of a series" in card and "every Tuesday 16:00–18:00" in card
        assert en("web:booking_cancel", meeting.pk) in card
        assert en("web:booking_cancel_following", meeting.pk) in card
        assert "Cancel this and all later meetings" in card


def test_a_single_booking_is_not_called_part_of_a_series(member_client, member, room, organisation, open_day):
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                     title="Walne zebranie")
    page = text(member_client.get(en("web:my_bookings")))
    assert "Part of a series" not in page and en("web:booking_cancel_following", booking.pk) not in page
    assert member_client.get(en("web:booking_cancel_following", booking.pk)).status_code == 404


def test_cancelling_this_and_later_meetings_asks_first_then_cancels(member_client, series, open_day):
    second = meetings(series)[1]
    url = en("web:booking_cancel_following", second.pk)
    page = text(member_client.get(url))
    assert "3 meetings will be cancelled" in page
    listed = re.search(r'<ul class="meetings">(.*?)</ul>', page, re.S).group(1)
    assert [day in listed for day in dates(open_day, 4, "j F Y")] == [False, True, True, True]
    assert "every Tuesday 16:00–18:00" in page and 'name="csrfmiddlewaretoken"' in page
    assert statuses(series) == ["pending"] * 4
    response, kinds = messages_written_by(lambda: member_client.post(url, {"reason": ""}, follow=True))
    assert response.redirect_chain[-1][0] == en("web:my_bookings")
    assert "3 meetings of “Klub seniora” are cancelled." in text(response)
    assert statuses(series) == ["pending", "cancelled", "cancelled", "cancelled"]
    assert kinds == {OutboxMessage.Kind.SERIES_CANCELLED}
    # The last meeting left of the following ones: nothing more to cancel from there.
    page = text(member_client.get(url))
    assert "No future meeting of this series is left to cancel." in page


def test_another_organisation_cannot_see_or_cancel_the_series(client, series):
    other = factories.make_user("ewa")
    factories.make_organisation("Fundacja Sąsiedzi", members=[other])
    client.force_login(other)
    url = en("web:booking_cancel_following", meetings(series)[0].pk)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert statuses(series) == ["pending"] * 4


def test_staff_cancel_another_organisations_meetings_only_with_a_reason(staff_client, series):
    url = en("web:booking_cancel_following", meetings(series)[2].pk)
    response = staff_client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "Say why the booking is cancelled." in text(response)
    assert statuses(series) == ["pending"] * 4
    response = staff_client.post(url, {"reason": "Awaria ogrzewania"})
    assert response.url == en("web:approval_queue")
    assert statuses(series) == ["pending", "pending", "cancelled", "cancelled"]


def test_login_is_needed(client, series):
    url = en("web:booking_cancel_following", meetings(series)[0].pk)
    assert client.get(url).url.startswith(en("web:login"))
    assert client.post(en("web:series_approve", series.pk)).url.startswith(en("web:login"))


# --- Queries --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 12])
def test_our_bookings_cost_the_same_queries_however_many_series(member_client, django_assert_max_num_queries,
                                                                member, centre, organisation, open_day, count):
    for number in range(count):
        room = factories.make_resource(centre)
        factories.make_series(actor=member, resource=room, organisation=organisation, day=open_day, hour=7 + number % 9,
                              hours=2, rrule=WEEKLY_FOUR)
    with django_assert_max_num_queries(11):  # two of them: who may cancel what (rules.CancellationCheck)
        page = text(member_client.get(en("web:my_bookings")))
    assert page.count("Part of a series") == min(4 * count, 25)


# --- The recurrence in words ------------------------------------------------------------------------------------

TUESDAY = date(2027, 1, 12)


@pytest.mark.parametrize(("rrule", "words"), [
    ("FREQ=WEEKLY;COUNT=10", "every Tuesday"),
    ("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10", "every week on Tuesday, Thursday"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20270630", "every 2 weeks on Tuesday"),
    ("FREQ=DAILY;COUNT=5", "every day"),
    ("FREQ=DAILY;INTERVAL=3;COUNT=5", "every 3 days"),
    ("FREQ=MONTHLY;COUNT=5", "every month on day 12"),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=5", "every month on day 1, 15"),
    ("FREQ=MONTHLY;BYDAY=2TU;COUNT=5", "every month on the 2nd Tuesday"),
    ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=5", "every month on the last Friday"),
    ("FREQ=MONTHLY;BYDAY=-2FR;COUNT=5", ""),
    ("FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU;COUNT=5", ""),
])
def test_recurrence_in_words(rrule, words):
    with translation.override("en"):
        assert describe(rrule, TUESDAY) == words


@pytest.mark.parametrize(("rrule", "words"), [
    ("FREQ=WEEKLY;COUNT=10", "w każdy wtorek"),
    ("FREQ=WEEKLY;BYDAY=WE;COUNT=10", "w każdą środę"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=10", "co 2 tygodnie: wtorek, czwartek"),
    ("FREQ=DAILY;INTERVAL=5;COUNT=5", "co 5 dni"),
    ("FREQ=MONTHLY;BYDAY=2TU;COUNT=5", "co miesiąc: 2. wtorek miesiąca"),
    ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=5", "co miesiąc: piątek, ostatni taki dzień miesiąca"),
])
def test_recurrence_in_polish_words(rrule, words):
    with translation.override("pl"):
        assert describe(rrule, TUESDAY) == words


def test_a_whole_day_series_has_no_hours(staff_client, member, centre, organisation, open_day):
    locker = factories.make_resource(centre, kind="locker", name="Szafka 1")
    series = factories.make_series(actor=member, resource=locker, organisation=organisation, start=at(open_day, 0),
                                   end=at(open_day + timedelta(days=1), 0), rrule="FREQ=WEEKLY;COUNT=3",
                                   title="Magazyn", mode=Mode.SKIP_CONFLICTS).series
    card = card_of(text(staff_client.get(en("web:approval_queue"))), series)
    assert "every Tuesday, 3 meetings, from " in card
