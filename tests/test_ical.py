"""Bookings rendered as iCalendar, read back by two independent parsers: `icalendar` and the strict `ical`."""
from datetime import date, datetime, time, timedelta

import icalendar
import pytest
from django.conf import settings
from django.utils import timezone, translation
from ical.calendar_stream import IcsCalendarStream

from booking.ical import booking_event, bookings_calendar, feed_ics, invitation, occupied_title
from booking.models import BookingStatus, Resource
from booking.services import approve_booking, cancel_booking
from tests.factories import WARSAW, at, make_booking, make_resource

POLISH_TITLE = "Warsztaty kulinarne „Żurek i pierogi” – Koło Gospodyń Wiejskich z Chorzowa"
POLISH_PURPOSE = (
    "Wspólne gotowanie dla seniorów: żurek śląski, pierogi z kapustą i grzybami, kluski śląskie z modrą "
    "kapustą. Zajęcia prowadzi pani Jadwiga Łęcka; uczestnicy przynoszą fartuchy, pojemniki na resztki "
    "i dobry humor. Zapisy w świetlicy do środy, ilość miejsc ograniczona (12 osób)."
)


def parse(ics: bytes):
    """Both parsers' view of a calendar, after checking the content lines are folded to 75 octets."""
    lines = ics.split(b"\r\n")
    assert lines[-1] == b"", "the calendar ends with CRLF"
    too_long = [line for line in lines if len(line) > 75]
    assert not too_long, too_long
    loose = icalendar.Calendar.from_ical(ics)
    strict = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8"))
    return loose, strict


def events_of(ics: bytes) -> dict:
    """{uid: (summary, start, end, status, sequence)} as both parsers read them; they must agree."""
    loose, strict = parse(ics)
    from_loose = {
        str(event["UID"]): (str(event["SUMMARY"]), event.start, event.end, str(event["STATUS"]),
                            int(event["SEQUENCE"]))
        for event in loose.walk("VEVENT")
    }
    from_strict = {
        event.uid: (event.summary, event.dtstart, event.dtend, event.status.value, event.sequence)
        for event in strict.events
    }
    assert from_loose == from_strict
    return from_loose


def local(moment):
    """Wall-clock time and UTC offset, as the calendar shows them."""
    return moment.replace(tzinfo=None), moment.utcoffset()


def next_dst_change(after: date) -> date:
    """The next Sunday on which Poland changes its clocks."""
    day = after
    while datetime.combine(day, time(0), WARSAW).utcoffset() == datetime.combine(
            day + timedelta(days=1), time(0), WARSAW).utcoffset():
        day += timedelta(days=1)
    return day


def render(bookings, **options):
    with translation.override("en"):
        return feed_ics(bookings, name="Kalendarz Centrum", time_zone="Europe/Warsaw", **options)


@pytest.fixture
def dst_sunday():
    return next_dst_change(date.today() + timedelta(days=7))


