"""Operations commands as the centre's IT helper runs them: staff logins, resource import, booking export,
and the personal-data purge."""
import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.utils import timezone, translation

from booking import services
from booking.models import Booking, BookingEvent, BookingStatus, FeedToken, Resource
from ngo.models import Letter, Membership, Organisation
from tests import factories
from tests.factories import WARSAW, at

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=WARSAW)
TUESDAY = date(2026, 1, 13)


def run(*args, stderr=None, **options):
    """Run a command in English (commands speak the project's language, Polish, by default)."""
    out, err = io.StringIO(), stderr or io.StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def snapshot():
    """Everything the commands may write, to prove a dry run or a rejected file wrote nothing."""
    User = get_user_model()
    return (
        list(Resource.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values()),
        list(Organisation.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        list(Booking.objects.order_by("pk").values()),
        list(Letter.objects.order_by("pk").values()),
        list(FeedToken.objects.order_by("pk").values()),
    )


@pytest.fixture
def centre(db, staff_user):
    return factories.make_centre("Centrum Aktywizacji Społecznej", staff=[staff_user], short_name="CAS")


# --- create_centre_staff ------------------------------------------------------------------------

def test_help_texts_say_what_each_command_does():
    for command, words in [("create_centre_staff", "staff"), ("import_resources", "line number"),
                           ("export_bookings", "CSV"), ("purge_personal_data", "GDPR")]:
        parser = load_command_class(
            "ngo" if command == "purge_personal_data" else "booking", command).create_parser("manage.py", command)
        assert words in parser.format_help().replace("\n", " ")


def test_create_centre_staff_makes_a_login_that_reaches_the_admin(centre, client, monkeypatch):
    monkeypatch.setenv("CENTRE_STAFF_PASSWORD", "Kasztanowa-Aleja-17")
    out, _ = run("create_centre_staff", "ewa", "--centre", "CAS", "--email", "ewa@example.org",
                 "--first-name", "Ewa", "--no-input")
    assert "Created ewa as staff of Centrum Aktywizacji Społecznej" in out
    ewa = get_user_model().objects.get(username="ewa")
    assert ewa.is_staff and not ewa.is_superuser
    assert list(ewa.staffed_centres.all()) == [centre]
    assert ewa.groups.get().name == "Centre staff"
    assert client.login(username="ewa", password="Kasztanowa-Aleja-17")
    response = client.get("/admin/booking/resource/")
    assert response.status_code == 200


def test_create_centre_staff_without_password_leaves_it_to_the_reset(centre):
    out, _ = run("create_centre_staff", "ewa", "--centre", str(centre.pk), "--no-input")
    assert "password reset" in out
    assert not get_user_model().objects.get(username="ewa").has_usable_password()


def test_create_centre_staff_adds_an_existing_user_to_another_centre(centre, member):
    other = factories.make_centre("Centrum Pracy Socjalnej", short_name="CPS")
    out, _ = run("create_centre_staff", member.username, "--centre", "cps", "--no-input")
    assert "Added jan as staff of Centrum Pracy Socjalnej" in out
    member.refresh_from_db()
    assert member.is_staff and list(member.staffed_centres.all()) == [other]
    assert member.check_password("jan")  # untouched


def test_create_centre_staff_refuses_unknown_centre_and_weak_password(centre, monkeypatch):
    before = snapshot()
    with pytest.raises(CommandError, match="No centre is called “Nowhere”"):
        run("create_centre_staff", "ewa", "--centre", "Nowhere", "--no-input")
    monkeypatch.setenv("CENTRE_STAFF_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="too common"):
        run("create_centre_staff", "ewa", "--centre", "CAS", "--no-input")
    assert snapshot() == before


def test_create_centre_staff_dry_run_changes_nothing(centre):
    before = snapshot()
    out, _ = run("create_centre_staff", "ewa", "--centre", "CAS", "--no-input", "--dry-run")
    assert "Would create ewa" in out
    assert snapshot() == before


# --- import_resources ---------------------------------------------------------------------------

GOOD_CSV = """centre;kind;name;capacity;units;amenities;requires_approval;max_minutes;advance_days
CAS;room;Sala szkoleniowa;30;;"rzutnik; tablica";tak;480;90
Centrum Aktywizacji Społecznej;locker;Szafki (rząd B);;6;;nie;;
CAS;accommodation;Pokój 2-osobowy;2;2;pościel;yes;;
"""


def write(tmp_path, text, name="resources.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_import_resources_creates_them_with_the_kind_defaults(centre, tmp_path):
    out, _ = run("import_resources", write(tmp_path, GOOD_CSV, encoding="utf-8-sig"))
    assert "Created 3 and updated 0 resources" in out
    room = Resource.objects.get(name="Sala szkoleniowa")
    assert (room.centre, room.kind, room.capacity, room.units) == (centre, "room", 30, 1)
    assert room.amenities == ["rzutnik", "tablica"]
    assert room.requires_approval and room.max_duration == timedelta(hours=8)
    assert room.advance_window == timedelta(days=90) and room.booking_mode == Resource.BookingMode.SLOTS
    lockers = Resource.objects.get(name="Szafki (rząd B)")
    assert (lockers.units, lockers.requires_approval, lockers.booking_mode) == (6, False, "days")
    assert Resource.objects.get(name="Pokój 2-osobowy").booking_mode == "nights"


def test_import_resources_again_updates_by_centre_and_name(centre, tmp_path):
    run("import_resources", write(tmp_path, GOOD_CSV))
    out, _ = run("import_resources", write(tmp_path, "centre,kind,name,capacity\nCAS,room,Sala szkoleniowa,25\n"))
    assert "Created 0 and updated 1 resources" in out
    room = Resource.objects.get(name="Sala szkoleniowa")
    assert room.capacity == 25 and room.max_duration == timedelta(hours=8)  # other fields kept
    assert Resource.objects.count() == 3


def test_import_resources_reports_every_bad_row_by_line_and_imports_nothing(centre, tmp_path):
    text = (
        "centre,kind,name,capacity,units,requires_approval\n"  # line 1
        "CAS,room,Sala dobra,12,,yes\n"  # 2: fine
        "CAS,rom,Sala zła,12,,yes\n"  # 3: unknown kind
        "Nowhere,room,Sala gdzieś,12,,yes\n"  # 4: unknown centre
        "\n"  # 5: blank, skipped
        "CAS,desk,Biurko,many,0,maybe\n"  # 6: three bad values
        'CAS,room,"Sala\n'  # 7-8: a quoted name over two lines, wrong number of values
        'dwuwierszowa",3\n'
        "CAS,room,Sala dobra,10,,no\n"  # 9: duplicate of line 2
        "CAS,locker,,,,\n"  # 10: no name
    )
    before = snapshot()
    with pytest.raises(CommandError, match=r"6 error\(s\) in .*nothing was imported"):
        run("import_resources", write(tmp_path, text), stderr=(err := io.StringIO()))
    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 3", "line 4", "line 6", "line 7", "line 9", "line 10"]
    assert "kind" in lines[0] and "rom" in lines[0]
    assert "no centre “Nowhere”" in lines[1]
    assert "“many” is not a whole number" in lines[2] and "“maybe” is not yes or no" in lines[2]
    assert "4 values for 6 columns" in lines[3]
    assert "already on line 2" in lines[4]
    assert "name" in lines[5]
    assert snapshot() == before


def test_import_resources_rejects_unknown_columns_and_non_utf8(centre, tmp_path):
    with pytest.raises(CommandError, match="1 error"):
        run("import_resources", write(tmp_path, "centre,kind,name,colour\nCAS,room,Sala,red\n"),
            stderr=(err := io.StringIO()))
    assert err.getvalue().startswith("line 1: unknown columns: colour")
    with pytest.raises(CommandError, match="not UTF-8"):
        run("import_resources", write(tmp_path, "centre,kind,name\nCAS,room,Sala żółta\n", encoding="cp1250"))
    assert Resource.objects.count() == 0


def test_import_resources_dry_run_reports_and_changes_nothing(centre, tmp_path):
    before = snapshot()
    out, _ = run("import_resources", write(tmp_path, GOOD_CSV), "--dry-run")
    assert "Dry run, nothing saved: would create 3 and update 0 resources" in out
    assert "+ Centrum Aktywizacji Społecznej: Szafki (rząd B)" in out
    assert snapshot() == before


TOO_BIG = "99999999999999999999"  # more than any database integer


@pytest.mark.parametrize("columns, row, expected", [
    ("capacity", TOO_BIG, f"capacity: “{TOO_BIG}” is too large: a whole number of people up to 2147483647"),
    ("units", "2147483648", "units: “2147483648” is too large: a whole number up to 2147483647"),
    ("max_minutes", TOO_BIG, f"max_minutes: “{TOO_BIG}” is too large: a number of minutes up to 52596000"),
    ("notice_hours", TOO_BIG, f"notice_hours: “{TOO_BIG}” is too large: a number of hours up to 876600"),
    ("advance_days", "99999999999", "advance_days: “99999999999” is too large: a number of days up to 36525"),
    ("slot_minutes", "0", "slot_minutes: A slot is at least one minute long."),
    ("slot_minutes", "-30", "slot_minutes: “-30” is not a number of minutes"),
], ids=["capacity", "units", "minutes", "hours", "days", "zero-slot", "negative-slot"])
def test_import_resources_reports_numbers_out_of_range_by_line(centre, tmp_path, columns, row, expected):
    text = f"centre,kind,name,{columns}\nCAS,room,Sala dobra,\nCAS,room,Sala zła,{row}\n"
    before = snapshot()
    with pytest.raises(CommandError, match=r"1 error\(s\) in .*nothing was imported"):
        run("import_resources", write(tmp_path, text), stderr=(err := io.StringIO()))
    assert err.getvalue() == f"line 3: {expected}\n"
    assert snapshot() == before


def test_import_resources_reports_nul_characters_by_line(centre, tmp_path):
    text = "centre,kind,name\nCAS,room,Sala dobra\nCAS,room,Sala\0zła\nCAS,desk,Biurko\0\n"
    before = snapshot()
    with pytest.raises(CommandError, match=r"2 error\(s\) in .*nothing was imported"):
        run("import_resources", write(tmp_path, text), stderr=(err := io.StringIO()))
    assert err.getvalue().splitlines() == [
        "line 3: a NUL character: this is not a plain text file (save the spreadsheet as “CSV UTF-8”)",
        "line 4: a NUL character: this is not a plain text file (save the spreadsheet as “CSV UTF-8”)",
    ]
    assert snapshot() == before


def test_import_resources_reports_a_value_over_the_csv_field_limit_by_line(centre, tmp_path):
    limit = csv.field_size_limit()
    text = (f"centre,kind,name,description\nCAS,room,Sala dobra,\nCAS,room,Sala zła,{'x' * (limit + 1)}\n"
            "CAS,room,Sala następna,\n")
    before = snapshot()
    with pytest.raises(CommandError, match=r"1 error\(s\) in .*nothing was imported"):
        run("import_resources", write(tmp_path, text), stderr=(err := io.StringIO()))
    assert err.getvalue() == f"line 3: a value is longer than {limit} characters; the file is not read further\n"
    assert snapshot() == before


# --- export_bookings ----------------------------------------------------------------------------

def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_export_bookings_writes_local_times_and_filters(centre, room, organisation, member, staff_user, tmp_path,
                                                         django_assert_max_num_queries):
    other = factories.make_centre("Centrum Pracy Socjalnej", short_name="CPS")
    other_room = factories.make_resource(other, name="Pokój rozmów")
    first = factories.make_booking(actor=member, resource=room, organisation=organisation, start=at(TUESDAY, 9),
                                   end=at(TUESDAY, 10, 30), title="Zebranie zarządu", now=NOW)
    factories.make_booking(actor=member, resource=room, organisation=organisation, day=TUESDAY + timedelta(days=7),
                           hour=9, now=NOW)
    rejected = factories.make_booking(actor=member, resource=other_room, organisation=organisation, day=TUESDAY,
                                      hour=12, now=NOW)
    services.reject_booking(booking=rejected, actor=factories.make_user("root", is_superuser=True), reason="Remont")

    with django_assert_max_num_queries(3):
        out, _ = run("export_bookings", "--centre", "CAS", "--from", "2026-01-13", "--to", "2026-01-13")
    rows = read_csv(out)
    assert len(rows) == 1
    assert rows[0] == {
        "id": str(first.pk), "centre": "Centrum Aktywizacji Społecznej", "resource": "Sala spotkań", "kind": "room",
        "organisation": "Stowarzyszenie Aktywni Seniorzy", "start": "2026-01-13T09:00:00+01:00",
        "end": "2026-01-13T10:30:00+01:00", "hours": "1.5", "status": "pending", "title": "Zebranie zarządu",
        "attendees": "1", "quantity": "1", "created_at": rows[0]["created_at"],
    }
    everything = read_csv(run("export_bookings")[0])
    assert [row["id"] for row in everything] == [str(b.pk) for b in Booking.objects.order_by("start", "pk")]
    assert [row["status"] for row in read_csv(run("export_bookings", "--status", "rejected")[0])] == ["rejected"]

    target = tmp_path / "bookings.csv"
    _, err = run("export_bookings", "--output", str(target))
    assert "Exported 3 bookings" in err
    assert read_csv(target.read_text(encoding="utf-8")) == everything


def test_export_bookings_refuses_bad_arguments(centre):
    with pytest.raises(CommandError, match="No centre"):
        run("export_bookings", "--centre", "XYZ")
    with pytest.raises(CommandError, match="before --from"):
        run("export_bookings", "--from", "2026-02-01", "--to", "2026-01-01")


@pytest.mark.parametrize("title, cell", [
    ("=2+2", "'=2+2"), ("+48 32 241 00 00", "'+48 32 241 00 00"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tZebranie", "'\tZebranie"), ("\rZebranie", "'\rZebranie"), ("Zebranie = 2+2", "Zebranie = 2+2"),
])
def test_export_bookings_writes_no_formulas(centre, room, organisation, member, title, cell):
    """A spreadsheet runs a cell starting with = + - @ tab or CR as a formula (OWASP "CSV injection")."""
    Organisation.objects.filter(pk=organisation.pk).update(name='=HYPERLINK("http://x","y")')
    Resource.objects.filter(pk=room.pk).update(name="@SUM(A1)")
    booking = factories.make_booking(actor=member, resource=room, organisation=organisation, start=at(TUESDAY, 9),
                                     end=at(TUESDAY, 10, 30), now=NOW)
    Booking.objects.filter(pk=booking.pk).update(title=title)

    [row] = read_csv(run("export_bookings")[0])
    assert row["organisation"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert (row["resource"], row["title"]) == ("'@SUM(A1)", cell)
    assert (row["id"], row["hours"], row["start"]) == (str(booking.pk), "1.5", "2026-01-13T09:00:00+01:00")


# --- purge_personal_data ------------------------------------------------------------------------

@pytest.fixture
def removed_long_ago(room, member, staff_user):
    """An organisation that left six years ago, with a booking, a letter, a feed and two members."""
    coordinator = factories.make_user("zofia", first_name="Zofia", last_name="Wiśniewska", phone="600100200")
    organisation = factories.make_organisation("Klub Seniora Zofii Wiśniewskiej", members=[member],
                                               coordinators=[coordinator], krs="0000111222",
                                               kind=Organisation.Kind.REGISTERED_NGO, phone="600100200",
                                               description="Prowadzi Zofia Wiśniewska")
    booking = factories.make_booking(actor=coordinator, resource=room, organisation=organisation, day=TUESDAY, hour=9,
                                     hours=2, title="Urodziny Pani Zofii", attendees=8,
                                     purpose="Spotkanie z rodziną Wiśniewskich", now=NOW)
    services.approve_booking(booking=booking, actor=staff_user, reason="Zgoda dla Pani Zofii")
    Letter.objects.create(organisation=organisation, received_at=NOW, sender="ZUS, Zofia Wiśniewska")
    FeedToken.objects.create(owner=coordinator, scope=FeedToken.Scope.PERSON, token_hash="a" * 64)
    FeedToken.objects.create(owner=member, scope=FeedToken.Scope.ORGANISATION, organisation=organisation,
                             token_hash="b" * 64)
    organisation.removed_at = timezone.now() - timedelta(days=6 * 366)
    organisation.save()
    return organisation


def test_purge_anonymises_old_organisations_and_keeps_booking_statistics(removed_long_ago, organisation, member,
                                                                          staff_user):
    recent = factories.make_organisation("Fundacja Niedawna", removed_at=timezone.now() - timedelta(days=365))
    booking = removed_long_ago.bookings.get()
    zofia = get_user_model().objects.get(username="zofia")

    out, _ = run("purge_personal_data", "--years", "5")
    assert f"#{removed_long_ago.pk} Klub Seniora Zofii Wiśniewskiej" in out
    assert "Purged 1 organisations: 2 memberships and 1 letters deleted, 1 people's accounts anonymised." in out

    removed_long_ago.refresh_from_db()
    assert removed_long_ago.name == f"Removed organisation {removed_long_ago.pk}"
    assert (removed_long_ago.contact_person, removed_long_ago.email, removed_long_ago.phone, removed_long_ago.krs,
            removed_long_ago.description) == ("", "", "", "", "")
    assert removed_long_ago.kind == Organisation.Kind.REGISTERED_NGO
    assert not removed_long_ago.memberships.exists() and not removed_long_ago.letters.exists()

    # Zofia belonged only to the purged organisation: her account is anonymised and closed.
    zofia.refresh_from_db()
    assert (zofia.username, zofia.first_name, zofia.last_name, zofia.email, zofia.phone) == \
        (f"removed-{zofia.pk}", "", "", "", "")
    assert not zofia.is_active and not zofia.has_usable_password()
    # Jan is still a member of another organisation: he keeps his account and that membership.
    member.refresh_from_db()
    assert member.username == "jan" and member.email == "jan@example.org" and member.is_active
    assert list(member.organisations.all()) == [organisation]
    assert not FeedToken.objects.exists()

    # The booking still counts in statistics, without anything naming people.
    booking.refresh_from_db()
    assert (booking.resource_id, booking.start, booking.end, booking.status, booking.attendees) == \
        (booking.resource_id, at(TUESDAY, 9), at(TUESDAY, 11), BookingStatus.CONFIRMED, 8)
    assert (booking.title, booking.purpose, booking.created_by, booking.decision_reason) == ("(removed)", "", None, "")
    assert set(BookingEvent.objects.filter(booking=booking).values_list("reason", flat=True)) == {""}

    recent.refresh_from_db()
    assert recent.name == "Fundacja Niedawna" and recent.email == "kontakt@example.org"
    staff_user.refresh_from_db()
    assert staff_user.username == "anna"

    again, _ = run("purge_personal_data", "--years", "5")
    assert "Purged 0 organisations" in again


def test_purge_dry_run_reports_and_changes_nothing(removed_long_ago, organisation):
    before = snapshot()
    out, _ = run("purge_personal_data", "--years", "5", "--dry-run")
    assert "Would purge 1 organisations: 2 memberships and 1 letters deleted, 1 people's accounts" in out
    assert "Nothing was changed (dry run)." in out
    assert snapshot() == before


def test_purge_respects_the_number_of_years(removed_long_ago):
    out, _ = run("purge_personal_data", "--years", "7")
    assert "Purged 0 organisations" in out
    with pytest.raises(CommandError, match="--years"):
        run("purge_personal_data", "--years", "0")


def test_import_resources_cannot_lower_units_below_what_is_booked(centre, organisation, member, tmp_path):
    lockers = factories.make_resource(centre, kind="locker", name="Szafki (rząd B)", units=6)
    today = timezone.localdate()
    factories.make_booking(actor=member, resource=lockers, organisation=organisation,
                           start=at(today + timedelta(days=7), 0), end=at(today + timedelta(days=14), 0),
                           title="Archiwum", quantity=4)
    before = snapshot()
    with pytest.raises(CommandError, match="1 error"):
        run("import_resources", write(tmp_path, "centre,kind,name,units\nCAS,locker,Szafki (rząd B),3\n"),
            stderr=(err := io.StringIO()))
    assert err.getvalue().startswith("line 2: units: 4 units are booked on ")
    assert "the resource cannot have fewer" in err.getvalue()
    assert snapshot() == before
    out, _ = run("import_resources", write(tmp_path, "centre,kind,name,units\nCAS,locker,Szafki (rząd B),4\n"))
    assert "updated 1" in out
