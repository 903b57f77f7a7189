"""One rule, every path: the same bad request through the service, the API and the web form is refused with the
same rule code, and writes nothing. (The rules live in booking.rules; the two front doors only parse input.)"""
import html
from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from booking.exceptions import RuleViolation
from booking.models import Booking, BookingStatus, Resource
from booking.services import book, reject_booking
from ngo.models import Organisation
from tests import factories
from tests.factories import at


@pytest.fixture
def locker(centre):
    """Two lockers let by whole days, for up to a year ahead."""
    return factories.make_resource(centre, kind=Resource.Kind.LOCKER, name="Szafki", units=2, capacity=None,
                                   booking_mode=Resource.BookingMode.DAYS, requires_approval=False,
                                   advance_window=timedelta(days=365))


def slot_request(room, organisation, open_day, **changes):
    return {"resource": room, "organisation": organisation, "start": at(open_day, 10), "end": at(open_day, 11),
            "title": "Zebranie zarządu", "purpose": "", "attendees": 5, "quantity": 1, "public": False, **changes}


# Each case: (resource fixture, changes to a valid request, the rule's code).
CASES = {
    "blank title": ("room", {"title": "   "}, "title_required"),
    "title over 200 characters": ("room", {"title": "Z" * 201}, "title_too_long"),
    "nobody comes": ("room", {"attendees": 0}, "invalid_attendees"),
    "more people than the room holds": ("room", {"attendees": 13}, "over_capacity"),
    "more lockers than there are": ("locker", {"quantity": 3}, "too_many_units"),
    "no locker at all": ("locker", {"quantity": 0}, "invalid_quantity"),
    "end in year 9999": ("locker", {"end": "9999-12-31"}, "out_of_range"),
    "beyond the advance window": ("room", {"days_ahead": 400}, "too_far_ahead"),
    "unverified organisation": ("room", {"organisation_status": Organisation.Status.UNVERIFIED},
                                "organisation_not_verified"),
    "suspended organisation": ("room", {"organisation_status": Organisation.Status.SUSPENDED},
                               "organisation_not_verified"),
    "removed organisation": ("room", {"organisation_removed": True}, "organisation_removed"),
}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def bad_request(request, room, locker, organisation, open_day):
    """A booking request breaking one rule, as the arguments of `services.book`, and the code it must get."""
    resource_name, changes, code = CASES[request.param]
    changes = dict(changes)
    resource = {"room": room, "locker": locker}[resource_name]
    if "organisation_status" in changes:
        organisation.status = changes.pop("organisation_status")
        organisation.save(update_fields=["status"])
    if changes.pop("organisation_removed", False):
        organisation.removed_at = timezone.now()
        organisation.save(update_fields=["removed_at"])
        # The member still books for another organisation, so the form is there (the removed one is not offered).
        factories.make_organisation("Klub Szachowy", members=list(organisation.members.all()))
    day = open_day
    if "days_ahead" in changes:
        day = factories.next_open_weekday(1, weeks_ahead=changes.pop("days_ahead") // 7 + 1, centre=room.centre)
    if resource is locker:
        start, end = at(day, 0), at(day + timedelta(days=7), 0)
        if changes.pop("end", None):
            end = at(date(9999, 12, 31), 0)
        arguments = slot_request(resource, organisation, day, start=start, end=end, attendees=1)
    else:
        arguments = slot_request(resource, organisation, day)
    arguments.update(changes)
    return arguments, code


def through_the_service(member, arguments):
    with pytest.raises(RuleViolation) as refusal:
        book(actor=member, **arguments)
    return refusal.value.code


def through_the_api(member, arguments):
    client = APIClient()
    client.force_authenticate(member)
    payload = {**arguments, "resource": arguments["resource"].pk, "organisation": arguments["organisation"].pk,
               "start": arguments["start"].isoformat(), "end": arguments["end"].isoformat()}
    response = client.post("/api/v1/bookings/", payload, format="json")
    assert response.status_code == 400, response.content
    return response.json()["code"]


def web_form_data(arguments):
    resource, start, end = arguments["resource"], arguments["start"], arguments["end"]
    data = {"organisation": arguments["organisation"].pk, "title": arguments["title"], "purpose": "",
            "attendees": arguments["attendees"], "quantity": arguments["quantity"]}
    if resource.booking_mode == Resource.BookingMode.SLOTS:
        data.update(date=start.date().isoformat(), start_time=f"{start:%H:%M}", end_time=f"{end:%H:%M}")
    else:
        # The form asks for the last day; the booking ends at the midnight after it.
        data.update(start_date=start.date().isoformat(), end_date=(end - timedelta(days=1)).date().isoformat())
    return data


def through_the_web_form(client, member, arguments):
    client.force_login(member)
    response = client.post(f"/resources/{arguments['resource'].pk}/book/", web_form_data(arguments))
    assert response.status_code == 200  # the form again, with the refusal next to a field
    form = response.context["form"]
    codes = [error.code for errors in form.errors.as_data().values() for error in errors]
    page = html.unescape(response.content.decode())
    assert all(message in page for errors in form.errors.values() for message in errors)
    return codes[0] if len(codes) == 1 else codes


def test_every_path_refuses_a_broken_rule_with_the_same_code(client, member, bad_request):
    arguments, code = bad_request
    assert through_the_service(member, arguments) == code
    assert through_the_api(member, arguments) == code
    assert through_the_web_form(client, member, arguments) == code
    assert not Booking.objects.exists()


@pytest.fixture
def pending(room, organisation, open_day):
    return factories.make_booking(resource=room, organisation=organisation, day=open_day)


@pytest.mark.parametrize("reason", ["", "   "])
def test_every_path_asks_why_a_request_is_rejected(client, staff_user, pending, reason):
    with pytest.raises(RuleViolation) as refusal:
        reject_booking(booking=pending, actor=staff_user, reason=reason)
    assert refusal.value.code == "reason_required"

    api = APIClient()
    api.force_authenticate(staff_user)
    response = api.post(f"/api/v1/bookings/{pending.pk}/reject/", {"reason": reason}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")

    client.force_login(staff_user)
    response = client.post(f"/staff/requests/{pending.pk}/reject/", {"reason": reason})
    assert response.status_code == 400
    shown = next(item for item in response.context["page"].object_list if item.pk == pending.pk)
    assert shown.reject_error.code == "reason_required"
    assert shown.reject_error.message in html.unescape(response.content.decode())

    pending.refresh_from_db()
    assert pending.status == BookingStatus.PENDING
