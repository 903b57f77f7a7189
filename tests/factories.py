"""Small builders for test data. Bookings are made through the services, as users make them."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from booking.availability import public_holiday
from booking.consultations import new_agenda
from booking.models import (
    AccessibilityStatement,
    AgreementTemplate,
    Centre,
    Consultant,
    ConsultationService,
    DocumentDetails,
    DutyHours,
    OpeningHours,
    Resource,
    ResourceRate,
)
from booking.series import Mode, Recurrence
from booking.services import book
from ngo.models import Membership, Organisation

WARSAW = ZoneInfo("Europe/Warsaw")
_numbers = count(1)


def at(day: date, hour: int, minute: int = 0, tz=WARSAW) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def next_open_weekday(weekday=1, weeks_ahead=1, centre=None) -> date:
    """A date on `weekday` (0 = Monday) at least `weeks_ahead` weeks from today, not a public holiday."""
    day = date.today() + timedelta(weeks=weeks_ahead)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    while centre is not None and public_holiday(centre, day):
        day += timedelta(weeks=1)
    return day


def make_user(username=None, **fields):
    username = username or f"user{next(_numbers)}"
    user = get_user_model().objects.create_user(username=username, password=username,
                                                email=f"{username}@example.org", **fields)
    return user


def make_centre(name=None, staff=(), **fields):
    """A centre open Monday-Thursday 07:00-18:00 and Friday 07:00-14:00, as the Chorzów ones."""
    centre = Centre.objects.create(
        name=name or f"Centrum {next(_numbers)}", street="ul. Powstańców 70/3", postal_code="41-500",
        city="Chorzów", email="centrum@example.org", **fields,
    )
    for weekday in range(4):
        OpeningHours.objects.create(centre=centre, weekday=weekday, opens=time(7), closes=time(18))
    OpeningHours.objects.create(centre=centre, weekday=4, opens=time(7), closes=time(14))
    centre.staff.add(*staff)
    return centre


def make_resource(centre, kind=Resource.Kind.ROOM, **fields):
    fields.setdefault("name", f"{kind} {next(_numbers)}")
    fields.setdefault("capacity", 20 if kind == Resource.Kind.ROOM else None)
    fields.setdefault("requires_approval", True)
    return Resource.objects.create(centre=centre, kind=kind, **fields)


def make_organisation(name=None, members=(), coordinators=(), status=Organisation.Status.VERIFIED, centres=(),
                      **fields):
    """An organisation hosted by `centres` (the first is its home)."""
    organisation = Organisation.objects.create(
        name=name or f"Stowarzyszenie {next(_numbers)}", kind=fields.pop("kind", Organisation.Kind.ASSOCIATION),
        contact_person="Jan Kowalski", email="kontakt@example.org", status=status, **fields,
    )
    for user in members:
        Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.MEMBER)
    for user in coordinators:
        Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.COORDINATOR)
    for index, centre in enumerate(centres):
        organisation.centres.add(centre, through_defaults={"home": index == 0})
    return organisation


def invitation_token(invitation):
    """The token of the link in `invitation`'s e-mail, read from the outbox as the invited person reads it."""
    from notifications.models import OutboxMessage

    message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.INVITATION, payload__invitation=invitation.pk)
    return message.payload["token"]


def join(organisation, person, *, by, role=Membership.Role.MEMBER):
    """`person` joins as people do: `by` (a coordinator or hosting staff) invites their address, they accept."""
    from ngo.services import accept_invitation, invite_member

    invitation = invite_member(organisation=organisation, actor=by, email=person.email, role=role)
    return accept_invitation(token=invitation_token(invitation), actor=person)


def _interval(start, end, day, hour, hours):
    """Explicit `start` and `end`, or `hours` long from `hour` o'clock (Warsaw time) on `day`."""
    if start is None:
        start = at(day, hour)
        end = start + timedelta(hours=hours)
    return start, end


def make_booking(*, resource, organisation, actor=None, start=None, end=None, day=None, hour=10, hours=1,
                 title="Spotkanie", **fields):
    """A booking made through the service, as `actor` (by default the organisation's first member) makes it.

    Other `fields` (`now`, `quantity`, `public`, `override_reason`, ...) go to the service unchanged.
    """
    actor = actor or organisation.members.first()
    start, end = _interval(start, end, day, hour, hours)
    fields.update(resource=resource, organisation=organisation, start=start, end=end, title=title)
    return book(actor=actor, **fields).booking


