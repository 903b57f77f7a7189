"""Demo data: the two Chorzów centres, their resources, a few organisations (hosted by one centre or both, one
with an invitation waiting for an answer, an address agreement and letters) and three logins."""
import secrets
from datetime import date, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from booking.accounts import centre_staff_group
from booking.models import AccessibilityStatement, Centre, Hosting, OpeningHours, Resource
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

# Name, kind, KRS, status, and the short names of the centres hosting it, its home first.
ORGANISATIONS = [
    ("Stowarzyszenie Aktywni Seniorzy", Organisation.Kind.REGISTERED_NGO, "0000123456", Organisation.Status.VERIFIED,
     ["CAS"]),
    ("Fundacja Pomocna Dłoń", Organisation.Kind.REGISTERED_NGO, "0000654321", Organisation.Status.VERIFIED, ["CPS"]),
    ("Klub Rodziców Chorzów", Organisation.Kind.INFORMAL_GROUP, "", Organisation.Status.VERIFIED, ["CAS", "CPS"]),
    ("Stowarzyszenie Nowe Pomysły", Organisation.Kind.ASSOCIATION, "", Organisation.Status.UNVERIFIED, ["CAS"]),
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
        self._address(Centre.objects.get(short_name="CAS"), organisations["Stowarzyszenie Aktywni Seniorzy"], staff,
                      member)
        self.stdout.write(self.style.SUCCESS("Demo data loaded: log in as staff/staff, member/member or admin/admin."))

    def _invitation(self, organisation, coordinator):
        """One invitation waiting for an answer, as the members page shows it. No e-mail goes out and its link is
        unknown (only a hash of a random token is kept): revoke it or invite the address again."""
        now = timezone.now()
        pending = Invitation.objects.filter(organisation=organisation, email="nowa.osoba@example.org").pending(now)
        if not pending.exists():
            Invitation.objects.create(organisation=organisation, email="nowa.osoba@example.org", invited_by=coordinator,
                                      token_hash=Invitation.hash_token(secrets.token_urlsafe(32)),
                                      expires_at=now + Invitation.LIFETIME)

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
            Resource.objects.update_or_create(centre=centre, name=name, defaults=defaults)
