"""Demo data: the two Chorzów centres, their resources, a few organisations (hosted by one centre or both, one
with an invitation waiting for an answer), consultations (IT help, legal advice, NGO counselling) with two consultants
on duty and one appointment booked, an address agreement and letters, and the logins."""
import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from booking import services
from booking.accounts import centre_staff_group
from booking.agreements import issue_agreement
from booking.availability import public_holiday
from booking.certificates import issue_certificate
from booking.consultations import book_appointment, new_agenda
from booking.duty import free_times
from booking.exceptions import BookingConflict, RuleViolation
from booking.localtime import local_midnight
from booking.models import (
    ACTIVE_STATUSES,
    AccessibilityStatement,
    AgreementTemplate,
    Appointment,
    Booking,
    BookingStatus,
    Centre,
    Consultant,
    ConsultationService,
    DocumentDetails,
    DutyHours,
    Hosting,
    InKindCertificate,
    KeyHandover,
    OpeningHours,
    Resource,
    ResourceRate,
    WaitlistEntry,
)
from booking.services import approve_booking, book
from ngo.models import AddressAgreement, Invitation, Letter, Membership, Organisation

WEEKDAYS_HOURS = [(0, "07:00", "18:00"), (1, "07:00", "18:00"), (2, "07:00", "18:00"), (3, "07:00", "18:00"),
                  (4, "07:00", "14:00")]

CENTRES = [
    {
        "name": "Centrum Aktywizacji Społecznej", "short_name": "CAS", "street": "ul. Powstańców 70/3",
        "postal_code": "41-500", "city": "Chorzów", "email": "cas@example.org", "phone": "+48 32 000 00 00",
        "resources": [
            ("room", "Sala szkoleniowa", 30, 1, ["rzutnik", "tablica", "nagłośnienie"]),
            ("room", "Sala spotkań", 12, 1, ["stół konferencyjny", "ekran"]),
            ("room", "Kuchnia warsztatowa", 10, 1, ["płyta indukcyjna", "piekarnik"]),
            ("room", "Pracownia komputerowa", 10, 1, ["10 komputerów", "drukarka"]),
            ("desk", "Biurko 1", 1, 1, ["gniazdko", "lampka"]),
            ("desk", "Biurko 2", 1, 1, ["gniazdko"]),
            ("locker", "Szafki (rząd A)", None, 8, []),
            ("accommodation", "Baza noclegowa – pokój 4-osobowy", 4, 4, ["pościel", "ręczniki"]),
            ("accommodation", "Baza noclegowa – pokój 2-osobowy", 2, 2, ["pościel"]),
            ("equipment", "Rzutnik przenośny", None, 1, []),
        ],
        "accessibility": {
            "entrances_pl": "Wejście główne od ul. Powstańców jest na poziomie chodnika, drzwi otwierają się "
                            "automatycznie.",
            "entrances_en": "The main entrance from ul. Powstańców is level with the pavement; its doors open by "
                            "themselves.",
            "lifts_pl": "Sale są na parterze i na pierwszym piętrze; winda mieści wózek i osobę towarzyszącą.",
            "lifts_en": "The rooms are on the ground and the first floor; the lift takes a wheelchair and a companion.",
            "toilets_pl": "Toaleta dla osób z niepełnosprawnościami jest na parterze, obok sali spotkań.",
            "toilets_en": "The accessible toilet is on the ground floor, next to the meeting room.",
            "parking_pl": "Dwa miejsca dla osób z niepełnosprawnościami na parkingu przed budynkiem.",
            "parking_en": "Two places for disabled drivers in the car park in front of the building.",
        },
    },
    {
        "name": "Centrum Pracy Socjalnej", "short_name": "CPS", "street": "ul. Kasprowicza 2",
        "postal_code": "41-500", "city": "Chorzów", "email": "cps@example.org", "phone": "+48 32 000 00 01",
        "resources": [
            ("room", "Sala warsztatowa", 20, 1, ["flipchart"]),
            ("room", "Pokój rozmów", 4, 1, []),
            ("desk", "Biurko gościnne", 1, 1, []),
            ("locker", "Szafki", None, 4, []),
        ],
        "accessibility": {
            "entrances_pl": "Do wejścia prowadzą trzy schody i pochylnia z poręczami po prawej stronie budynku.",
            "entrances_en": "Three steps lead to the entrance, with a ramp and handrails on the right of the building.",
            "lifts_pl": "Budynek jest parterowy; nie ma windy.",
            "lifts_en": "The building has a ground floor only; there is no lift.",
            "toilets_pl": "Toaleta dla osób z niepełnosprawnościami jest przy pokoju rozmów.",
            "toilets_en": "The accessible toilet is next to the talk room.",
            "parking_pl": "Miejsce dla osób z niepełnosprawnościami na ul. Kasprowicza, 20 m od wejścia.",
            "parking_en": "A place for disabled drivers in ul. Kasprowicza, 20 m from the entrance.",
        },
    },
]

