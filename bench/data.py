"""The bench dataset: 8 centres, 200 resources of every kind, 400 organisations and N bookings over five years;
above 1M bookings a city of a centre per 50 000 bookings and an organisation per 500 (PostgreSQL only).

Run alone (`python -m bench.data`) it builds (or finds) the dataset of every size in `BENCH_SIZES` and
prints how long that took. The shapes follow the centres' week: rooms, desks and equipment in 30-minute
slots inside opening hours (Monday-Thursday 07:00-18:00, Friday 07:00-14:00, no public holidays, no
closures), lockers for weeks or months, beds by the night from check-in to check-out; about one booking in
five cancelled or rejected, requests ahead still pending, bookings spread over organisations by a Zipf law.
Four years of history and one year ahead of the day it was built; the same seed gives the same data.

Bookings go in by bulk insert, in one transaction with the booking table's secondary indexes dropped and
built again afterwards: COPY through psycopg on PostgreSQL (re-adding the exclusion constraint checks every
row again), executemany on SQLite. A row in the table `bench_dataset` records what is loaded; a later run
with the same size and generator version reuses it.
"""
import json
import math
import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

VERSION = 1
SEED = 20251123
YEARS_BACK, YEARS_AHEAD = 4, 1
REBUILD_AFTER_DAYS = 60  # the year ahead must stay ahead: an older dataset is rebuilt
FEED_EVENTS = 5000
WARSAW = ZoneInfo("Europe/Warsaw")
HOURS = {0: (time(7), time(18)), 1: (time(7), time(18)), 2: (time(7), time(18)), 3: (time(7), time(18)),
         4: (time(7), time(14))}
SLOT = timedelta(minutes=30)
CANCELLED_SHARE = 0.18

DISTRICTS = ["Chorzów Batory", "Chorzów Centrum", "Chorzów II", "Maciejkowice", "Klimzowiec", "Dąbrówka",
             "Stary Chorzów", "Bytków"]
# kind, how many per centre, share weight of the bookings, units, capacity, requires approval,
# booking lengths (in slots, days or nights)
LAYOUT = [
    ("room", 12, 1.0, (1, 1), (8, 40), True, [2, 2, 3, 4, 4, 6]),
    ("desk", 6, 0.8, (1, 1), (1, 1), False, [2, 4, 4, 6, 8]),
    ("equipment", 2, 0.5, (1, 1), (None, None), False, [2, 4, 6, 8]),
    ("locker", 2, 0.05, (10, 20), (None, None), False, [7, 14, 30, 30, 60, 90, 180]),
    ("accommodation", 3, 0.5, (2, 6), None, True, [1, 1, 2, 2, 3, 4]),
]
ROOM_NAMES = ["Sala szkoleniowa", "Sala spotkań", "Kuchnia warsztatowa", "Pracownia komputerowa",
              "Sala warsztatowa", "Pokój rozmów", "Sala konferencyjna", "Świetlica", "Sala ruchowa",
              "Pracownia plastyczna", "Sala prób", "Pokój cichy"]
TITLES = ["Spotkanie zarządu", "Walne zebranie", "Warsztaty kulinarne", "Szkolenie z pierwszej pomocy",
          "Dyżur prawnika", "Próba chóru", "Kurs komputerowy dla seniorów", "Grupa wsparcia", "Klub książki",
          "Zajęcia dla dzieci", "Konsultacje projektu", "Spotkanie wolontariuszy", "Praca biurowa",
          "Nocleg uczestników", "Przechowanie materiałów"]
TOWN = (8, 400)  # centres and organisations up to 1M bookings: one town, as in every table before issue 21
CITY_SIZE = 1_000_000  # above it, a city: a centre per 50 000 bookings, an organisation per 500
FEED_ORGANISATION = "Stowarzyszenie Aktywni Seniorzy"


def shape(n):
    """(centres, organisations) for a dataset of `n` bookings: 10 000 000 gives 200 centres and 20 000."""
    if n <= CITY_SIZE:
        return TOWN
    return n // 50_000, n // 500


def _rows_columns(model, known, connection):
    """Every concrete column of `model` but its key, in order, and a row builder filling the unknown ones.

    Columns the generator does not know (added later by other work) get their field's default.
    """
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    missing = [field for field in fields if field.attname not in known]
    defaults = {field.attname: field.get_db_prep_save(field.get_default(), connection) for field in missing}
    return [field.column for field in fields], [field.attname for field in fields], defaults


