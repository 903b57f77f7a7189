"""Keys and deposits: staff record the handover and the return; a key still out after its booking shows in "keys
not returned" and its organisation is reminded once (a frozen clock, through the outbox)."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from booking.exceptions import RuleViolation
from booking.keys import hand_over_key, keys_not_returned, return_key
from booking.localtime import local_midnight
from booking.models import KeyHandover, Resource
from notifications.models import OutboxMessage
from notifications.tasks import remind_keys
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lent():
    staff = factories.make_user("anna")
    member = factories.make_user("jan")
    centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff])
    organisation = factories.make_organisation("Fundacja Złota Jesień", members=[member], centres=[centre])
    locker = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka 7", requires_approval=False,
                                     needs_key=True)
    first = timezone.localdate() + timedelta(days=3)
    booking = factories.make_booking(resource=locker, organisation=organisation, actor=member,
                                     start=local_midnight(first, centre.tz),
                                     end=local_midnight(first + timedelta(days=30), centre.tz), title="Materiały")
    return {"staff": staff, "member": member, "centre": centre, "organisation": organisation, "locker": locker,
            "booking": booking, "after": booking.end + timedelta(hours=9)}


def test_a_key_handed_over_and_not_returned_after_the_end_is_listed_until_it_comes_back(lent):
    handover = hand_over_key(actor=lent["staff"], booking=lent["booking"], key="S7-A", taken_by="Jan Kowalski",
                             deposit=Decimal("50.00"))
    centres = [lent["centre"]]
    assert list(keys_not_returned(centres)) == []
    assert list(keys_not_returned(centres, now=lent["after"])) == [handover]
    return_key(actor=lent["staff"], handover=handover)
    handover.refresh_from_db()
    assert handover.returned_on is not None and handover.deposit_refunded and handover.returned_to == lent["staff"]
    assert list(keys_not_returned(centres, now=lent["after"])) == []
    with pytest.raises(RuleViolation) as refused:
        return_key(actor=lent["staff"], handover=handover)
    assert refused.value.code == "already_returned"


def test_only_staff_hand_over_keys_of_resources_that_have_them(lent):
    with pytest.raises(PermissionDenied):
        hand_over_key(actor=lent["member"], booking=lent["booking"], key="S7-A", taken_by="Jan")
    room = factories.make_resource(lent["centre"], name="Sala", requires_approval=False)
    meeting = factories.make_booking(resource=room, organisation=lent["organisation"], actor=lent["member"],
                                     day=factories.next_open_weekday(1, centre=lent["centre"]))
    with pytest.raises(RuleViolation) as refused:
        hand_over_key(actor=lent["staff"], booking=meeting, key="1", taken_by="Jan")
    assert refused.value.code == "no_key"
    with pytest.raises(RuleViolation) as refused:
        hand_over_key(actor=lent["staff"], booking=lent["booking"], key=" ", taken_by="Jan")
    assert refused.value.code == "required"


def test_the_organisation_is_reminded_once_of_a_key_not_returned(lent, mailoutbox,
                                                                 django_capture_on_commit_callbacks):
    hand_over_key(actor=lent["staff"], booking=lent["booking"], key="S7-A", taken_by="Jan Kowalski")
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_keys(now=lent["booking"].end - timedelta(hours=1)) == 0
        assert remind_keys(now=lent["after"]) == 1
        assert remind_keys(now=lent["after"] + timedelta(days=1)) == 0
    [mail] = mailoutbox
    assert mail.to == ["jan@example.org"] and "Szafka 7" in mail.subject
    assert OutboxMessage.objects.filter(kind="key_not_returned").count() == 1


def test_staff_record_keys_on_their_page(lent, django_assert_max_num_queries):
    staff = Client()
    staff.force_login(lent["staff"])
    answer = staff.post("/en/staff/keys/", {"booking": lent["booking"].pk, "key": "S7-A", "taken_by": "Jan Kowalski",
                                            "deposit": "50"})
    assert answer.status_code == 302
    handover = KeyHandover.objects.get()
    assert (handover.key, handover.deposit, handover.handed_over_by) == ("S7-A", Decimal("50.00"), lent["staff"])
    assert staff.post("/en/staff/keys/", {"booking": lent["booking"].pk, "key": "", "taken_by": ""}).status_code == 400
    with django_assert_max_num_queries(12):
        page = staff.get("/en/staff/keys/").content.decode()
    assert "S7-A" in page and "Jan Kowalski" in page

    member = Client()
    member.force_login(lent["member"])
    assert member.get("/en/staff/keys/").status_code == 403
    ewa = factories.make_user("ewa")
    factories.make_centre("Centrum Pracy Socjalnej", staff=[ewa])
    other_staff = Client()
    other_staff.force_login(ewa)
    assert other_staff.post(f"/en/staff/keys/{handover.pk}/return/").status_code == 404
    assert staff.post(f"/en/staff/keys/{handover.pk}/return/").status_code == 302
    handover.refresh_from_db()
    assert handover.returned_on == timezone.localdate()
