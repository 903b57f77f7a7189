"""The staff usage report: what the centre reports yearly to the city, on the page and as CSV."""
import csv
import html
import io
import re
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from booking.models import Booking, Resource
from booking.reports import default_period
from ngo.models import Letter, Organisation
from tests import factories
from tests.factories import WARSAW

YEAR = {"first_day": "2025-01-01", "last_day": "2025-12-31"}


def en(name):
    with translation.override("en"):
        return reverse(name)


def local(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=WARSAW)


def booked(resource, organisation, start, end, status="confirmed", attendees=1, quantity=1, title="Spotkanie"):
    """A booking as it stands in the records (past ones cannot be made through the services any more)."""
    return Booking.objects.create(resource=resource, organisation=organisation, start=start, end=end, status=status,
                                  attendees=attendees, quantity=quantity, title=title,
                                  exclusive=resource.is_single_unit)


def rows(page, caption):
    """The table with `caption` as lists of cell texts, header row first."""
    table = re.search(rf"<caption[^>]*>{caption}</caption>(.*?)</table>", page, re.S).group(1)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def year_of_use(centre, room, organisation):
    """2025 at the centre: what counts, what does not, and a booking of another centre."""
    seniors = organisation
    Organisation.objects.filter(pk=seniors.pk).update(kind=Organisation.Kind.REGISTERED_NGO)
    neighbours = factories.make_organisation("Klub Sąsiedzki")
    cyclists = factories.make_organisation("Rowerowy Chorzów", kind=Organisation.Kind.INFORMAL_GROUP)
    beds = factories.make_resource(centre, Resource.Kind.ACCOMMODATION, name="Pokój gościnny", units=4)
    lockers = factories.make_resource(centre, Resource.Kind.LOCKER, name="Szafka")
    factories.make_resource(centre, name="Stara sala", is_active=False)  # unused and closed: not listed
    booked(room, seniors, local(2025, 3, 4, 10), local(2025, 3, 4, 12), attendees=10)
    booked(room, neighbours, local(2025, 6, 10, 9), local(2025, 6, 10, 10, 30), attendees=5)
    # New Year's night in local time: 00:30 on 1 January is still 2024 in UTC, and counts
    booked(room, seniors, local(2025, 1, 1, 0, 30), local(2025, 1, 1, 1, 30), attendees=3)
    booked(room, seniors, local(2024, 12, 31, 22), local(2024, 12, 31, 23, 30), attendees=40, title="Sylwester")
    booked(room, seniors, local(2025, 5, 6, 10), local(2025, 5, 6, 11), status="pending", attendees=50)
    booked(room, seniors, local(2025, 5, 7, 10), local(2025, 5, 7, 11), status="cancelled", attendees=50)
    booked(room, neighbours, local(2025, 5, 8, 10), local(2025, 5, 8, 11), status="rejected", attendees=50)
    # two beds for three nights across the spring DST change, a locker for a week across the autumn one
    booked(beds, seniors, local(2025, 3, 29, 15), local(2025, 4, 1, 10), attendees=2, quantity=2)
    booked(lockers, cyclists, local(2025, 10, 20), local(2025, 10, 27))
    elsewhere = factories.make_centre("Centrum Pracy Socjalnej")
    booked(factories.make_resource(elsewhere, name="Sala warsztatowa"), seniors, local(2025, 3, 5, 10),
           local(2025, 3, 5, 12), attendees=99, title="Gdzie indziej")
    # Letters: two for the seniors in March (one at 00:30 local on 1 March, still February in UTC), one in June for
    # the neighbours; one on New Year's Eve 2024 and one at the other centre do not count.
    for organisation, moment, where in [(seniors, local(2025, 3, 1, 0, 30), centre),
                                        (seniors, local(2025, 3, 20, 10), centre),
                                        (neighbours, local(2025, 6, 2, 9), centre),
                                        (seniors, local(2024, 12, 31, 23, 30), centre),
                                        (seniors, local(2025, 3, 3, 9), elsewhere)]:
        Letter.objects.create(organisation=organisation, centre=where, received_at=moment, sender="Poczta")