def _marker_table(cursor):
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_dataset (name VARCHAR(32) PRIMARY KEY, value TEXT NOT NULL)")


def read_marker(connection):
    with connection.cursor() as cursor:
        _marker_table(cursor)
        cursor.execute("SELECT value FROM bench_dataset WHERE name = 'dataset'")
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def write_marker(connection, marker):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_dataset WHERE name = 'dataset'")
        cursor.execute("INSERT INTO bench_dataset (name, value) VALUES ('dataset', %s)", [json.dumps(marker)])


def ensure(n, *, quiet=False):
    """Make sure the current database holds the dataset of `n` bookings; build it if not. Returns the marker."""
    from django.db import connection

    marker = read_marker(connection)
    today = date.today()
    if marker and marker["n"] == n and marker["version"] == VERSION \
            and (today - date.fromisoformat(marker["anchor"])).days <= REBUILD_AFTER_DAYS:
        return marker
    if not quiet:
        print(f"# building the dataset of {n} bookings in {connection.settings_dict['NAME']} ...", flush=True)
    return build(n, anchor=today, quiet=quiet)


def build(n, *, anchor, quiet=False):
    from django.core.management import call_command
    from django.db import connection, transaction

    if n > CITY_SIZE and connection.vendor == "sqlite":
        raise SystemExit(f"bench.data: a city of {n} bookings is built on PostgreSQL only (set DATABASE_URL)")

    with connection.cursor() as cursor:
        _marker_table(cursor)
        cursor.execute("DELETE FROM bench_dataset WHERE name = 'dataset'")
    from booking.models import Centre

    if Centre.objects.exists():  # another dataset (or size) is loaded: start from an empty database
        call_command("flush", interactive=False, verbosity=0)
    started = clock.perf_counter()
    rng = random.Random(SEED)
    with transaction.atomic():
        world = _build_world(rng, *shape(n))
    inserted = _insert_bookings(_bookings(rng, world, n, anchor), world, connection)
    _give_feed_organisation_its_events(world, anchor, connection)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = clock.perf_counter() - started
    marker = {"n": n, "version": VERSION, "seed": SEED, "anchor": anchor.isoformat(),
              "build_seconds": round(seconds, 1), "vendor": connection.vendor}
    write_marker(connection, marker)
    if not quiet:
        from bench.common import report

        report("data.build", seconds, "s", db=connection.vendor, n=n, rows=inserted,
               method="COPY" if connection.vendor == "postgresql" else "executemany")
    return marker


