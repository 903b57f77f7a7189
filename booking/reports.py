"""The usage report staff send the city each year: how much each resource was used, and by whom.

A booking belongs to the period in which it starts (centre's local time), so consecutive reports never
count it twice. Only confirmed bookings are counted; cancelled and rejected ones only as numbers.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, IntegerField, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ngo.models import Organisation

from . import csvsafe
from .localtime import local_midnight
from .models import Booking, BookingStatus, Resource

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
class UsageReport:
    centre_name: str
    first_day: date
    last_day: date
    resources: list[ResourceUsage]
    organisations: list[OrganisationUsage]
    cancelled: int
    rejected: int

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
    for resource in Resource.objects.filter(centre=centre).order_by("name"):
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
    return UsageReport(centre.name, first_day, last_day, resources, organisations, **not_held)


def usage_file_name(report):
    return f"{slugify(report.centre_name) or 'centre'}-{report.first_day}-{report.last_day}.csv"


def write_usage_csv(report, out):
    """The two tables of the report, one after the other, each with its header row."""
    writer = csvsafe.writer(out)
    writer.writerow([_("Resource"), _("Kind"), _("Bookings"), _("Hours"), _("Days"), _("Nights"),
                     _("Organisations"), _("People")])
    for usage in report.resources:
        writer.writerow([usage.name, usage.kind, usage.bookings,
                         usage.hours if usage.booking_mode == Mode.SLOTS else "",
                         usage.days if usage.booking_mode == Mode.DAYS else "",
                         usage.nights if usage.booking_mode == Mode.NIGHTS else "",
                         usage.organisations, usage.attendees])
    writer.writerow([])
    writer.writerow([_("Organisation"), _("Kind"), _("Bookings"), _("Hours"), _("Days"), _("Nights")])
    for usage in report.organisations:
        writer.writerow([usage.name, usage.kind, usage.bookings, usage.hours, usage.days, usage.nights])