# What both demo statements share; each centre adds its building (the `accessibility` of CENTRES).
STATEMENT = {
    "entity": "Miejski Ośrodek Pomocy Społecznej w Chorzowie",
    "published_on": date(2026, 1, 15), "updated_on": date(2026, 12, 1), "prepared_on": date(2026, 3, 20),
    "reviewed_on": date(2026, 12, 1), "compliance": AccessibilityStatement.Compliance.PARTIAL,
    "assessment": AccessibilityStatement.Assessment.SELF,
    "contact_name": "Anna Nowak", "contact_email": "dostepnosc@example.org", "contact_phone": "+48 32 000 00 10",
    "non_accessible_pl": "Dokumenty PDF (umowy użyczenia, zaświadczenia) nie mają jeszcze struktury dla czytników "
                         "ekranu; na prośbę wyślemy je jako dokument tekstowy.\n"
                         "Panel administracyjny dla pracowników centrum nie był badany pod kątem dostępności.",
    "non_accessible_en": "The PDF documents (lending agreements, certificates) have no structure for screen readers "
                         "yet; on request we send them as a text document.\n"
                         "The administration panel for the centre's staff has not been assessed for accessibility.",
    "exemptions_pl": "Pliki opublikowane przed 23 września 2018 r. (art. 3 ust. 2 pkt 1 ustawy).",
    "exemptions_en": "Files published before 23 September 2018 (Article 3(2)(1) of the Act).",
    "induction_loop_pl": "Przenośna pętla indukcyjna jest w sekretariacie; pracownik przyniesie ją do sali.",
    "induction_loop_en": "A portable induction loop is kept at the office; staff bring it to the room.",
    "sign_language_pl": "Tłumacza polskiego języka migowego (PJM) zapewniamy na miejscu, po zgłoszeniu co najmniej "
                        "3 dni robocze wcześniej, oraz online przez całą dobę.",
    "sign_language_en": "A Polish Sign Language (PJM) interpreter is available on site when asked for at least "
                        "3 working days ahead, and online at any time.",
}

# What documents say about each centre, and the notional rates (PLN per hour, day or night) of some resources.
DOCUMENT_DETAILS = {
    "CAS": {"unit_name": "Miejski Ośrodek Pomocy Społecznej w Chorzowie – Centrum Aktywizacji Społecznej",
            "address": "ul. Powstańców 70/3, 41-500 Chorzów", "signatory_name": "Anna Nowak",
            "signatory_role": "Kierowniczka Centrum Aktywizacji Społecznej"},
    "CPS": {"unit_name": "Miejski Ośrodek Pomocy Społecznej w Chorzowie – Centrum Pracy Socjalnej",
            "address": "ul. Kasprowicza 2, 41-500 Chorzów", "signatory_name": "Anna Nowak",
            "signatory_role": "Kierowniczka Centrum Pracy Socjalnej"},
}
RATES = {
    ("CAS", "Sala szkoleniowa"): "60.00", ("CAS", "Sala spotkań"): "40.00", ("CAS", "Szafki (rząd A)"): "3.00",
    ("CAS", "Baza noclegowa – pokój 4-osobowy"): "50.00", ("CPS", "Sala warsztatowa"): "45.00",
}
RATES_FROM = date(2025, 1, 1)

