"""The waitlist: joining a taken time, the offer by e-mail when it frees, the hold, the offer passing on when it
lapses, and accepting it by the booking rules. The clock is frozen (time-machine); e-mail goes through the outbox."""
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from booking import services
from booking.availability import resource_availability
from booking.exceptions import BookingConflict, RuleViolation
from booking.models import Booking, BookingStatus, Closure, WaitlistEntry
from booking.tasks import expire_waitlist_offers
from booking.waitlist import accept_offer, expire_offers, leave_waitlist
from notifications.models import OutboxMessage
from tests import factories
from tests.factories import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def other(centre):
    """Another organisation at the centre, whose member Ola holds the time first."""
    ola = factories.make_user("ola")
    return factories.make_organisation("Fundacja Pomocna Dłoń", members=[ola], centres=[centre])


@pytest.fixture
def third(centre):
    ewa = factories.make_user("ewa")
    return factories.make_organisation("Klub Rodziców", members=[ewa], centres=[centre])


@pytest.fixture
def taken(room, other, open_day, clock):
    """Ola's organisation has the room on the open day, 10:00-12:00."""
    return factories.make_booking(resource=room, organisation=other, day=open_day, hour=10, hours=2)


def offers_to(mailoutbox, address):
    return [mail for mail in mailoutbox if mail.to == [address] and "/waitlist/" in mail.body]


def link_in(mail):
    return re.search(r"https?://\S+/waitlist/(\d+)/", mail.body)


def test_only_a_taken_time_can_be_waited_for(room, organisation, member, open_day, taken):
    with pytest.raises(RuleViolation) as refusal:
        factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=14)
    assert refusal.value.code == "time_is_free"
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    assert (entry.start, entry.end, entry.created_by, entry.offer) == (at(open_day, 10), at(open_day, 12), member,
                                                                       None)
    with pytest.raises(RuleViolation) as twice:
        factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    assert twice.value.code == "already_waiting"


def test_the_booking_rules_apply_to_joining(room, organisation, open_day, taken):
    with pytest.raises(RuleViolation) as refusal:  # the centre closes at 18:00
        factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=17, hours=3)
    assert refusal.value.code != "time_is_free"
    assert not WaitlistEntry.objects.exists()


@override_settings(WAITLIST_MAX_PER_ORGANISATION=2)
def test_an_organisation_waits_for_at_most_n_times(room, organisation, other, open_day, clock):
    for hour in (8, 10, 12):
        factories.make_booking(resource=room, organisation=other, day=open_day, hour=hour, hours=2)
    factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=8)
    factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10)
    with pytest.raises(RuleViolation) as refusal:
        factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=12)
    assert refusal.value.code == "waitlist_full"


def test_offer_hold_pass_on_and_accept(room, organisation, member, other, third, open_day, taken, clock, mailoutbox,
                                       django_capture_on_commit_callbacks):
    first = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    clock.shift(timedelta(minutes=5))
    second = factories.make_waitlist_entry(resource=room, organisation=third, day=open_day, hour=10, hours=2,
                                           title="Zebranie rodziców")
    offered_at = timezone.now()

    # Ola cancels: the first organisation waiting gets the offer, by e-mail, with a link.
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=other.members.first())
    first.refresh_from_db()
    assert first.offer.status == BookingStatus.OFFERED
    assert (first.offer.start, first.offer.end, first.offer.organisation) == (at(open_day, 10), at(open_day, 12),
                                                                               organisation)
    assert first.offer_expires_at == offered_at + timedelta(hours=12)
    [offer_mail] = offers_to(mailoutbox, [member.email][0])
    assert int(link_in(offer_mail).group(1)) == first.pk
    assert OutboxMessage.objects.get(kind=OutboxMessage.Kind.WAITLIST_OFFER).status == OutboxMessage.Status.SENT
    assert WaitlistEntry.objects.get(pk=second.pk).offer is None

    # The hold: nobody else can book the time meanwhile, and it shows as taken.
    with pytest.raises(BookingConflict):
        factories.make_booking(resource=room, organisation=third, day=open_day, hour=11)
    free = resource_availability(room, at(open_day, 0), at(open_day, 23)).free
    assert not any(interval.start < at(open_day, 12) and interval.end > at(open_day, 10) for interval in free)

    # Twelve hours on, the beat task passes the offer to the next organisation waiting.
    clock.shift(timedelta(hours=12))
    with django_capture_on_commit_callbacks(execute=True):
        expire_waitlist_offers()
    assert not WaitlistEntry.objects.filter(pk=first.pk).exists()
    second.refresh_from_db()
    assert second.offer.status == BookingStatus.OFFERED and second.offer.organisation == third
    [pass_on] = offers_to(mailoutbox, "ewa@example.org")
    assert int(link_in(pass_on).group(1)) == second.pk
    assert Booking.objects.filter(status=BookingStatus.OFFERED).count() == 1

    # Accepting books it through the rules: a request to the staff, as a direct booking of this room would be.
    result = accept_offer(actor=third.members.first(), entry=second)
    booking = result.booking
    assert (booking.status, booking.title, booking.organisation) == (BookingStatus.PENDING, "Zebranie rodziców", third)
    assert not WaitlistEntry.objects.exists()
    assert not Booking.objects.filter(status=BookingStatus.OFFERED).exists()


