"""Superusers export the audit trail of a period (every state change of a booking) as CSV or JSON, from the
command line or the admin; centre staff cannot."""
import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from booking import services
from booking.models import BookingEvent
from tests import factories


@pytest.fixture
def history(member, staff_user, room, organisation, open_day):
    """Three changes on 10 and 20 March 2026 and one on 1 April: a request, its approval, a cancellation."""
    first = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                                   title="=HYPERLINK(\"http://x\")")
    services.approve_booking(booking=first, actor=staff_user, reason="OK")
    second = factories.make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=14,
                                    title="Warsztaty")
    services.cancel_booking(booking=second, actor=member, reason="Choroba")
    events = list(BookingEvent.objects.order_by("id"))
    for event, at in zip(events, [datetime(2026, 3, 10, 9, tzinfo=UTC), datetime(2026, 3, 10, 12, tzinfo=UTC),
                                  datetime(2026, 3, 20, 22, 30, tzinfo=UTC), datetime(2026, 4, 1, 8, tzinfo=UTC)],
                          strict=True):
        BookingEvent.objects.filter(pk=event.pk).update(at=at)
    return first, second


def test_the_command_exports_a_period_as_csv(history, tmp_path):
    first, second = history
    output = tmp_path / "audit.csv"
    call_command("export_audit", "--from", "2026-03-01", "--to", "2026-03-31", "--output", str(output),
                 stderr=io.StringIO())
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert [(row["booking_id"], row["from_status"], row["to_status"], row["actor"]) for row in rows] == [
        (str(first.pk), "", "pending", "jan"), (str(first.pk), "pending", "confirmed", "anna"),
        (str(second.pk), "", "pending", "jan")]
    # 22:30 UTC on 20 March is 23:30 in Warsaw: still in March there.
    assert rows[2]["at"] == "2026-03-20T22:30:00+00:00"
    assert rows[1]["reason"] == "OK" and rows[0]["organisation"] == "Stowarzyszenie Aktywni Seniorzy"
    assert rows[0]["title"].startswith("'=")  # a spreadsheet shows it as text, never runs it


def test_the_command_exports_json(history):
    out = io.StringIO()
    call_command("export_audit", "--from", "2026-04-01", "--format", "json", stdout=out)
    [event] = json.loads(out.getvalue())
    assert (event["to_status"], event["reason"], event["booking_id"]) == ("cancelled", "Choroba", history[1].pk)


def test_the_command_refuses_an_upside_down_period(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="before"):
        call_command("export_audit", "--from", "2026-04-01", "--to", "2026-03-01")


def test_superusers_export_selected_changes_from_the_admin(client, history, django_assert_max_num_queries):
    client.force_login(factories.make_user("root", is_staff=True, is_superuser=True))
    with django_assert_max_num_queries(12):
        page = client.get("/en/admin/booking/bookingevent/?at__month=3&at__year=2026")
    assert page.status_code == 200
    march = list(BookingEvent.objects.filter(at__month=3).values_list("pk", flat=True))
    response = client.post("/en/admin/booking/bookingevent/", {"action": "export_csv", "_selected_action": march})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit-trail.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(int(row["event_id"]) for row in rows) == sorted(march)

    response = client.post("/en/admin/booking/bookingevent/", {"action": "export_json", "_selected_action": march})
    assert len(json.loads(response.content)) == 3


def test_centre_staff_do_not_see_the_audit_trail(client, history, staff_user):
    staff_user.is_staff = True
    staff_user.save()
    client.force_login(staff_user)
    assert client.get("/en/admin/booking/bookingevent/").status_code == 403
    march = list(BookingEvent.objects.values_list("pk", flat=True))
    response = client.post("/en/admin/booking/bookingevent/", {"action": "export_csv", "_selected_action": march})
    assert response.status_code == 403
