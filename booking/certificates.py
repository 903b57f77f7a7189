"""In-kind certificates: what an organisation used free of charge at a centre in a period, and its value.

Polish grant programmes count the free use of premises as the organisation's own non-financial contribution
and ask for its value; the centre states it in a numbered certificate (zaświadczenie o nieodpłatnym
udostępnieniu). What counts:
- confirmed bookings of the organisation at the centre (not pending, rejected or cancelled ones), optionally
  only those whose title or purpose mentions a project;
- only what took place inside the period and before now: a room booking (hours) when it lies wholly inside
  both; a locker's day when the whole local day does; a bed's night when its check-in date is inside the
  period and its check-out time has passed;
- each hour, day or night at the resource's notional rate on that date (`ResourceRate`), so a rate change in
  the middle of the period splits the resource into two lines, and a later change rewrites nothing issued.

`compute_certificate` answers the figures; `issue_certificate` fixes them under the next number of the centre
and year (the centre's row is locked while the number is taken; a unique constraint backs it).
"""
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ngo.exceptions import NotPermitted

from .inwords import GROSZ, amount_in_words
from .localtime import local_day, local_midnight
from .models import Booking, BookingStatus, Centre, DocumentDetails, InKindCertificate, Resource, ResourceRate
from .rules import check_certificate_period
from .selectors import is_centre_staff

UNITS = {Resource.BookingMode.SLOTS: "hour", Resource.BookingMode.DAYS: "day", Resource.BookingMode.NIGHTS: "night"}
HOUR = Decimal(3600)


def _rates_by_resource(resource_ids):
    rates = defaultdict(list)
    for rate in ResourceRate.objects.filter(resource_id__in=resource_ids).order_by("valid_from"):
        rates[rate.resource_id].append(rate)
    return rates


def _rate_on(rates, day: date):
    """The rate in force on `day` (the latest that applies from that day or earlier), or None."""
    current = None
    for rate in rates:
        if rate.valid_from > day:
            break
        current = rate
    return current


def _units(booking, centre, first_day, last_day, window_start, window_end, now):
    """(local date, amount) of what `booking` counts in the period: hours of a room, each day, each night."""
    tz = centre.tz
    mode = booking.resource.booking_mode
    if mode == Resource.BookingMode.SLOTS:
        if booking.start >= window_start and booking.end <= window_end:
            hours = Decimal((booking.end - booking.start).total_seconds()) / HOUR
            yield local_day(booking.start, tz), hours * booking.quantity
        return
    day, end_day = local_day(booking.start, tz), local_day(booking.end, tz)
    while day < end_day:
        if first_day <= day <= last_day:
            if mode == Resource.BookingMode.DAYS:
                over = local_midnight(day + timedelta(days=1), tz)
            else:
                over = datetime.combine(day + timedelta(days=1), centre.check_out_time, tzinfo=tz)
            if over <= now:
                yield day, Decimal(booking.quantity)
        day += timedelta(days=1)


def _figure(amount):
    """Hours, days or nights as a plain figure: "12", "1.5"."""
    amount = amount.quantize(GROSZ, rounding=ROUND_HALF_UP)
    return str(int(amount)) if amount == amount.to_integral_value() else str(amount.normalize())


def counted_bookings(*, centre, organisation, first_day, last_day, project="", now=None):
    """The confirmed bookings of `organisation` at `centre` that reach into the period before `now`."""
    now = now or timezone.now()
    window_start = local_midnight(first_day, centre.tz)
    window_end = min(local_midnight(last_day + timedelta(days=1), centre.tz), now)
    bookings = Booking.objects.filter(resource__centre=centre, organisation=organisation,
                                      status=BookingStatus.CONFIRMED, start__lt=window_end, end__gt=window_start)
    project = project.strip()
    if project:
        bookings = bookings.filter(Q(title__icontains=project) | Q(purpose__icontains=project))
    return bookings.select_related("resource").order_by("start", "pk"), window_start, window_end


def compute_certificate(*, centre, organisation, first_day, last_day, project="", now=None):
    """The certificate's figures as they would be issued now: a dict of plain values (JSON), see `issue`."""
    now = now or timezone.now()
    bookings, window_start, window_end = counted_bookings(
        centre=centre, organisation=organisation, first_day=first_day, last_day=last_day, project=project, now=now)
    bookings = list(bookings)
    rates = _rates_by_resource({booking.resource_id for booking in bookings})
    amounts = defaultdict(Decimal)  # (resource, rate or None) -> hours, days or nights
    firsts = {}
    for booking in bookings:
        for day, amount in _units(booking, centre, first_day, last_day, window_start, window_end, now):
            rate = _rate_on(rates[booking.resource_id], day)
            key = (booking.resource, rate.amount if rate else None)
            amounts[key] += amount
            firsts[key] = min(firsts.get(key, day), day)
    lines = []
    total = Decimal("0.00")
    for (resource, rate), amount in sorted(amounts.items(), key=lambda item: (item[0][0].name, firsts[item[0]])):
        value = (amount * rate).quantize(GROSZ, rounding=ROUND_HALF_UP) if rate is not None else None
        total += value or 0
        lines.append({"resource": resource.name, "kind": resource.kind, "unit": UNITS[resource.booking_mode],
                      "from": firsts[(resource, rate)].isoformat(),
                      "quantity": _figure(amount),
                      "rate": str(rate) if rate is not None else None,
                      "value": str(value) if value is not None else None})
    details = DocumentDetails.objects.filter(centre=centre).first()
    return {
        "issuer": {
            "centre": centre.name,
            "unit_name": details.unit_name if details else centre.name,
            "address": details.address if details else centre.address,
            "signatory_name": details.signatory_name if details else "",
            "signatory_role": details.signatory_role if details else "",
            "city": centre.city,
        },
        "organisation": {"name": organisation.name, "krs": organisation.krs},
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "project": project.strip(),
        "lines": lines,
        "total": str(total),
        "total_in_words": {"pl": amount_in_words(total, "pl"), "en": amount_in_words(total, "en")},
    }


def issue_certificate(*, actor, centre, organisation, first_day, last_day, project="", language="pl",
                      replaces=None, now=None) -> InKindCertificate:
    """Issue (fix and number) the certificate; `replaces` names an earlier one issued again, which stays."""
    now = now or timezone.now()
    if not is_centre_staff(actor, centre):
        raise NotPermitted("not_centre_staff", _("Only the centre's staff issue its certificates."))
    check_certificate_period(first_day, last_day, local_day(now, centre.tz))
    content = compute_certificate(centre=centre, organisation=organisation, first_day=first_day,
                                  last_day=last_day, project=project, now=now)
    year = local_day(now, centre.tz).year
    with transaction.atomic():
        Centre.objects.select_for_update().filter(pk=centre.pk).first()  # one number at a time per centre
        last = InKindCertificate.objects.filter(centre=centre, year=year).aggregate(last=Max("number"))["last"]
        return InKindCertificate.objects.create(
            centre=centre, organisation=organisation, year=year, number=(last or 0) + 1, first_day=first_day,
            last_day=last_day, project=content["project"], language=language, content=content,
            total=Decimal(content["total"]), issued_by=actor, issued_at=now, replaces=replaces)


def reissue_certificate(*, actor, certificate, now=None) -> InKindCertificate:
    """Issue `certificate` again with today's figures under a new number; the old one stays on record."""
    return issue_certificate(actor=actor, centre=certificate.centre, organisation=certificate.organisation,
                             first_day=certificate.first_day, last_day=certificate.last_day,
                             project=certificate.project, language=certificate.language, replaces=certificate,
                             now=now)