def _build_world(rng, centre_count, organisation_count):
    """Centres, opening hours, closures, resources, organisations, members and staff (ORM, bulk)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from bench.common import BENCH_PASSWORD
    from booking.models import Centre, Closure, OpeningHours, Resource
    from ngo.models import Membership, Organisation

    User = get_user_model()
    password = make_password(BENCH_PASSWORD)  # one hash for every bench login: hashing is slow by design
    centres = Centre.objects.bulk_create([
        Centre(name=f"Centrum Aktywizacji Społecznej {_district(i)}", short_name=f"CAS{i + 1}",
               street=f"ul. Powstańców {10 + i}", postal_code="41-500", city="Chorzów",
               email=f"cas{i + 1}@example.org")
        for i in range(centre_count)
    ])
    OpeningHours.objects.bulk_create([
        OpeningHours(centre=centre, weekday=weekday, opens=opens, closes=closes)
        for centre in centres for weekday, (opens, closes) in HOURS.items()
    ])
    staff = User.objects.bulk_create([
        User(username=f"staff-{i + 1}-{j + 1}", first_name="Anna", last_name=f"Nowak {i}{j}", password=password,
             email=f"staff{i + 1}{j + 1}@example.org", is_staff=True)
        for i in range(len(centres)) for j in range(2)
    ])
    for i, centre in enumerate(centres):
        centre.staff.add(*staff[2 * i:2 * i + 2])
    resources = []
    for centre in centres:
        for kind, count, _weight, units, capacity, approval, _lengths in LAYOUT:
            for k in range(count):
                fields = {"units": rng.randint(*units), "requires_approval": approval}
                if kind == "room":
                    fields.update(name=f"{ROOM_NAMES[k]} {centre.short_name}", capacity=rng.randint(*capacity),
                                  max_duration=timedelta(hours=8))
                elif kind == "desk":
                    fields.update(name=f"Biurko {k + 1} {centre.short_name}", capacity=1)
                elif kind == "equipment":
                    fields.update(name=f"{['Rzutnik', 'Nagłośnienie'][k % 2]} {centre.short_name}")
                elif kind == "locker":
                    fields.update(name=f"Szafki rząd {'AB'[k % 2]} {centre.short_name}",
                                  max_duration=timedelta(days=180))
                else:
                    fields.update(name=f"Pokój {fields['units']}-osobowy nr {k + 1} {centre.short_name}",
                                  capacity=fields["units"])
                resources.append(Resource(centre=centre, kind=kind, booking_mode=Resource.DEFAULT_MODE[kind], **fields))
    resources = Resource.objects.bulk_create(resources)
    organisations, members = [], []
    for i in range(organisation_count):
        kind = rng.choice(list(Organisation.Kind))
        status = Organisation.Status.VERIFIED
        if i >= 20 and i % 16 == 5:
            status = Organisation.Status.UNVERIFIED
        elif i >= 20 and i % 25 == 7:
            status = Organisation.Status.SUSPENDED
        organisations.append(Organisation(
            name=FEED_ORGANISATION if i == 0 else f"{['Stowarzyszenie', 'Fundacja', 'Klub', 'Grupa'][i % 4]} nr {i}",
            kind=kind, krs=f"{1000000 + i:010d}" if kind == Organisation.Kind.REGISTERED_NGO else "",
            contact_person=f"Osoba Kontaktowa {i}", email=f"org{i}@example.org", status=status,
        ))
    organisations = Organisation.objects.bulk_create(organisations)
    for i in range(len(organisations)):
        for j in range(1 + i % 3):
            members.append(User(username=f"member-{i}-{j + 1}", first_name="Jan", last_name=f"Kowalski {i}",
                                email=f"member{i}.{j + 1}@example.org", password=password))
    members = User.objects.bulk_create(members)
    first_member, memberships, index = {}, [], 0
    for i, organisation in enumerate(organisations):
        for j in range(1 + i % 3):
            user = members[index]
            index += 1
            first_member.setdefault(organisation.pk, user.pk)
            memberships.append(Membership(user=user, organisation=organisation,
                                          role=Membership.Role.COORDINATOR if j == 0 else Membership.Role.MEMBER))
    Membership.objects.bulk_create(memberships)
    closures = []
    for centre in centres:
        for year in range(date.today().year - YEARS_BACK, date.today().year + YEARS_AHEAD + 1):
            for _ in range(3):
                day = date(year, rng.randint(1, 12), rng.randint(1, 28))
                closures.append(Closure(centre=centre, reason="Dezynsekcja budynku",
                                        start=datetime.combine(day, time(0), tzinfo=WARSAW),
                                        end=datetime.combine(day + timedelta(days=1), time(0), tzinfo=WARSAW)))
    Closure.objects.bulk_create(closures)
    return {
        "centres": centres, "resources": resources, "organisations": organisations, "first_member": first_member,
        "closed_days": {(c.centre_id, c.start.astimezone(WARSAW).date()) for c in closures},
    }


def _district(i):
    """The district of the i-th centre: the town's eight, then numbered again for a city."""
    return DISTRICTS[i] if i < len(DISTRICTS) else f"{DISTRICTS[i % len(DISTRICTS)]} {i // len(DISTRICTS) + 1}"


@lru_cache(maxsize=4)
def _polish_holidays(first_year, last_year):
    import holidays

    return holidays.country_holidays("PL", years=range(first_year, last_year + 1))


def _open_days(centre_id, first, last, closed_days):
    """(day, opens, closes) in UTC for every open day in [first, last)."""
    polish = _polish_holidays(first.year, last.year)
    day, result = first, []
    while day < last:
        if day.weekday() in HOURS and day not in polish and (centre_id, day) not in closed_days:
            opens, closes = HOURS[day.weekday()]
            result.append((day, datetime.combine(day, opens, tzinfo=WARSAW).astimezone(UTC),
                           datetime.combine(day, closes, tzinfo=WARSAW).astimezone(UTC)))
        day += timedelta(days=1)
    return result