# The lending agreement's text (admin: Lending agreement templates), for both centres.
AGREEMENT_TEXT = """Umowa użyczenia nr {{ number }} zawarta w dniu {{ date }} pomiędzy {{ unit_name }}, {{ address }}, \
reprezentowanym przez {{ signatory_name }}{% if signatory_role %} ({{ signatory_role }}){% endif %}, zwanym dalej \
Użyczającym, a organizacją {{ organisation }}{% if krs %} (KRS {{ krs }}){% endif %}, zwaną dalej Biorącym.

§ 1. Użyczający oddaje Biorącemu do bezpłatnego używania:
{% for item in resources %}– {{ item.name }} ({{ item.kind }}), od {{ item.first_day }} do {{ item.last_day }};
{% empty %}– sale i biurka rezerwowane na bieżąco w systemie rezerwacji centrum;
{% endfor %}
§ 2. Biorący korzysta z użyczonych zasobów zgodnie z regulaminem centrum: {{ rules }}

§ 3. Umowa wygasa z końcem ostatniego z wymienionych okresów."""
GENERAL_RULES = ("Zasoby służą działalności statutowej organizacji; klucze i karty zwraca się w dniu zakończenia "
                 "użyczenia; w centrum obowiązuje zakaz palenia.")

# Name, kind, KRS, status, and the short names of the centres hosting it, its home first.
# The demo's open event (public agenda, its feeds, the reception screen on its day).
PUBLIC_EVENT = "Kulturalnik: pokaz filmu „Rejs” i rozmowa"

ORGANISATIONS = [
    ("Stowarzyszenie Aktywni Seniorzy", Organisation.Kind.REGISTERED_NGO, "0000123456", Organisation.Status.VERIFIED,
     ["CAS"]),
    ("Fundacja Pomocna Dłoń", Organisation.Kind.REGISTERED_NGO, "0000654321", Organisation.Status.VERIFIED, ["CPS"]),
    ("Klub Rodziców Chorzów", Organisation.Kind.INFORMAL_GROUP, "", Organisation.Status.VERIFIED, ["CAS", "CPS"]),
    ("Stowarzyszenie Nowe Pomysły", Organisation.Kind.ASSOCIATION, "", Organisation.Status.UNVERIFIED, ["CAS"]),
]


# (kind, name, description, minutes, topic required)
SERVICES = [
    (ConsultationService.Kind.IT_HELP, "Pomoc informatyka",
     "Komputer, poczta, strona internetowa, drukarka: informatyk centrum pomoże skonfigurować sprzęt i programy "
     "organizacji i korzystać z infrastruktury informatycznej budynku.", 30, True),
    (ConsultationService.Kind.LEGAL, "Porada prawna",
     "Bezpłatna porada prawna o zakładaniu i prowadzeniu organizacji pozarządowej: statut, KRS, sprawozdania.",
     45, True),
    (ConsultationService.Kind.COUNSELLING, "Doradztwo dla organizacji",
     "Pomysł na projekt, wniosek o dotację, współpraca z wolontariuszami.", 45, False),
]
# (username, first name, last name, [(service kind, weekday, from, until)])
CONSULTANTS = [
    ("konsultant", "Piotr", "Wiśniewski", [(ConsultationService.Kind.IT_HELP, 1, "10:00", "14:00"),
                                          (ConsultationService.Kind.IT_HELP, 3, "10:00", "14:00")]),
    ("prawnik", "Ewa", "Lewandowska", [(ConsultationService.Kind.LEGAL, 0, "12:00", "16:00"),
                                       (ConsultationService.Kind.COUNSELLING, 2, "09:00", "12:00"),
                                       (ConsultationService.Kind.IT_HELP, 1, "10:00", "12:00")]),
]