def test_an_offer_that_lapsed_cannot_be_accepted_even_before_the_beat_runs(room, organisation, member, open_day, taken,
                                                                            clock, django_capture_on_commit_callbacks):
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=taken.organisation.members.first())
    clock.shift(timedelta(hours=12, seconds=1))
    with pytest.raises(RuleViolation) as refusal:
        accept_offer(actor=member, entry=entry)
    assert refusal.value.code == "no_offer"


def test_a_rule_may_still_refuse_the_acceptance_and_the_offer_stays(room, organisation, member, open_day, taken,
                                                                     django_capture_on_commit_callbacks):
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=taken.organisation.members.first())
    room.centre.weekly_hours_per_organisation = 1
    room.centre.save()
    with pytest.raises(RuleViolation) as refusal:
        accept_offer(actor=member, entry=entry)
    assert refusal.value.code == "quota_exceeded"
    entry.refresh_from_db()
    assert entry.offer.status == BookingStatus.OFFERED


def test_only_the_organisations_members_accept(room, organisation, other, open_day, taken,
                                               django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied

    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=other.members.first())
    with pytest.raises(PermissionDenied):
        accept_offer(actor=other.members.first(), entry=entry)


def test_a_rejection_frees_the_time(room, organisation, staff_user, open_day, taken,
                                    django_capture_on_commit_callbacks):
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_booking(booking=taken, actor=staff_user, reason="Remont")
    entry.refresh_from_db()
    assert entry.is_offered


def test_the_only_request_that_fits_gets_the_offer(room, organisation, third, other, open_day, taken,
                                                   django_capture_on_commit_callbacks):
    """The first organisation waiting whose request now fits: a longer request still partly taken waits on."""
    factories.make_booking(resource=room, organisation=other, day=open_day, hour=12, hours=1)
    longer = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=3)
    fits = factories.make_waitlist_entry(resource=room, organisation=third, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=other.members.first())
    longer.refresh_from_db()
    fits.refresh_from_db()
    assert (longer.is_offered, fits.is_offered) == (False, True)


def test_a_closure_lifted_frees_the_time(room, organisation, staff_user, open_day, taken,
                                         django_capture_on_commit_callbacks):
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        closure = services.create_closure(actor=staff_user, centre=room.centre, start=at(open_day, 8),
                                          end=at(open_day, 13), reason="Awaria", cancel_bookings=True,
                                          cancellation_reason="Awaria ogrzewania")
    entry.refresh_from_db()
    assert not entry.is_offered  # freed, but closed
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_closure(actor=staff_user, closure=closure)
    entry.refresh_from_db()
    assert entry.is_offered
    assert not Closure.objects.exists()


def test_units_raised_free_the_time(room, organisation, open_day, taken, django_capture_on_commit_callbacks):
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    room.units = 2
    with django_capture_on_commit_callbacks(execute=True):
        services.save_resource(room)
    entry.refresh_from_db()
    assert entry.is_offered and entry.offer.quantity == 1
    assert Booking.objects.filter(resource=room, status__in=["confirmed", "pending", "offered"]).count() == 2


