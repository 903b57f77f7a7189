"""Who may read the outgoing e-mails (the centre's staff, read-only) and when they are erased (the personal-data
purge of organisations that left long ago: the messages name people and organisations)."""
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from booking.accounts import centre_staff_group
from ngo import letters as ngo_letters
from ngo.gdpr import purge_personal_data
from ngo.models import Organisation
from notifications.models import OutboxMessage
from notifications.tasks import deliver
from tests import factories
from tests.factories import at

NOW = at(date(2027, 1, 4), 9)
TUESDAY = date(2027, 1, 12)


@pytest.fixture
def left_long_ago(member, staff_user, room, centre):
    """An organisation that left six years ago: e-mails about its series of meetings, to its coordinator and
    to staff, and about a letter; Zofia belonged to it only, Jan belongs to another organisation too."""
    zofia = factories.make_user("zofia", first_name="Zofia", last_name="Wiśniewska")
    organisation = factories.make_organisation("Klub Seniora Zofii Wiśniewskiej", members=[member],
                                               coordinators=[zofia], phone="600100200", centres=[centre])
    factories.make_series(actor=zofia, resource=room, organisation=organisation, day=TUESDAY, hour=17,
                          rrule="FREQ=WEEKLY;COUNT=4", title="Urodziny Pani Zofii", now=NOW)
    ngo_letters.log_letter(organisation=organisation, actor=staff_user, sender="ZUS, Zofia Wiśniewska")
    # Zofia also had a booking with a group she left before; its e-mail was addressed to her.
    earlier = factories.make_organisation("Dawny Chór", members=[zofia])
    factories.make_booking(actor=zofia, resource=room, organisation=earlier, day=TUESDAY, hour=10, hours=2,
                           title="Próba chóru", now=NOW)
    earlier.memberships.filter(user=zofia).delete()
    organisation.removed_at = timezone.now() - timedelta(days=6 * 366)
    organisation.save()
    return organisation


def test_the_purge_erases_the_e_mails_about_purged_organisations_and_to_purged_people(
        left_long_ago, member, organisation, room):
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY, hour=13,
                           title="Walne zebranie", now=NOW)
    for message in OutboxMessage.objects.all():  # as the worker does, once the bookings' transactions commit
        deliver(message.pk)
    kept = set(OutboxMessage.objects.filter(subject__contains="Walne zebranie").values_list("pk", flat=True))
    assert len(kept) == 2  # to Jan and to the staff
    about_zofia = OutboxMessage.objects.exclude(pk__in=kept)
    assert sorted(about_zofia.values_list("kind", "recipient")) == [
        ("booking_requested", "zofia@example.org"), ("letter_received", "zofia@example.org"),
        ("request_to_approve", "anna@example.org"), ("series_requested", "zofia@example.org"),
        ("series_to_approve", "anna@example.org")]

    purge_personal_data(years=5, dry_run=True)
    assert OutboxMessage.objects.count() == 7  # a dry run erases nothing

    report = purge_personal_data(years=5)

    assert [pk for pk, _name, _removed in report.organisations] == [left_long_ago.pk] and report.people == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == kept
    assert not OutboxMessage.objects.filter(body_text__contains="Zofi").exists()


def test_staff_read_the_outgoing_e_mails_but_cannot_change_them(client, db):
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())
    staff = factories.get_user_model().objects.get(username="staff")
    assert list(staff.groups.all()) == [centre_staff_group()]
    assert staff.has_perm("notifications.view_outboxmessage")
    assert not staff.has_perm("notifications.change_outboxmessage")
    assert staff.has_perm("booking.change_booking") and staff.has_perm("ngo.view_letter")
    assert set(Permission.objects.filter(group__name="Centre staff", content_type__app_label="notifications")
               .values_list("codename", flat=True)) == {"view_outboxmessage"}

    assert client.login(username="staff", password="staff")
    assert client.get("/admin/notifications/outboxmessage/").status_code == 200
    assert Organisation.objects.exists()


def test_staff_read_only_the_e_mails_of_their_own_centres(client, member, staff_user, room, organisation, open_day,
                                                          django_capture_on_commit_callbacks):
    staff_user.is_staff = True
    staff_user.save(update_fields=["is_staff"])
    staff_user.groups.add(centre_staff_group())
    other_staff = factories.make_user("ola", is_staff=True)
    other_staff.groups.add(centre_staff_group())
    other_room = factories.make_resource(factories.make_centre("Centrum Pracy Socjalnej", staff=[other_staff]),
                                         name="Sala warsztatowa")
    with django_capture_on_commit_callbacks(execute=True):  # the messages are written when they are sent
        factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10, hours=2,
                               title="Zebranie Aktywnych Seniorów")
        factories.make_booking(actor=member, resource=other_room, organisation=organisation, day=open_day, hour=10,
                               hours=2, title="Warsztaty w Pracy Socjalnej")
        factories.make_series(actor=member, resource=other_room, organisation=organisation, day=TUESDAY, hour=17,
                              rrule="FREQ=WEEKLY;COUNT=4", title="Cykl Pracy Socjalnej", now=NOW)

    client.force_login(staff_user)
    page = client.get("/admin/notifications/outboxmessage/?q=").content.decode()

    assert "Zebranie Aktywnych Seniorów" in page
    assert "Warsztaty w Pracy Socjalnej" not in page and "Cykl Pracy Socjalnej" not in page
    client.force_login(other_staff)
    assert "Cykl Pracy Socjalnej" in client.get("/admin/notifications/outboxmessage/?q=").content.decode()
