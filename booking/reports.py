"""The usage report staff send the city each year: how much each resource was used, and by whom; and how many
letters came to the centre's address for each organisation, month by month.

A booking belongs to the period in which it starts (centre's local time), so consecutive reports never
count it twice. Only confirmed bookings are counted; cancelled and rejected ones only as numbers.

Downloads: XLSX, whose numbers are numbers whatever the spreadsheet's locale, and CSV in the conventions of the
language the page is in, as a spreadsheet set to that language opens it: in Polish semicolons between cells and
decimal commas ("4,50"), since Polish Excel splits cells at its list separator `;`; in English commas and
decimal points (RFC 4180). Both UTF-8 with a byte-order mark, without which Excel reads the Polish letters as
Windows-1250.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, IntegerField, Max, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook

from ngo.models import Letter, Organisation

from . import csvsafe, xlsxsafe
from .localtime import local_midnight
from .models import Appointment, Booking, BookingStatus, ConsultationService, Resource

Mode = Resource.BookingMode
NOTHING_BOOKED = {"bookings": 0, "length": None, "days": None, "nights": None, "organisations": 0, "attendees": 0}


@dataclass(frozen=True)
class ResourceUsage:
    name: str
    kind: str
    booking_mode: str
    bookings: int
    hours: Decimal
    days: int
    nights: int
    organisations: int
    attendees: int


@dataclass(frozen=True)
class OrganisationUsage:
    name: str
    kind: str
    bookings: int
    hours: Decimal
    days: int
    nights: int


@dataclass(frozen=True)
class ConsultationUsage:
    name: str
    appointments: int
    no_shows: int


@dataclass(frozen=True)
class LetterUsage:
    organisation: str
    month: date  # its first day
    letters: int


@dataclass(frozen=True)
class UsageReport:
    centre_name: str
    first_day: date
    last_day: date
    resources: list[ResourceUsage]
    organisations: list[OrganisationUsage]
    cancelled: int
    rejected: int
    consultations: list[ConsultationUsage] = field(default_factory=list)
    letters: list[LetterUsage] = field(default_factory=list)

    @property
    def bookings(self):
        return sum(resource.bookings for resource in self.resources)

    @property
    def attendees(self):
        return sum(resource.attendees for resource in self.resources)


def _figures(tz):
    """Aggregates over bookings. Time counts every unit booked: 2 beds for 3 nights are 6 nights. Nights and
    days are local calendar days apart (exact across DST), hours are the real length."""
    units = ExpressionWrapper(F("quantity"), output_field=IntegerField())  # SQLite multiplies a duration by these
    length = ExpressionWrapper(units * (F("end") - F("start")), output_field=DurationField())
    days_apart = ExpressionWrapper(
        units * (TruncDate("end", tzinfo=tz) - TruncDate("start", tzinfo=tz)), output_field=DurationField())
    return {
        "bookings": Count("pk"),
        "length": Sum(length, filter=Q(resource__booking_mode=Mode.SLOTS)),
        "days": Sum(days_apart, filter=Q(resource__booking_mode=Mode.DAYS)),
        "nights": Sum(days_apart, filter=Q(resource__booking_mode=Mode.NIGHTS)),
        "attendees": Sum("attendees"),
    }


def _time(row):
    """hours, days, nights of an aggregated row (None where nothing was booked)."""
    zero = timedelta(0)
    hours = (Decimal((row["length"] or zero).total_seconds()) / 3600).quantize(Decimal("0.01"))
    return hours, (row["days"] or zero).days, (row["nights"] or zero).days


def default_period(centre, today=None):
    """The period the report opens on, so that it shows something: last year if the centre had confirmed bookings
    then (the yearly report for the city), else the last full month that had some, else this year so far."""
    today = today or timezone.now().astimezone(centre.tz).date()
    this_month = today.replace(day=1)
    last_year = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    found = Booking.objects.filter(resource__centre=centre, status=BookingStatus.CONFIRMED).aggregate(
        in_last_year=Count("pk", filter=Q(start__gte=local_midnight(last_year[0], centre.tz),
                                          start__lt=local_midnight(today.replace(month=1, day=1), centre.tz))),
        latest=Max("start", filter=Q(start__lt=local_midnight(this_month, centre.tz))))
    if found["in_last_year"]:
        return last_year
    if found["latest"]:
        month = found["latest"].astimezone(centre.tz).date().replace(day=1)
        return month, (month + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    return today.replace(month=1, day=1), today


def centre_usage(centre, first_day, last_day) -> UsageReport:
    """The centre's usage by bookings starting from `first_day` to `last_day` (both included)."""
    tz = centre.tz
    in_period = Booking.objects.filter(
        resource__centre=centre, start__gte=local_midnight(first_day, tz),
        start__lt=local_midnight(last_day + timedelta(days=1), tz)).order_by()
    confirmed = in_period.filter(status=BookingStatus.CONFIRMED)
    figures = _figures(tz)
    by_resource = {row["resource_id"]: row for row in confirmed.values("resource_id").annotate(
        **figures, organisations=Count("organisation", distinct=True))}
    resources = []
    has_consultants = False
    for resource in Resource.objects.filter(centre=centre).order_by("name"):
        has_consultants = has_consultants or resource.kind == Resource.Kind.CONSULTANT
        row = by_resource.get(resource.pk, NOTHING_BOOKED)
        if row is NOTHING_BOOKED and not resource.is_active:
            continue
        resources.append(ResourceUsage(resource.name, resource.get_kind_display(), resource.booking_mode,
                                       row["bookings"], *_time(row), row["organisations"], row["attendees"]))
    organisations = [
        OrganisationUsage(row["organisation__name"], Organisation.Kind(row["organisation__kind"]).label,
                          row["bookings"], *_time(row))
        for row in confirmed.values("organisation_id", "organisation__name", "organisation__kind").annotate(
            **figures).order_by("organisation__name", "organisation_id")
    ]
    not_held = in_period.aggregate(cancelled=Count("pk", filter=Q(status=BookingStatus.CANCELLED)),
                                   rejected=Count("pk", filter=Q(status=BookingStatus.REJECTED)))
    return UsageReport(centre.name, first_day, last_day, resources, organisations, **not_held,
                       letters=_letters(centre, first_day, last_day),
                       consultations=consultation_usage(centre, confirmed) if has_consultants else [])