def test_leaving_passes_the_offer_on(room, organisation, member, third, open_day, taken,
                                     django_capture_on_commit_callbacks, mailoutbox):
    first = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    second = factories.make_waitlist_entry(resource=room, organisation=third, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=taken.organisation.members.first())
    with django_capture_on_commit_callbacks(execute=True):
        leave_waitlist(actor=member, entry=first)
    second.refresh_from_db()
    assert second.is_offered and not WaitlistEntry.objects.filter(pk=first.pk).exists()
    assert offers_to(mailoutbox, "ewa@example.org")


def test_entries_for_past_times_are_dropped(room, organisation, open_day, taken, clock):
    factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    clock.move_to(at(open_day, 10, 1))
    expire_offers()
    assert not WaitlistEntry.objects.exists()


def test_an_offer_is_held_no_longer_than_until_its_start(room, organisation, open_day, clock, other,
                                                          django_capture_on_commit_callbacks):
    clock.move_to(at(open_day, 7))
    taken = factories.make_booking(resource=room, organisation=other, day=open_day, hour=10, hours=2)
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=other.members.first())
    entry.refresh_from_db()
    assert entry.offer_expires_at == at(open_day, 10)


def test_an_offer_is_no_booking_of_the_organisation_yet(client, room, organisation, member, open_day, taken,
                                                        django_capture_on_commit_callbacks):
    """Lists, feeds and the API show the organisation its waitlist entry, not the held offer."""
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=taken.organisation.members.first())
    entry.refresh_from_db()
    client.force_login(member)
    ids = [booking["id"] for booking in client.get("/api/v1/bookings/").json()["results"]]
    assert entry.offer_id not in ids
    page = client.get("/en/bookings/").content.decode()
    assert f'id="waitlist-{entry.pk}"' in page and "held for you until" in page
    assert f'id="booking-{entry.offer_id}"' not in page


def test_feeds_the_staff_queue_and_the_report_leave_an_offer_out(room, organisation, open_day, taken, staff_user,
                                                                 django_capture_on_commit_callbacks):
    from booking.feeds import occupancy_bookings
    from booking.reports import centre_usage
    from booking.selectors import approval_requests, visible_bookings

    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=taken.organisation.members.first())
    entry.refresh_from_db()
    now = timezone.now()
    assert entry.offer_id not in [booking.pk for booking in occupancy_bookings(room, now=now)]
    assert entry.offer_id not in [row["booking_id"] for row in approval_requests([room.centre])]
    assert not visible_bookings(staff_user).filter(pk=entry.offer_id).exists()
    report = centre_usage(room.centre, open_day, open_day)
    assert (report.cancelled, report.rejected) == (1, 0) and sum(r.bookings for r in report.resources) == 0


def test_a_closure_withdraws_an_offer_and_the_entry_waits_on(room, organisation, staff_user, open_day, taken,
                                                             django_capture_on_commit_callbacks):
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking=taken, actor=taken.organisation.members.first())
    entry.refresh_from_db()
    assert entry.is_offered
    closure = services.create_closure(actor=staff_user, centre=room.centre, start=at(open_day, 11),
                                      end=at(open_day, 12), reason="Awaria")
    entry.refresh_from_db()
    assert (entry.offer, entry.offer_expires_at) == (None, None)
    assert not Booking.objects.filter(status=BookingStatus.OFFERED).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_closure(actor=staff_user, closure=closure)
    entry.refresh_from_db()
    assert entry.is_offered


def test_a_series_rejected_frees_its_meetings(room, organisation, other, staff_user, open_day,
                                              django_capture_on_commit_callbacks):
    from booking.series import reject_series

    series = factories.make_series(resource=room, organisation=other, day=open_day, hour=10, hours=2,
                                   rrule="FREQ=WEEKLY;COUNT=2").series
    entry = factories.make_waitlist_entry(resource=room, organisation=organisation, day=open_day, hour=10, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        reject_series(series=series, actor=staff_user, reason="Remont")
    entry.refresh_from_db()
    assert entry.is_offered