class Command(BaseCommand):
    help = "Load the demo centres, resources, organisations and the logins staff/staff, member/member, admin/admin."

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("load_demo puts well-known passwords in the database; it runs only with DEBUG on.")
        staff = self._user("staff", "Anna", "Nowak", is_staff=True)
        staff.groups.add(centre_staff_group())
        member = self._user("member", "Jan", "Kowalski")
        self._user("admin", "Admin", "", is_staff=True, is_superuser=True)
        for data in CENTRES:
            self._centre(data, staff)
        organisations = {}
        for name, kind, krs, status, hosts in ORGANISATIONS:
            organisations[name], _ = Organisation.objects.update_or_create(
                name=name,
                defaults={"kind": kind, "krs": krs, "status": status, "contact_person": "Jan Kowalski",
                          "email": f"kontakt{len(organisations) + 1}@example.org"},
            )
            for index, short_name in enumerate(hosts):
                Hosting.objects.update_or_create(centre=Centre.objects.get(short_name=short_name),
                                                 organisation=organisations[name], defaults={"home": index == 0})
        Membership.objects.update_or_create(
            user=member, organisation=organisations["Stowarzyszenie Aktywni Seniorzy"],
            defaults={"role": Membership.Role.COORDINATOR},
        )
        Membership.objects.get_or_create(user=member, organisation=organisations["Klub Rodziców Chorzów"])
        self._invitation(organisations["Stowarzyszenie Aktywni Seniorzy"], member)
        self._documents(staff, member, organisations["Stowarzyszenie Aktywni Seniorzy"])
        self._public_event(organisations["Stowarzyszenie Aktywni Seniorzy"], member, staff)
        self._waitlist(organisations["Fundacja Pomocna Dłoń"], organisations["Klub Rodziców Chorzów"], member)
        self._address(Centre.objects.get(short_name="CAS"), organisations["Stowarzyszenie Aktywni Seniorzy"], staff,
                      member)
        self._consultations(Centre.objects.get(short_name=CENTRES[0]["short_name"]), member,
                            organisations["Stowarzyszenie Aktywni Seniorzy"])
        self.stdout.write(self.style.SUCCESS("Demo data loaded: log in as staff/staff, member/member or admin/admin; "
                                             "konsultant/konsultant gives IT help (a volunteer's login)."))

    def _consultations(self, centre, member, organisation):
        """The centre's three services, two consultants with weekly duty hours, and one IT-help appointment."""
        services = {}
        for kind, name, description, minutes, topic_required in SERVICES:
            services[kind], _ = ConsultationService.objects.update_or_create(
                centre=centre, kind=kind, defaults={"name": name, "description": description,
                                                    "appointment_length": timedelta(minutes=minutes),
                                                    "topic_required": topic_required})
        for username, first_name, last_name, duties in CONSULTANTS:
            user = self._user(username, first_name, last_name)
            consultant = Consultant.objects.filter(centre=centre, user=user).first()
            if consultant is None:
                consultant = Consultant.objects.create(centre=centre, user=user, resource=new_agenda(centre, user))
            consultant.services.add(*{services[kind] for kind, *_rest in duties})
            for kind, weekday, starts, ends in duties:
                DutyHours.objects.get_or_create(consultant=consultant, service=services[kind], weekday=weekday,
                                                starts=time.fromisoformat(starts), ends=time.fromisoformat(ends))
        it_help = services[ConsultationService.Kind.IT_HELP]
        if Appointment.objects.filter(service=it_help, booking__status__in=ACTIVE_STATUSES).exists():
            return
        for free in free_times(it_help)[:5]:
            try:
                book_appointment(actor=member, service=it_help, organisation=organisation, start=free.start,
                                 topic="Nie działa wysyłanie poczty z Outlooka", device="Laptop, Windows 11")
                return
            except (RuleViolation, BookingConflict):
                continue

    def _invitation(self, organisation, coordinator):
        """One invitation waiting for an answer, as the members page shows it. No e-mail goes out and its link is
        unknown (only a hash of a random token is kept): revoke it or invite the address again."""
        now = timezone.now()
        pending = Invitation.objects.filter(organisation=organisation, email="nowa.osoba@example.org").pending(now)
        if not pending.exists():
            Invitation.objects.create(organisation=organisation, email="nowa.osoba@example.org", invited_by=coordinator,
                                      token_hash=Invitation.hash_token(secrets.token_urlsafe(32)),
                                      expires_at=now + Invitation.LIFETIME)

    def _documents(self, staff, member, organisation):
        """Details for documents, rates, and one certificate issued for last month's meetings and locker of the
        Aktywni Seniorzy at CAS (booked then, as if a month earlier, and approved)."""
        for short_name, details in DOCUMENT_DETAILS.items():
            centre = Centre.objects.get(short_name=short_name)
            DocumentDetails.objects.update_or_create(centre=centre,
                                                     defaults={**details, "general_rules": GENERAL_RULES})
            AgreementTemplate.objects.update_or_create(centre=centre, language="pl", defaults={
                "title": "Umowa użyczenia", "body": AGREEMENT_TEXT})
        for (short_name, name), amount in RATES.items():
            resource = Resource.objects.get(centre__short_name=short_name, name=name)
            ResourceRate.objects.update_or_create(resource=resource, valid_from=RATES_FROM, defaults={"amount": amount})
        centre = Centre.objects.get(short_name="CAS")
        if InKindCertificate.objects.filter(centre=centre, organisation=organisation).exists():
            return
        first = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        last = timezone.localdate().replace(day=1) - timedelta(days=1)
        booked_on = local_midnight(first - timedelta(days=14), centre.tz)
        room = Resource.objects.get(centre=centre, name="Sala spotkań")
        tuesdays = [first + timedelta(days=offset) for offset in range((last - first).days + 1)
                    if (first + timedelta(days=offset)).weekday() == 1
                    and not public_holiday(centre, first + timedelta(days=offset))][:2]
        for day in tuesdays:
            result = book(actor=member, resource=room, organisation=organisation, title="Spotkanie klubu seniora",
                          start=local_midnight(day, centre.tz) + timedelta(hours=10),
                          end=local_midnight(day, centre.tz) + timedelta(hours=12), attendees=10, now=booked_on)
            approve_booking(booking=result.booking, actor=staff)
        lockers = Resource.objects.get(centre=centre, name="Szafki (rząd A)")
        locker = book(actor=member, resource=lockers, organisation=organisation, title="Szafka na materiały",
                      start=local_midnight(first, centre.tz), end=local_midnight(first + timedelta(days=10), centre.tz),
                      now=booked_on).booking
        # Its key is still out: the staff's "keys not returned" shows it.
        KeyHandover.objects.create(booking=locker, key="A-3", taken_by="Jan Kowalski", deposit=Decimal("20.00"),
                                   handed_over_on=first, handed_over_by=staff)
        issue_certificate(actor=staff, centre=centre, organisation=organisation, first_day=first, last_day=last)
        issue_agreement(actor=staff, centre=centre, organisation=organisation)

    def _public_event(self, organisation, member, staff):
        """An open event for the public agenda, its feeds and the reception screen: a film screening on the next
        open Thursday at least a week ahead, booked by the member and confirmed by the staff (once)."""
        hall = Resource.objects.get(centre__short_name="CAS", name="Sala szkoleniowa")
        now = timezone.now()
        if Booking.objects.filter(resource=hall, title=PUBLIC_EVENT, end__gt=now, status__in=ACTIVE_STATUSES).exists():
            return
        day = timezone.localdate(now) + timedelta(days=7)
        day += timedelta(days=(3 - day.weekday()) % 7)
        while public_holiday(hall.centre, day):
            day += timedelta(weeks=1)
        tz = hall.centre.tz
        booking = services.book(
            actor=member, resource=hall, organisation=organisation, title=PUBLIC_EVENT, public=True, attendees=30,
            purpose="Seans z dyskusją dla mieszkańców dzielnicy; wstęp wolny.",
            start=datetime.combine(day, time(16), tzinfo=tz), end=datetime.combine(day, time(18), tzinfo=tz),
        ).bookings[0]
        if booking.status == BookingStatus.PENDING:
            services.approve_booking(booking=booking, actor=staff)

    def _waitlist(self, holder, waiting, member):
        """A workshop room taken next week by one organisation, and the member's organisation on the waitlist for
        the same time ("our bookings" shows it). Written directly, like the invitation: no e-mail goes out."""
        room = Resource.objects.select_related("centre").get(centre__short_name="CPS", name="Sala warsztatowa")
        tz = room.centre.tz
        day = timezone.now().astimezone(tz).date() + timedelta(days=8)
        while day.weekday() > 3 or public_holiday(room.centre, day):
            day += timedelta(days=1)
        start, end = local_midnight(day, tz) + timedelta(hours=16), local_midnight(day, tz) + timedelta(hours=18)
        if WaitlistEntry.objects.filter(organisation=waiting, end__gt=timezone.now()).exists():
            return
        Booking.objects.create(resource=room, organisation=holder, title="Warsztaty rękodzieła", attendees=12,
                               start=start, end=end, status=BookingStatus.CONFIRMED, exclusive=room.is_single_unit)
        WaitlistEntry.objects.create(resource=room, organisation=waiting, created_by=member, start=start, end=end,
                                     title="Spotkanie rodziców", attendees=10)

    def _address(self, centre, organisation, staff, member):
        """The seniors use the CAS address under an agreement; three letters came for them: two wait (one
        registered), one was collected by Jan. Written directly: no e-mail goes out."""
        today = timezone.localdate()
        AddressAgreement.objects.update_or_create(
            centre=centre, number=f"CAS/ADR/{today.year}/001",
            defaults={"organisation": organisation, "starts_on": date(today.year, 1, 1), "ends_on": None,
                      "status": AddressAgreement.Status.APPROVED, "signed_by": staff,
                      "registered_seat": True, "correspondence": True})
        now = timezone.now()
        for sender, kind, tracking, days, collected in [
                ("Urząd Skarbowy w Chorzowie", Letter.Kind.REGISTERED, "RR123456789PL", 2, False),
                ("Urząd Miasta Chorzów", Letter.Kind.ORDINARY, "", 5, False),
                ("Zakład Ubezpieczeń Społecznych", Letter.Kind.OFFICIAL, "", 9, True)]:
            received = (now - timedelta(days=days)).replace(hour=9, minute=30, second=0, microsecond=0)
            Letter.objects.update_or_create(
                centre=centre, organisation=organisation, sender=sender,
                defaults={"kind": kind, "tracking_number": tracking, "received_at": received, "logged_by": staff,
                          "status": Letter.Status.COLLECTED if collected else Letter.Status.WAITING,
                          "collected_at": received + timedelta(days=1) if collected else None,
                          "collected_by": member if collected else None,
                          "collected_by_name": member.get_full_name() if collected else ""})

    def _user(self, username, first_name, last_name, **flags):
        user, _ = get_user_model().objects.update_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.org", **flags},
        )
        user.set_password(username)
        user.save()
        return user

    def _centre(self, data, staff):
        data = dict(data)
        resources = data.pop("resources")
        accessibility = data.pop("accessibility")
        centre, _ = Centre.objects.update_or_create(name=data.pop("name"), defaults=data)
        AccessibilityStatement.objects.update_or_create(centre=centre, defaults={**STATEMENT, **accessibility})
        centre.staff.add(staff)
        for weekday, opens, closes in WEEKDAYS_HOURS:
            OpeningHours.objects.get_or_create(centre=centre, weekday=weekday,
                                               opens=time.fromisoformat(opens), closes=time.fromisoformat(closes))
        for kind, name, capacity, units, amenities in resources:
            defaults = {"kind": kind, "capacity": capacity, "units": units, "amenities": amenities,
                        "requires_approval": kind in ("room", "accommodation")}
            if kind == "room":
                defaults["max_duration"] = timedelta(hours=8)
            if kind == "locker":
                defaults["max_duration"] = timedelta(days=180)
                defaults["needs_key"] = True
            Resource.objects.update_or_create(centre=centre, name=name, defaults=defaults)