def make_series(*, resource, organisation, rrule, actor=None, start=None, end=None, day=None, hour=10, hours=1,
                title="Klub seniora", **options):
    """A series booked through the service, as `actor` (by default the organisation's first member) books it.

    Returns the service's BookingResult; other `options` (`now`, `mode`, `dry_run`, ...) go to it unchanged.
    """
    actor = actor or organisation.members.first()
    start, end = _interval(start, end, day, hour, hours)
    recurrence = Recurrence(rrule, options.pop("mode", Mode.ALL_OR_NOTHING))
    options.update(resource=resource, organisation=organisation, start=start, end=end, title=title)
    return book(actor=actor, recurrence=recurrence, **options)


def make_accessibility_statement(centre, **fields):
    """A partially compliant statement, self-assessed, with its contact; texts in Polish only unless given."""
    defaults = {"entity": "Miejski Ośrodek Pomocy Społecznej w Chorzowie", "published_on": date(2026, 1, 15),
                "updated_on": date(2026, 11, 2), "prepared_on": date(2026, 3, 20), "contact_name": "Anna Nowak",
                "contact_email": "dostepnosc@example.org", "contact_phone": "+48 32 000 00 10"}
    return AccessibilityStatement.objects.create(centre=centre, **{**defaults, **fields})


def make_waitlist_entry(*, resource, organisation, actor=None, start=None, end=None, day=None, hour=10, hours=1,
                        title="Czekamy na salę", **fields):
    """A waitlist entry made through the service (the time must be taken), as `actor` (by default the
    organisation's first member) joins it. Other `fields` (`now`, `quantity`, ...) go to the service unchanged."""
    from booking.waitlist import join_waitlist

    actor = actor or organisation.members.first()
    start, end = _interval(start, end, day, hour, hours)
    return join_waitlist(actor=actor, resource=resource, organisation=organisation, start=start, end=end,
                         title=title, **fields)


def make_consultation_service(centre, kind=ConsultationService.Kind.IT_HELP, **fields):
    """A consultation service of `centre`: 30-minute appointments, four weeks ahead, topic required."""
    fields.setdefault("name", str(ConsultationService.Kind(kind).label))
    return ConsultationService.objects.create(centre=centre, kind=kind, **fields)


def make_consultant(centre, services, *, user=None, duty=((1, 9, 12),)):
    """A consultant of `centre` giving `services`, on duty on each `(weekday, from_hour, until_hour)` of `duty`
    for every one of them."""
    user = user or make_user(first_name="Konsultant", last_name=f"Nr {next(_numbers)}")
    consultant = Consultant.objects.create(centre=centre, user=user, resource=new_agenda(centre, user))
    consultant.services.set(services)
    for service in services:
        for weekday, opens, closes in duty:
            DutyHours.objects.create(consultant=consultant, service=service, weekday=weekday, starts=time(opens),
                                     ends=time(closes))
    return consultant


def make_rate(resource, amount, valid_from):
    """A notional rate of `resource` (PLN per hour, day or night) from `valid_from` on."""
    return ResourceRate.objects.create(resource=resource, amount=Decimal(amount), valid_from=valid_from)


def make_document_details(centre, **fields):
    """The centre's details for documents: the unit, its address and who signs."""
    defaults = {"unit_name": f"Miejski Ośrodek Pomocy Społecznej w Chorzowie – {centre.name}",
                "address": "ul. Powstańców 70/3, 41-500 Chorzów", "signatory_name": "Anna Nowak",
                "signatory_role": "Kierowniczka Centrum"}
    return DocumentDetails.objects.create(centre=centre, **{**defaults, **fields})


AGREEMENT_TEXT = """Umowa użyczenia nr {{ number }} zawarta {{ date }} między {{ unit_name }}, {{ address }}, \
a organizacją {{ organisation }}{% if krs %} (KRS {{ krs }}){% endif %}.

Użyczający oddaje organizacji do bezpłatnego używania:
{% for item in resources %}- {{ item.name }} ({{ item.kind }}), od {{ item.first_day }} do {{ item.last_day }}
{% empty %}- nic poza salami rezerwowanymi na bieżąco
{% endfor %}
Zasady korzystania: {{ rules }}"""


def make_agreement_template(centre, body=AGREEMENT_TEXT, language="pl", title="Umowa użyczenia"):
    """The centre's lending agreement text (checked as the admin checks it)."""
    template = AgreementTemplate(centre=centre, body=body, language=language, title=title)
    template.full_clean()
    template.save()
    return template


def make_letter(*, organisation, centre, actor=None, sender="Urząd Skarbowy w Chorzowie", **fields):
    """A letter logged through the register's service, by `actor` (by default the centre's first staff member)."""
    from ngo.letters import log_letter

    actor = actor or centre.staff.first()
    return log_letter(actor=actor, organisation=organisation, centre=centre, sender=sender, **fields)