def test_figures_for_a_year(staff_client, centre, year_of_use):
    response = staff_client.get(en("web:usage_report"), {"centre": centre.pk, **YEAR})
    assert response.status_code == 200
    page = response.content.decode().split("<footer")[0]
    assert rows(page, "By resource") == [
        ["Resource", "Kind", "Bookings", "Time booked", "Organisations", "People"],
        ["Pokój gościnny", "Accommodation", "1", "6 nights", "1", "2"],
        ["Sala spotkań", "Room", "3", "4.50 h", "2", "18"],
        ["Szafka", "Locker", "1", "7 days", "1", "1"],
    ]
    assert rows(page, "By organisation") == [
        ["Organisation", "Kind", "Bookings", "Hours", "Days", "Nights"],
        ["Klub Sąsiedzki", "Association without KRS yet", "1", "1.50", "0", "0"],
        ["Rowerowy Chorzów", "Informal group", "1", "0", "7", "0"],
        ["Stowarzyszenie Aktywni Seniorzy", "Registered NGO (KRS)", "3", "3", "0", "6"],
    ]
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page))
    assert facts == {"Confirmed bookings": "5", "Organisations": "3", "People (attendees added up)": "21",
                     "Cancelled bookings": "1", "Rejected requests": "1"}
    assert "Gdzie indziej" not in page and "Sala warsztatowa" not in page and "Stara sala" not in page


def test_opens_on_last_year_of_the_first_centre_in_polish(client, staff_user, centre, room, organisation):
    client.force_login(staff_user)
    last_year = date.today().year - 1
    booked(room, organisation, local(last_year, 1, 1, 8), local(last_year, 1, 1, 9, 15))
    page = client.get("/staff/report/").content.decode()
    assert "Raport wykorzystania" in page
    assert f'value="{last_year}-01-01"' in page and f'value="{last_year}-12-31"' in page
    assert rows(page, "Według zasobów")[1] == ["Sala spotkań", "Sala", "1", "1,25 godz.", "1", "1"]


def test_a_centre_chosen_without_days_opens_on_its_own_default(staff_client, staff_user, centre, organisation):
    """The second centre had bookings only in March two years ago: its report opens on that month."""
    second = factories.make_centre("Centrum Wolontariatu", staff=[staff_user])
    year = date.today().year - 2
    booked(factories.make_resource(second, name="Sala warsztatowa"), organisation, local(year, 3, 31, 10),
           local(year, 3, 31, 12))
    page = staff_client.get(en("web:usage_report"), {"centre": second.pk}).content.decode()
    assert f'value="{year}-03-01"' in page and f'value="{year}-03-31"' in page
    assert rows(page, "By resource")[1] == ["Sala warsztatowa", "Room", "1", "2 h", "1", "1"]


@pytest.mark.parametrize(("bookings", "period"), [
    # last year had one: the yearly report
    ([(2025, 12, 31, "confirmed"), (2026, 2, 3, "confirmed")], (date(2025, 1, 1), date(2025, 12, 31))),
    # none last year: the last full month with one (not this month, not the cancelled one)
    ([(2024, 6, 3, "confirmed"), (2026, 3, 2, "confirmed"), (2026, 4, 7, "cancelled"), (2026, 5, 4, "confirmed")],
     (date(2026, 3, 1), date(2026, 3, 31))),
    ([(2023, 2, 6, "confirmed")], (date(2023, 2, 1), date(2023, 2, 28))),
    # nothing before this month: this year so far
    ([(2026, 5, 4, "confirmed"), (2025, 7, 1, "rejected")], (date(2026, 1, 1), date(2026, 5, 20))),
])
def test_the_default_period_has_bookings(centre, room, organisation, bookings, period):
    for year, month, day, status in bookings:
        booked(room, organisation, local(year, month, day, 10), local(year, month, day, 11), status=status)
    assert default_period(centre, date(2026, 5, 20)) == period


def test_members_and_visitors_cannot_see_it(client, member, centre):
    url = en("web:usage_report")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 403
    assert "This page is for the centre's staff." in html.unescape(response.content.decode())
    assert url not in client.get(en("web:home")).content.decode()


@pytest.mark.parametrize("answer", ["", "format=csv"])
def test_staff_of_one_centre_cannot_report_on_another(client, centre, year_of_use, answer):
    other_staff = factories.make_user("ewa")
    elsewhere = factories.make_centre("Centrum Wolontariatu", staff=[other_staff])
    client.force_login(other_staff)
    response = client.get(f"{en('web:usage_report')}?{answer}", {"centre": centre.pk, **YEAR})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode().split("<footer")[0]
    assert re.search(r'id="id_centre_error">.*Select a valid choice', page)
    assert "Centrum Aktywizacji Społecznej" not in page and "Sala spotkań" not in page
    assert f'<option value="{elsewhere.pk}"' in page


