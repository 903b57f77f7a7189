"""Long-term lending: renewals from "our bookings" (the same rules as any booking), reminders 14 and 3 days before
the end (a frozen clock, through the outbox, each once), and the staff's "ending this month"."""
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking.exceptions import BookingConflict, RuleViolation
from booking.lending import ending_lendings, renew_booking
from booking.localtime import local_midnight
from booking.models import Booking, BookingStatus, Resource
from notifications.models import OutboxMessage
from notifications.tasks import remind_lending_end
from tests import factories

pytestmark = pytest.mark.django_db

BOOKED_ON = local_midnight(date(2026, 1, 5), factories.WARSAW)
FIRST, LAST = date(2026, 2, 1), date(2026, 3, 31)  # the lending: February and March 2026 (ends 1 April 00:00)


@pytest.fixture
def locker():
    staff = factories.make_user("anna")
    member = factories.make_user("jan")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff])
    organisation = factories.make_organisation("Fundacja Złota Jesień", members=[member], centres=[centre])
    resource = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka 7", requires_approval=False)
    booking = factories.make_booking(resource=resource, organisation=organisation, actor=member,
                                     start=local_midnight(FIRST, centre.tz),
                                     end=local_midnight(LAST + timedelta(days=1), centre.tz), title="Materiały",
                                     now=BOOKED_ON)
    return {"staff": staff, "member": member, "centre": centre, "organisation": organisation, "resource": resource,
            "booking": booking}


def test_a_renewal_is_a_new_booking_right_after_the_current_one(locker):
    booking = locker["booking"]
    renewal = renew_booking(actor=locker["member"], booking=booking, last_day=date(2026, 4, 30),
                            now=BOOKED_ON).booking
    assert (renewal.start, renewal.end) == (booking.end, local_midnight(date(2026, 5, 1), locker["centre"].tz))
    assert (renewal.title, renewal.status, renewal.organisation) == (
        "Materiały", BookingStatus.CONFIRMED, locker["organisation"])
    with pytest.raises(RuleViolation) as refused:
        renew_booking(actor=locker["member"], booking=booking, last_day=date(2026, 5, 31), now=BOOKED_ON)
    assert refused.value.code == "already_renewed"


def test_a_renewal_meets_the_same_rules_and_conflicts(locker):
    booking, member = locker["booking"], locker["member"]
    other = factories.make_organisation("Klub Sąsiedzki", members=[factories.make_user("ewa")])
    factories.make_booking(resource=locker["resource"], organisation=other, start=booking.end,
                           end=booking.end + timedelta(days=7), now=BOOKED_ON)
    with pytest.raises(BookingConflict):
        renew_booking(actor=member, booking=booking, last_day=date(2026, 4, 30), now=BOOKED_ON)
    with pytest.raises(RuleViolation) as refused:
        renew_booking(actor=member, booking=booking, last_day=date(2026, 3, 15), now=BOOKED_ON)
    assert refused.value.code == "invalid_period"
    with pytest.raises(RuleViolation) as refused:  # the longest booking by days (366) holds for renewals too
        renew_booking(actor=member, booking=booking, last_day=date(2027, 6, 30), now=BOOKED_ON)
    assert refused.value.code == "too_long"
    with pytest.raises(RuleViolation) as refused:
        renew_booking(actor=member, booking=booking, last_day=date(2026, 4, 30),
                      now=local_midnight(date(2026, 4, 2), locker["centre"].tz))
    assert refused.value.code == "not_renewable"
    room = factories.make_resource(locker["centre"], name="Sala", requires_approval=False)
    meeting = factories.make_booking(resource=room, organisation=locker["organisation"], actor=member,
                                     day=date(2026, 2, 3), hour=10, now=BOOKED_ON)
    with pytest.raises(RuleViolation) as refused:
        renew_booking(actor=member, booking=meeting, last_day=date(2026, 2, 10), now=BOOKED_ON)
    assert refused.value.code == "not_renewable"