def consultation_usage(centre, confirmed):
    """Per consultation service of the centre: its confirmed appointments in the period (`confirmed` bookings), and
    how many of them the consultant marked "did not come". Services without appointments are listed while active.
    (Asked only of a centre with consultants: without them it has no appointments.)"""
    in_period = Q(appointments__booking__in=confirmed)
    services = ConsultationService.objects.filter(centre=centre).annotate(
        booked=Count("appointments", filter=in_period),
        no_shows=Count("appointments", filter=in_period & Q(appointments__outcome=Appointment.Outcome.NO_SHOW)),
    ).order_by("name", "pk")
    return [ConsultationUsage(service.name, service.booked, service.no_shows) for service in services
            if service.is_active or service.booked]


def _letters(centre, first_day, last_day):
    """Letters that came to the centre's address, per organisation and month (centre's local time)."""
    tz = centre.tz
    rows = (Letter.objects.filter(centre=centre, received_at__gte=local_midnight(first_day, tz),
                                  received_at__lt=local_midnight(last_day + timedelta(days=1), tz))
            .annotate(month=TruncMonth("received_at", tzinfo=tz)).order_by()
            .values("organisation_id", "organisation__name", "month").annotate(letters=Count("pk"))
            .order_by("organisation__name", "organisation_id", "month"))
    return [LetterUsage(row["organisation__name"], _as_date(row["month"]), row["letters"]) for row in rows]


def _as_date(value):
    return value.date() if hasattr(value, "date") else value


def usage_file_name(report, extension):
    """The centre's name as a slug that keeps its letters ("centrum-aktywizacji-społecznej"), and the period."""
    name = slugify(report.centre_name, allow_unicode=True) or "centre"
    return f"{name}-{report.first_day}-{report.last_day}.{extension}"


def _resource_table(report):
    """Header and rows of the usage by resource; only the measure of its booking mode is filled in."""
    header = [_("Resource"), _("Kind"), _("Bookings"), _("Hours"), _("Days"), _("Nights"), _("Organisations"),
              _("People")]
    rows = [[usage.name, usage.kind, usage.bookings,
             usage.hours if usage.booking_mode == Mode.SLOTS else None,
             usage.days if usage.booking_mode == Mode.DAYS else None,
             usage.nights if usage.booking_mode == Mode.NIGHTS else None,
             usage.organisations, usage.attendees]
            for usage in report.resources]
    return header, rows


def _organisation_table(report):
    header = [_("Organisation"), _("Kind"), _("Bookings"), _("Hours"), _("Days"), _("Nights")]
    rows = [[usage.name, usage.kind, usage.bookings, usage.hours, usage.days, usage.nights]
            for usage in report.organisations]
    return header, rows


def _letter_table(report):
    header = [_("Organisation"), _("Month"), _("Letters")]
    rows = [[usage.organisation, usage.month.strftime("%Y-%m"), usage.letters] for usage in report.letters]
    return header, rows


def _consultation_table(report):
    header = [_("Consultation"), _("Appointments"), _("Did not come")]
    return header, [[usage.name, usage.appointments, usage.no_shows] for usage in report.consultations]


def _tables(report):
    """The report's tables with their titles; the consultations' only where the centre offers any."""
    tables = [(_("By resource"), _resource_table(report)), (_("By organisation"), _organisation_table(report)),
              (_("Letters"), _letter_table(report))]
    if report.consultations:
        tables.append((_("Consultations"), _consultation_table(report)))
    return tables


def write_usage_csv(report, out):
    """The tables of the report, one after the other, each with its header row, in the active language's
    conventions (see the module's docstring)."""
    decimal_separator = get_format("DECIMAL_SEPARATOR")
    writer = csvsafe.writer(out, decimal_separator=decimal_separator,
                            delimiter=";" if decimal_separator == "," else ",")
    for number, (_title, (header, rows)) in enumerate(_tables(report)):
        if number:
            writer.writerow([])
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)


def write_usage_xlsx(report, out):
    """The report as a workbook: a summary sheet, then one sheet per table."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Summary")
    for row in [[_("Centre"), report.centre_name], [_("From"), report.first_day], [_("Until"), report.last_day],
                [_("Confirmed bookings"), report.bookings], [_("Organisations"), len(report.organisations)],
                [_("People (attendees added up)"), report.attendees], [_("Cancelled bookings"), report.cancelled],
                [_("Rejected requests"), report.rejected]]:
        xlsxsafe.append(summary, row)
    summary.column_dimensions["A"].width = 30
    summary.column_dimensions["B"].width = 40
    for title, (header, rows) in _tables(report):
        sheet = workbook.create_sheet(title)
        for row in [header, *rows]:
            xlsxsafe.append(sheet, row)
        sheet.freeze_panes = "B2"
        sheet.column_dimensions["A"].width = 40
        sheet.column_dimensions["B"].width = 30
    workbook.save(out)