@pytest.mark.parametrize(("first_day", "last_day", "field", "message"), [
    ("2025-12-31", "2025-01-01", "last_day", "The period ends before it starts."),
    ("2022-01-01", "2025-12-31", "last_day", "A report covers at most two years."),
    ("2025-02-30", "2025-12-31", "first_day", "Enter a valid date."),
    ("2025-01-01", "", "last_day", "This field is required."),
    ("9999-12-30", "9999-12-31", "last_day", "Ensure this value is less than or equal to"),
    ("0001-01-01", "0001-01-02", "first_day", "Ensure this value is greater than or equal to"),
])
def test_a_wrong_period_is_an_error_next_to_the_field(staff_client, centre, first_day, last_day, field, message):
    response = staff_client.get(en("web:usage_report"),
                                {"centre": centre.pk, "first_day": first_day, "last_day": last_day})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert re.search(rf'id="id_{field}_error">.*{re.escape(message)}', page)
    assert 'aria-invalid="true"' in page and "By resource" not in page


def test_csv_in_english_has_both_tables(staff_client, centre, year_of_use):
    response = staff_client.get(en("web:usage_report"), {"centre": centre.pk, **YEAR, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''centrum-aktywizacji-spo%C5%82ecznej-2025-01-01-2025-12-31.csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table == [
        ["Resource", "Kind", "Bookings", "Hours", "Days", "Nights", "Organisations", "People"],
        ["Pokój gościnny", "Accommodation", "1", "", "", "6", "1", "2"],
        ["Sala spotkań", "Room", "3", "4.50", "", "", "2", "18"],
        ["Szafka", "Locker", "1", "", "7", "", "1", "1"],
        [],
        ["Organisation", "Kind", "Bookings", "Hours", "Days", "Nights"],
        ["Klub Sąsiedzki", "Association without KRS yet", "1", "1.50", "0", "0"],
        ["Rowerowy Chorzów", "Informal group", "1", "0.00", "7", "0"],
        ["Stowarzyszenie Aktywni Seniorzy", "Registered NGO (KRS)", "3", "3.00", "0", "6"],
        [],
        ["Organisation", "Month", "Letters"],
        ["Klub Sąsiedzki", "2025-06", "1"],
        ["Stowarzyszenie Aktywni Seniorzy", "2025-03", "2"],
    ]
    page = staff_client.get(en("web:usage_report"), {"centre": centre.pk, **YEAR}).content.decode()
    assert f'href="?centre={centre.pk}&amp;first_day=2025-01-01&amp;last_day=2025-12-31&amp;format=csv"' in page


def test_csv_in_polish_opens_in_polish_excel(staff_client, centre, year_of_use):
    """Polish Excel splits cells at semicolons and reads "4,50" as a number; the file name keeps its "ł"."""
    response = staff_client.get("/staff/report/", {"centre": centre.pk, **YEAR, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''centrum-aktywizacji-spo%C5%82ecznej-2025-01-01-2025-12-31.csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    text = response.content.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "Zasób;Rodzaj;Rezerwacje;Godziny;Dni;Noclegi;Organizacje;Osoby"
    assert lines[2] == "Sala spotkań;Sala;3;4,50;;;2;18"
    assert lines[8] == "Stowarzyszenie Aktywni Seniorzy;Organizacja wpisana do KRS;3;3,00;0;6"
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [row[3] for row in table[1:4]] == ["", "4,50", ""]
    assert [row[3] for row in table[6:9]] == ["1,50", "0,00", "3,00"]
    assert table[11:] == [["Klub Sąsiedzki", "2025-06", "1"], ["Stowarzyszenie Aktywni Seniorzy", "2025-03", "2"]]


def test_xlsx_holds_numbers_as_numbers(staff_client, centre, year_of_use):
    response = staff_client.get("/staff/report/", {"centre": centre.pk, **YEAR, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''centrum-aktywizacji-spo%C5%82ecznej-2025-01-01-2025-12-31.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:3] == ["Podsumowanie", "Według zasobów", "Według organizacji"]
    assert list(workbook.worksheets[3].iter_rows(min_row=2, values_only=True)) == [
        ("Klub Sąsiedzki", "2025-06", 1), ("Stowarzyszenie Aktywni Seniorzy", "2025-03", 2)]
    summary = {label: value for label, value in workbook["Podsumowanie"].iter_rows(values_only=True)}
    assert summary == {"Centrum": "Centrum Aktywizacji Społecznej", "Od": datetime(2025, 1, 1),
                       "Do": datetime(2025, 12, 31), "Potwierdzone rezerwacje": 5, "Organizacje": 3,
                       "Osoby (suma uczestników)": 21, "Anulowane rezerwacje": 1, "Odrzucone prośby": 1}
    by_resource = workbook["Według zasobów"]
    assert list(by_resource.iter_rows(values_only=True)) == [
        ("Zasób", "Rodzaj", "Rezerwacje", "Godziny", "Dni", "Noclegi", "Organizacje", "Osoby"),
        ("Pokój gościnny", "Nocleg", 1, None, None, 6, 1, 2),
        ("Sala spotkań", "Sala", 3, 4.5, None, None, 2, 18),
        ("Szafka", "Szafka", 1, None, 7, None, 1, 1),
    ]
    hours = by_resource["D3"]
    assert hours.data_type == "n" and hours.number_format == "#,##0.00"  # 4,50 in Polish Excel
    assert by_resource["C3"].number_format == "#,##0"
    assert list(workbook["Według organizacji"].iter_rows(min_row=2, values_only=True)) == [
        ("Klub Sąsiedzki", "Stowarzyszenie jeszcze bez KRS", 1, 1.5, 0, 0),
        ("Rowerowy Chorzów", "Grupa nieformalna", 1, 0, 7, 0),
        ("Stowarzyszenie Aktywni Seniorzy", "Organizacja wpisana do KRS", 3, 3, 0, 6),
    ]
    page = staff_client.get("/staff/report/", {"centre": centre.pk, **YEAR}).content.decode()
    assert f'href="?centre={centre.pk}&amp;first_day=2025-01-01&amp;last_day=2025-12-31&amp;format=xlsx"' in page


def test_csv_cells_never_start_a_formula(staff_client, centre, room):
    """Names people typed are text in the spreadsheet, not formulas (OWASP "CSV injection")."""
    Resource.objects.filter(pk=room.pk).update(name="=2+2")
    spammer = factories.make_organisation('=HYPERLINK("http://x","y")')
    booked(room, spammer, local(2025, 3, 4, 10), local(2025, 3, 4, 12), attendees=3)

    response = staff_client.get(en("web:usage_report"), {"centre": centre.pk, **YEAR, "format": "csv"})
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[1] == ["'=2+2", "Room", "1", "2.00", "", "", "1", "3"]
    assert table[4] == ["'=HYPERLINK(\"http://x\",\"y\")", "Association without KRS yet", "1", "2.00", "0", "0"]


def test_xlsx_cells_are_never_formulas(staff_client, centre, room):
    """In the workbook such names are text cells, quoted so that editing them keeps them text; an error code
    stays text and a control character is dropped rather than breaking the download."""
    Resource.objects.filter(pk=room.pk).update(name="=2+2")
    spammer = factories.make_organisation('=HYPERLINK("http://x","y")')
    errors = factories.make_organisation("#N/A")
    booked(room, spammer, local(2025, 3, 4, 10), local(2025, 3, 4, 12), attendees=3)
    booked(room, errors, local(2025, 3, 5, 10), local(2025, 3, 5, 12), attendees=3, title="x\x07y")
    Organisation.objects.filter(pk=errors.pk).update(name="#N/A\x07")

    response = staff_client.get(en("web:usage_report"), {"centre": centre.pk, **YEAR, "format": "xlsx"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    name = workbook["By resource"]["A2"]
    assert (name.value, name.data_type, name.quotePrefix) == ("=2+2", "s", True)
    organisations = workbook["By organisation"]
    assert [(cell.value, cell.data_type, cell.quotePrefix) for cell in organisations["A"][1:]] == [
        ("#N/A", "s", False), ('=HYPERLINK("http://x","y")', "s", True)]


@pytest.mark.parametrize("bookings", [1, 60])
def test_queries_do_not_grow_with_bookings(staff_client, django_assert_max_num_queries, centre, room, bookings):
    organisations = [factories.make_organisation() for _ in range(5)]
    start = local(2025, 1, 2, 8)
    Booking.objects.bulk_create(
        Booking(resource=room, organisation=organisations[number % 5], title="Spotkanie", status="confirmed",
                start=start + timedelta(days=number), end=start + timedelta(days=number, hours=2))
        for number in range(bookings))
    # session, user, staffed centres (check, default, form, choices), the menu's staff check and letters to collect
    # (one query), 4 for the report, letters by month, footer (2)
    with django_assert_max_num_queries(15):
        page = staff_client.get(en("web:usage_report"), {"centre": centre.pk, **YEAR}).content.decode()
    assert rows(page, "By resource")[1] == ["Sala spotkań", "Room", str(bookings), f"{2 * bookings} h",
                                            str(min(bookings, 5)), str(bookings)]


@pytest.mark.parametrize("chosen", ["abc", "99999999999999999999", ""])
def test_a_wrong_centre_without_days_is_an_error_next_to_the_field(staff_client, centre, chosen):
    response = staff_client.get(en("web:usage_report"), {"centre": chosen})
    assert response.status_code == 400
    assert re.search(r'id="id_centre_error">', response.content.decode())