def test_members_renew_from_our_bookings_and_others_get_404(locker):
    tz = locker["centre"].tz
    first = timezone.localdate() + timedelta(days=7)
    booking = factories.make_booking(resource=locker["resource"], organisation=locker["organisation"],
                                     actor=locker["member"], start=local_midnight(first, tz),
                                     end=local_midnight(first + timedelta(days=60), tz), title="Szafka na sezon")
    last = first + timedelta(days=59)
    member = Client()
    member.force_login(locker["member"])
    page = member.get("/en/bookings/").content.decode()
    assert f"/bookings/{booking.pk}/renew/" in page
    assert member.get(f"/en/bookings/{booking.pk}/renew/").status_code == 200
    assert member.post(f"/en/bookings/{booking.pk}/renew/", {"last_day": first.isoformat()}).status_code == 400
    assert member.post(f"/en/bookings/{booking.pk}/renew/", {"last_day": "tomorrow"}).status_code == 400
    answer = member.post(f"/en/bookings/{booking.pk}/renew/", {"last_day": (last + timedelta(days=30)).isoformat()})
    assert answer.status_code == 302
    assert Booking.objects.filter(start=booking.end, organisation=locker["organisation"]).count() == 1
    assert f"/bookings/{booking.pk}/renew/" not in member.get("/en/bookings/").content.decode()
    stranger = Client()
    stranger.force_login(factories.make_user("obcy"))
    assert stranger.get(f"/en/bookings/{booking.pk}/renew/").status_code == 404
    assert stranger.post(f"/en/bookings/{booking.pk}/renew/", {"last_day": last.isoformat()}).status_code == 404


def test_reminders_go_14_and_3_days_before_the_end_each_once(locker, mailoutbox, django_capture_on_commit_callbacks):
    tz = locker["centre"].tz
    end_day = LAST + timedelta(days=1)

    def on(days_before, hour=9):
        return local_midnight(end_day - timedelta(days=days_before), tz) + timedelta(hours=hour)

    with django_capture_on_commit_callbacks(execute=True):
        assert remind_lending_end(now=on(15)) == 0
        assert remind_lending_end(now=on(14)) == 1
        assert remind_lending_end(now=on(14, hour=10)) == 0
        assert remind_lending_end(now=on(10)) == 0
        assert remind_lending_end(now=on(3)) == 1
        assert remind_lending_end(now=on(3, hour=18)) == 0
        assert remind_lending_end(now=on(1)) == 0
    assert len(mailoutbox) == 2 and all("Szafka 7" in mail.subject for mail in mailoutbox)
    assert all(mail.to == ["jan@example.org"] for mail in mailoutbox)
    assert OutboxMessage.objects.filter(booking=locker["booking"]).exclude(
        kind__in=["booking_confirmed", "booking_requested"]).count() == 2


def test_renewed_and_short_lendings_get_only_the_reminders_that_make_sense(locker, mailoutbox,
                                                                           django_capture_on_commit_callbacks):
    tz = locker["centre"].tz
    renew_booking(actor=locker["member"], booking=locker["booking"], last_day=date(2026, 4, 30), now=BOOKED_ON)
    five_days = factories.make_booking(resource=factories.make_resource(locker["centre"], Resource.Kind.LOCKER,
                                                                        requires_approval=False),
                                       organisation=locker["organisation"], actor=locker["member"],
                                       start=local_midnight(date(2026, 3, 24), tz),
                                       end=local_midnight(date(2026, 3, 29), tz), now=BOOKED_ON)
    with django_capture_on_commit_callbacks(execute=True):
        for day in range(10, 32):
            remind_lending_end(now=local_midnight(date(2026, 3, day), tz) + timedelta(hours=9))
    kinds = list(OutboxMessage.objects.filter(kind__startswith="lending_").values_list("booking", "kind"))
    assert kinds == [(five_days.pk, "lending_ends_3")]  # the renewed one is not reminded; the short one 3 days before


def test_staff_see_lendings_ending_this_month(locker):
    tz = locker["centre"].tz
    in_march = local_midnight(date(2026, 3, 5), tz)
    assert [b.pk for b in ending_lendings([locker["centre"]], now=in_march)] == [locker["booking"].pk]
    assert ending_lendings([locker["centre"]], now=local_midnight(date(2026, 2, 5), tz)) == []
    staff = Client()
    staff.force_login(locker["staff"])
    renew_booking(actor=locker["member"], booking=locker["booking"], last_day=date(2026, 4, 30), now=BOOKED_ON)
    assert ending_lendings([locker["centre"]], now=in_march) == []
    assert staff.get("/en/staff/requests/").status_code == 200
