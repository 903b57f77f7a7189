"""Booking creation issues a fixed, small number of SQL statements (issue 21 asks for at most 8).

The rules' reference data comes with the resource's lock (opening hours, the booker's membership, and the
centre's staff for the notice of a request) and in one statement after it (closures, the bookings in the way):
`booking.conflicts`. The count is of a booking that needs approval, the longest path, and includes the
transaction's BEGIN and COMMIT (SAVEPOINT and RELEASE inside a test's transaction). Named by id, as the API names
them, the resource and the organisation come with the lock too: the API's count, 1 more for the token, is
`test_booking_takes_a_fixed_number_of_statements` in test_api_endpoints.py.
"""
from datetime import timedelta

import pytest

from booking.exceptions import NotVisible
from booking.models import Booking, BookingStatus, Closure
from booking.services import book
from ngo.models import Organisation
from tests import factories
from tests.factories import at

# The service: transaction (2), the lock with the reference data, closures and bookings in the way, the booking,
# its audit event, its e-mails' outbox rows.
SERVICE_STATEMENTS = 7


@pytest.fixture
def booker(centre, room, member):
    organisation = factories.make_organisation(members=[member], centres=[centre])
    return organisation, factories.next_open_weekday(centre=centre)


def test_the_service_books_in_at_most_7_statements(room, member, booker, django_assert_max_num_queries):
    organisation, day = booker
    factories.make_booking(resource=room, organisation=organisation, day=day, hour=8)  # something in the way list
    Closure.objects.create(centre=room.centre, start=at(day, 16), end=at(day, 17), reason="Sprzątanie")

    with django_assert_max_num_queries(SERVICE_STATEMENTS):
        booking = book(actor=member, resource=room, organisation=organisation, start=at(day, 10), end=at(day, 11),
                       title="Zebranie").booking
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.PENDING


def test_the_rules_read_with_the_lock_still_refuse(room, member, staff_user, centre, booker):
    """Opening hours, closures (with their reason), membership and the bookings in the way, read the new way,
    refuse as before."""
    from booking.exceptions import BookingConflict, RuleViolation

    organisation, day = booker
    stranger = factories.make_user()
    cases = [
        (dict(actor=member, start=at(day, 19), end=at(day, 20)), "outside_opening_hours"),
        (dict(actor=stranger, start=at(day, 10), end=at(day, 11)), "not_a_member"),
    ]
    Closure.objects.create(centre=centre, resource=room, start=at(day, 14), end=at(day, 15), reason="Malowanie")
    cases.append((dict(actor=member, start=at(day, 14), end=at(day, 15)), "closed"))
    for fields, code in cases:
        with pytest.raises(RuleViolation) as refused:
            book(resource=room, organisation=organisation, title="Zebranie", **fields)
        assert refused.value.code == code
    with pytest.raises(RuleViolation, match="Malowanie"):
        book(actor=member, resource=room, organisation=organisation, title="Z", start=at(day, 14), end=at(day, 15))

    taken = factories.make_booking(resource=room, organisation=organisation, day=day, hour=10, title="Pierwsze")
    room.buffer = timedelta(minutes=30)
    room.save()
    with pytest.raises(BookingConflict) as conflict:  # the buffer counts; the refusal names the booking in full
        book(actor=member, resource=room, organisation=organisation, title="Z", start=at(day, 11), end=at(day, 12))
    assert [(b.pk, b.title, b.organisation_id) for b in conflict.value.conflicts] == [
        (taken.pk, "Pierwsze", organisation.pk)]


def test_ids_named_by_a_caller_are_read_with_the_lock(room, member, booker, django_assert_max_num_queries):
    """The API names the resource and the organisation by id: the lock's statement reads them too, the organisation
    with every field as stored."""
    organisation, day = booker

    with django_assert_max_num_queries(SERVICE_STATEMENTS):
        booking = book(actor=member, resource=room.pk, organisation=organisation.pk, start=at(day, 10),
                       end=at(day, 11), title="Zebranie").booking

    stored = Organisation.objects.get(pk=organisation.pk)
    assert booking.resource == room and booking.organisation == stored
    assert [getattr(booking.organisation, field.attname) for field in Organisation._meta.concrete_fields] == [
        getattr(stored, field.attname) for field in Organisation._meta.concrete_fields]


def test_an_id_the_actor_may_not_see_is_refused_as_one_that_does_not_exist(centre, room, member, booker):
    organisation, day = booker
    inactive = factories.make_resource(centre, is_active=False)
    someone_elses = factories.make_organisation(centres=[centre])
    for resource, organisation_id, field in [(inactive.pk, organisation.pk, "resource"),
                                              (999999, organisation.pk, "resource"),
                                              (room.pk, someone_elses.pk, "organisation"),
                                              (room.pk, 999999, "organisation")]:
        with pytest.raises(NotVisible) as refused:
            book(actor=member, resource=resource, organisation=organisation_id, start=at(day, 10), end=at(day, 11),
                 title="Zebranie")
        assert (refused.value.field, refused.value.pk) == (field, resource if field == "resource" else organisation_id)
    assert not Booking.objects.exists()