def test_times_around_a_clock_change_keep_their_local_wall_time(staff_user, room, organisation, centre, dst_sunday):
    friday, monday = dst_sunday - timedelta(days=2), dst_sunday + timedelta(days=1)
    override = {"override_reason": "Zmiana czasu"}  # staff set the rules aside: holidays fall around the changes
    before = make_booking(actor=staff_user, resource=room, organisation=organisation, day=friday, hour=10, hours=2,
                          **override)
    after = make_booking(actor=staff_user, resource=room, organisation=organisation, day=monday, hour=10, hours=2,
                         **override)
    across = make_booking(actor=staff_user, resource=room, organisation=organisation, day=dst_sunday, hour=1, hours=3,
                          title="Noc", **override)

    ics = render([before, after, across])
    events = events_of(ics)

    offset_before, offset_after = at(friday, 12).utcoffset(), at(monday, 12).utcoffset()
    assert offset_before != offset_after
    for booking, day, (start_hour, end_hour) in ((before, friday, (10, 12)), (after, monday, (10, 12)),
                                                 (across, dst_sunday, (1, 4))):
        _summary, start, end, _status, _sequence = events[f"booking-{booking.pk}@127.0.0.1"]
        assert (start, end) == (booking.start, booking.end)  # the same instants
        assert local(start)[0] == datetime.combine(day, time(start_hour))
        assert local(end)[0] == datetime.combine(day, time(end_hour))
        assert f"DTSTART;TZID=Europe/Warsaw:{day:%Y%m%d}T{start_hour:02d}0000".encode() in ics
    assert local(events[f"booking-{before.pk}@127.0.0.1"][1])[1] == offset_before
    assert local(events[f"booking-{after.pk}@127.0.0.1"][1])[1] == offset_after
    # 01:00 to 04:00 on the night of the change lasts two hours in spring, four in autumn.
    assert across.end - across.start == timedelta(hours=3) + (offset_before - offset_after)

    # The VTIMEZONE itself (not the parsers' own zone database) holds the change.
    _loose, strict = parse(ics)
    (vtimezone,) = strict.timezones
    assert vtimezone.tz_id == "Europe/Warsaw"
    changes = [(observance.dtstart.date(), observance.tz_offset_from.offset, observance.tz_offset_to.offset)
               for observance in vtimezone.standard + vtimezone.daylight]
    assert (dst_sunday, offset_before, offset_after) in changes


def test_whole_day_bookings_are_all_day_events(staff_user, centre, organisation, dst_sunday):
    locker = make_resource(centre, kind=Resource.Kind.LOCKER, name="Szafka 7")
    saturday, monday = dst_sunday - timedelta(days=1), dst_sunday + timedelta(days=1)
    booking = make_booking(actor=staff_user, resource=locker, organisation=organisation, start=at(saturday, 0),
                           end=at(monday, 0), title="Szafka na materiały", override_reason="Test")

    ics = render([booking])

    assert events_of(ics) == {
        f"booking-{booking.pk}@127.0.0.1": ("Szafka na materiały", saturday, monday, "TENTATIVE", 0),
    }
    assert f"DTSTART;VALUE=DATE:{saturday:%Y%m%d}".encode() in ics
    assert f"DTEND;VALUE=DATE:{monday:%Y%m%d}".encode() in ics


def test_stays_run_from_check_in_to_check_out_with_their_nights(staff_user, centre, organisation, dst_sunday):
    dormitory = make_resource(centre, kind=Resource.Kind.ACCOMMODATION, name="Pokój 3", units=4)
    friday, monday = dst_sunday - timedelta(days=2), dst_sunday + timedelta(days=1)
    booking = make_booking(actor=staff_user, resource=dormitory, organisation=organisation, start=at(friday, 15),
                           end=at(monday, 10), title="Obóz szkoleniowy", quantity=2, override_reason="Test")

    events = events_of(render([booking]))

    summary, start, end, _status, _sequence = events[f"booking-{booking.pk}@127.0.0.1"]
    assert summary == "Obóz szkoleniowy (3 nights)"
    assert local(start)[0] == datetime.combine(friday, time(15))
    assert local(end)[0] == datetime.combine(monday, time(10))
    assert (start, end) == (booking.start, booking.end)


def test_event_carries_polish_text_intact_and_folded(member, room, organisation, open_day):
    booking = make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10, hours=2,
                           title=POLISH_TITLE, purpose=POLISH_PURPOSE)

    ics = render([booking])
    loose, strict = parse(ics)

    assert b"\r\n " in ics, "long lines are folded"
    (loose_event,), (strict_event,) = loose.walk("VEVENT"), strict.events
    for summary, description, location, url in (
        (str(loose_event["SUMMARY"]), str(loose_event["DESCRIPTION"]), str(loose_event["LOCATION"]),
         str(loose_event["URL"])),
        (strict_event.summary, strict_event.description, strict_event.location, strict_event.url),
    ):
        assert summary == POLISH_TITLE
        assert description.splitlines() == [
            f"Purpose: {POLISH_PURPOSE}",
            "Organisation: Stowarzyszenie Aktywni Seniorzy",
            "Booked by: Jan Kowalski",
            "Status: Awaiting approval",
            f"Details: {settings.SITE_URL}/en/resources/{room.pk}/?date={open_day.isoformat()}",
        ]
        assert location == "Sala spotkań, Centrum Aktywizacji Społecznej, ul. Powstańców 70/3, 41-500 Chorzów"
        assert url == f"{settings.SITE_URL}/en/resources/{room.pk}/?date={open_day.isoformat()}"
    assert strict_event.dtstamp is not None
    assert strict_event.last_modified == booking.updated_at.replace(microsecond=0)