def _poisson(rng, mean):
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _slot_shapes(rng, resource, lengths, target, open_days):
    """Bookings laid out day by day inside opening hours, in 30-minute slots, never overlapping."""
    mean = target * (1 - CANCELLED_SHARE) / max(len(open_days), 1)
    for _, opens, closes in open_days:
        count = _poisson(rng, mean)
        if not count:
            continue
        slots = int((closes - opens) / SLOT)
        durations = [rng.choice(lengths) for _ in range(count)]
        while sum(durations) > slots:
            durations.pop()
        slack = slots - sum(durations)
        cuts = sorted(rng.randint(0, slack) for _ in durations)
        cursor, previous = 0, 0
        for cut, duration in zip(cuts, durations, strict=True):
            cursor += cut - previous
            previous = cut
            start = opens + cursor * SLOT
            cursor += duration
            yield start, opens + cursor * SLOT, 1


def _lane_shapes(rng, resource, lengths, target, first, last, open_dates):
    """Multi-unit resources: each unit is a lane of back-to-back stays, so the units are never over-booked."""
    span = (last - first).days
    per_lane = max(target * (1 - CANCELLED_SHARE) / resource.units, 1)
    mean_length = sum(lengths) / len(lengths)
    mean_gap = max(span / per_lane - mean_length, 0)
    nights = resource.kind == "accommodation"
    centre = resource.centre
    for _ in range(resource.units):
        day = first + timedelta(days=int(rng.random() * min(span / per_lane, 30)))
        while True:
            day += timedelta(days=int(rng.expovariate(1 / mean_gap)) if mean_gap else 0)
            length = rng.choice(lengths)
            if nights:
                while day < last and day not in open_dates:
                    day += timedelta(days=1)
                end_day = day + timedelta(days=length)
                while end_day < last and end_day not in open_dates:
                    end_day += timedelta(days=1)
                if end_day >= last:
                    break
                yield (datetime.combine(day, centre.check_in_time, tzinfo=WARSAW).astimezone(UTC),
                       datetime.combine(end_day, centre.check_out_time, tzinfo=WARSAW).astimezone(UTC), 1)
            else:
                end_day = day + timedelta(days=length)
                if end_day >= last:
                    break
                yield (datetime.combine(day, time(0), tzinfo=WARSAW).astimezone(UTC),
                       datetime.combine(end_day, time(0), tzinfo=WARSAW).astimezone(UTC), 1)
            day = end_day


def _targets(resources, n):
    weights = {kind: weight for kind, _, weight, *_ in LAYOUT}
    total = sum(weights[r.kind] for r in resources)
    targets = [int(n * weights[r.kind] / total) for r in resources]
    for i in range(n - sum(targets)):
        targets[i % len(targets)] += 1
    return targets


def _bookings(rng, world, n, anchor):
    """Yield (resource, organisation_id, start, end, quantity, status) for exactly `n` bookings."""
    first = anchor.replace(year=anchor.year - YEARS_BACK)
    last = anchor.replace(year=anchor.year + YEARS_AHEAD)
    now = datetime.combine(anchor, time(0), tzinfo=WARSAW).astimezone(UTC)
    bookable = [o for o in world["organisations"][1:] if o.status != "unverified"]
    zipf = list(_cumulative(1 / (rank + 1) ** 0.8 for rank in range(len(bookable))))
    open_days = {}
    for resource, target in zip(world["resources"], _targets(world["resources"], n), strict=True):
        if resource.centre_id not in open_days:
            open_days[resource.centre_id] = _open_days(resource.centre_id, first, last, world["closed_days"])
        days = open_days[resource.centre_id]
        lengths = next(layout[6] for layout in LAYOUT if layout[0] == resource.kind)
        if resource.booking_mode == "slots":
            shapes = list(_slot_shapes(rng, resource, lengths, target, days))
        else:
            shapes = list(_lane_shapes(rng, resource, lengths, target, first, last, {d for d, _, _ in days}))
        rng.shuffle(shapes)
        active, extra = shapes[:target], []
        while len(active) + len(extra) < target:  # cancelled requests for times that others then booked
            extra.append(rng.choice(shapes) if shapes
                         else (now + timedelta(days=1), now + timedelta(days=1, hours=1), 1))
        for index, (start, end, quantity) in enumerate(active + extra):
            organisation = bookable[_pick(zipf, rng.random())]
            if index >= len(active) or rng.random() < CANCELLED_SHARE / 2:
                status = "rejected" if resource.requires_approval and rng.random() < 0.3 else "cancelled"
            elif start > now and resource.requires_approval and rng.random() < 0.35:
                status = "pending"
            else:
                status = "confirmed"
            yield resource, organisation.pk, start, end, quantity, status