def test_status_and_sequence_follow_the_booking(member, staff_user, room, organisation, open_day):
    approved = make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10,
                            title="Zebranie")
    cancelled = make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=12,
                             title="Próba chóru")
    uid_approved, uid_cancelled = (f"booking-{b.pk}@127.0.0.1" for b in (approved, cancelled))
    first = events_of(render([approved, cancelled]))
    assert [first[uid][3:] for uid in (uid_approved, uid_cancelled)] == [("TENTATIVE", 0), ("TENTATIVE", 0)]

    approved = approve_booking(booking=approved, actor=staff_user)
    cancelled = cancel_booking(booking=cancelled, actor=member, reason="Choroba prowadzącej")
    second = events_of(render([approved, cancelled]))

    assert set(second) == set(first), "the same UIDs, so calendars update the events"
    assert second[uid_approved][3:] == ("CONFIRMED", 1)
    assert second[uid_cancelled][3:] == ("CANCELLED", 1)


def test_calendar_properties_for_subscribers(member, room, organisation, open_day):
    booking = make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10, hours=2)

    ics = render([booking])
    loose, strict = parse(ics)

    lines = ics.decode().split("\r\n")
    for line in ("VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Kalendarz Centrum",
                 "X-WR-TIMEZONE:Europe/Warsaw", "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"):
        assert line in lines
    assert str(loose["PRODID"]).startswith("-//")
    assert strict.refresh_interval == timedelta(hours=1)
    assert strict.method == "PUBLISH" and strict.x_wr_timezone == "Europe/Warsaw"
    assert [tz.tz_id for tz in strict.timezones] == ["Europe/Warsaw"]


def test_an_empty_calendar_is_still_valid():
    loose, strict = parse(render([]))

    assert list(loose.walk("VEVENT")) == [] and strict.events == []
    assert strict.method == "PUBLISH"


def test_public_view_shows_titles_only_of_public_bookings(member, staff_user, centre, room, organisation,
                                                         open_day):
    dormitory = make_resource(centre, kind=Resource.Kind.ACCOMMODATION, name="Pokój 3", units=4,
                              requires_approval=False)
    private = make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10, hours=2,
                           title="Zebranie zarządu", purpose="Sprawy członkowskie")
    public = make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=13, hours=2,
                          title="Dzień otwarty", public=True)
    stay = make_booking(actor=staff_user, resource=dormitory, organisation=organisation, start=at(open_day, 15),
                        end=at(open_day + timedelta(days=1), 10), title="Nocleg trenerów", quantity=2,
                        override_reason="Check-out day may be a holiday")

    ics = render([private, public, stay], public=True)

    summaries = {uid: event[0] for uid, event in events_of(ics).items()}
    assert summaries == {
        f"booking-{private.pk}@127.0.0.1": "Booked",
        f"booking-{public.pk}@127.0.0.1": "Dzień otwarty",
        f"booking-{stay.pk}@127.0.0.1": "Booked (2 of 4) (1 night)",
    }
    for secret in ("Zebranie", "Sprawy", "Nocleg", "Kowalski", "Aktywni Seniorzy", "DESCRIPTION", "URL"):
        assert secret.encode() not in ics


def test_invitation_requests_and_cancels_the_same_event(member, room, organisation, open_day):
    booking = make_booking(actor=member, resource=room, organisation=organisation, day=open_day, hour=10, hours=2,
                           title=POLISH_TITLE)

    request = invitation(booking)
    booking = cancel_booking(booking=booking, actor=member)
    cancel = invitation(booking, cancel=True)

    (requested,) = parse(request)[1].events
    (cancelled,) = parse(cancel)[1].events
    assert parse(request)[1].method == "REQUEST" and parse(cancel)[1].method == "CANCEL"
    assert requested.uid == cancelled.uid
    assert (requested.status.value, requested.sequence) == ("TENTATIVE", 0)
    assert (cancelled.status.value, cancelled.sequence) == ("CANCELLED", 1)
    assert requested.summary == POLISH_TITLE
    assert requested.organizer.uri == "mailto:centrum@example.org"
    assert [attendee.uri for attendee in requested.attendees] == ["mailto:jan@example.org"]
    assert booking.status == BookingStatus.CANCELLED


def icalendar_feed(bookings, *, public=False, organisers=False, stamp, window):
    """The feed as `icalendar` builds it, from its `Event`s: how feeds were rendered before `feed_ics`."""
    events = []
    for booking in bookings:
        if not public:
            events.append(booking_event(booking, stamp=stamp))
            continue
        event = booking_event(booking, title=booking.title if booking.public else occupied_title(booking),
                              stamp=stamp, details=False)
        if organisers and booking.public:
            event.add("DESCRIPTION", f"Organisation: {booking.organisation.name}")
        events.append(event)
    calendar = bookings_calendar(events, name="Kalendarz Centrum", window=window)
    calendar.add("X-WR-TIMEZONE", "Europe/Warsaw")
    calendar.refresh_interval = timedelta(hours=1)
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    calendar.add("X-PUBLISHED-TTL", icalendar.vDuration(timedelta(hours=1)))
    return calendar.to_ical()


@pytest.mark.parametrize("view", ["members", "occupancy", "public events"])
def test_a_feed_is_byte_for_byte_what_icalendar_writes(view, member, staff_user, centre, room, organisation,
                                                      dst_sunday):
    """`feed_ics` writes events as text; `icalendar` reads them back, and would have written the same bytes."""
    friday, monday = dst_sunday - timedelta(days=2), dst_sunday + timedelta(days=1)
    locker = make_resource(centre, kind=Resource.Kind.LOCKER, name="Szafka 7")
    hostel = make_resource(centre, kind=Resource.Kind.ACCOMMODATION, name="Pokój 3", units=4,
                           requires_approval=False)
    override = {"override_reason": "Test"}
    bookings = [
        make_booking(actor=staff_user, resource=room, organisation=organisation, day=friday, hour=10,
                     title=POLISH_TITLE, purpose=POLISH_PURPOSE, public=True, **override),
        make_booking(actor=staff_user, resource=room, organisation=organisation, day=monday, hour=9,
                     title="Zebranie; budżet, plan \\ rok 2027 ^ " + "x" * 60, purpose="a\\" * 40, **override),
        make_booking(actor=staff_user, resource=locker, organisation=organisation, start=at(friday, 0),
                     end=at(monday, 0), title="Szafka na materiały", **override),
        make_booking(actor=staff_user, resource=hostel, organisation=organisation, start=at(friday, 15),
                     end=at(monday, 10), title="Nocleg trenerów", quantity=3, public=True, **override),
    ]
    cancel_booking(booking=bookings[1], actor=staff_user, reason="Test")
    for booking in bookings:
        booking.refresh_from_db()
    public, organisers = view != "members", view == "public events"
    stamp = timezone.now()
    window = (dst_sunday - timedelta(days=90), dst_sunday + timedelta(days=700))

    with translation.override("en"):
        written = feed_ics(bookings, name="Kalendarz Centrum", time_zone="Europe/Warsaw", window=window,
                           public=public, organisers=organisers, stamp=stamp)
        built = icalendar_feed(bookings, public=public, organisers=organisers, stamp=stamp, window=window)

    assert written == built
    assert len(events_of(written)) == 4