def _cumulative(weights):
    total = 0
    for weight in weights:
        total += weight
        yield total


def _pick(cumulative, fraction):
    from bisect import bisect_left

    return min(bisect_left(cumulative, fraction * cumulative[-1]), len(cumulative) - 1)


def _insert_bookings(shapes, world, connection):
    from django.db import transaction

    from booking.models import Booking

    known = {"resource_id", "organisation_id", "created_by_id", "series_id", "title", "purpose", "attendees",
             "quantity", "public", "start", "end", "status", "sequence", "exclusive", "override_reason",
             "decision_reason", "cancellation_reason", "created_at", "updated_at"}
    columns, attnames, defaults = _rows_columns(Booking, known, connection)
    first_member = world["first_member"]
    rng = random.Random(SEED + 1)
    sqlite = connection.vendor == "sqlite"

    def stamp(moment):
        return str(moment.replace(tzinfo=None)) if sqlite else moment

    def rows():
        for resource, organisation_id, start, end, quantity, status in shapes:
            created = start - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
            values = {
                "resource_id": resource.pk, "organisation_id": organisation_id,
                "created_by_id": first_member[organisation_id], "series_id": None,
                "title": TITLES[rng.randrange(len(TITLES))], "purpose": "", "quantity": quantity,
                "attendees": min(resource.capacity or 1, rng.randint(1, 20)), "public": rng.random() < 0.3,
                "start": stamp(start), "end": stamp(end), "status": status,
                "sequence": 0 if status == "pending" else 1, "exclusive": resource.units == 1,
                "override_reason": "", "decision_reason": "", "created_at": stamp(created),
                "cancellation_reason": "Zmiana planów" if status == "cancelled" else "",
                "updated_at": stamp(created if status == "pending" else created + timedelta(days=1)),
            }
            values.update(defaults)
            yield tuple(values[name] for name in attnames)

    table = Booking._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    count = 0
    if sqlite:
        placeholders = ", ".join("%s" for _ in columns)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                           "AND sql IS NOT NULL", [table])
            indexes = cursor.fetchall()
            for name, _ in indexes:  # built once over the loaded rows instead of row by row
                cursor.execute(f'DROP INDEX "{name}"')
            batch = []
            for row in rows():
                batch.append(row)
                if len(batch) == 50_000:
                    cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", batch)
                count += len(batch)
            for _, definition in indexes:
                cursor.execute(definition)
        return count
    # One transaction: should anything fail, the indexes and the constraint come back with the rollback.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # foreign keys checked by COPY itself, not at commit
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")  # index builds sort in memory, even at 10M
        rebuild = _drop_secondary_indexes(cursor, table)
        with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows():
                copy.write_row(row)
                count += 1
        for statement in rebuild:
            cursor.execute(statement)
    return count


def _drop_secondary_indexes(cursor, table):
    """Drop the booking table's indexes and exclusion constraint but its key; return the SQL rebuilding them.

    Building them once over the loaded rows is much faster than updating them row by row, and re-adding
    the exclusion constraint verifies that no two active bookings of a single-unit resource overlap.
    """
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'x'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN (
               SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'x'))""",
        [table, table],
    )
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints
    ]


def _give_feed_organisation_its_events(world, anchor, connection):
    """The feed organisation takes over FEED_EVENTS active bookings ahead (fewer if the dataset is small)."""
    from django.db.models import F
    from django.db.models.functions import Mod

    from booking.models import Booking

    organisation = world["organisations"][0]
    now = datetime.combine(anchor, time(0), tzinfo=WARSAW)
    chosen = (Booking.objects.filter(status__in=["pending", "confirmed"], start__gte=now)
              .order_by(Mod(F("id") * 7919, 100003)).values("pk")[:FEED_EVENTS])
    Booking.objects.filter(pk__in=chosen).update(
        organisation_id=organisation.pk, created_by_id=world["first_member"][organisation.pk],
    )


def main():
    from bench.common import run_per_size

    return run_per_size("bench.data", lambda n: None)


if __name__ == "__main__":
    raise SystemExit(main())
