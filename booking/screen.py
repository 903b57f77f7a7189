"""The reception screen: a centre's day as a TV at the entrance shows it to anyone walking in.

Today's confirmed bookings of the centre's rooms whose occupancy it publishes, per room, with what is on now and
next; the opening hours of the day and what closes the centre or a room today. Each booking shows only its public
face (`selectors.public_face`): the organisation and title where the organisation made the booking public, else
neither. A pending request is not on the screen: it may not happen. Four queries, whatever the number of rooms or
bookings (the centre's hours, its rooms, their bookings, the closures).
"""
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from .availability import public_holiday
from .formatting import clock
from .localtime import day_bounds
from .models import Booking, BookingStatus, Centre, Closure, Resource
from .selectors import OccupancyAccess, public_face


@dataclass
class ScreenBooking:
    pk: int
    start: str  # "10:00", local; "00:00" for one begun before today
    end: str  # "24:00" for one going on after today
    title: str | None
    organisation: str | None
    now: bool
    over: bool


@dataclass
class ScreenRoom:
    pk: int
    name: str
    bookings: list[ScreenBooking] = field(default_factory=list)

    @property
    def current(self):
        return next((booking for booking in self.bookings if booking.now), None)

    @property
    def next(self):
        return next((booking for booking in self.bookings if not booking.now and not booking.over), None)


@dataclass
class ScreenClosure:
    reason: str
    room: str | None  # None: the whole centre
    start: str | None  # None: from before today
    end: str | None  # None: until after today


@dataclass
class ScreenDay:
    centre: Centre
    day: date
    hours: list[str]  # "07:00–18:00"; empty when closed all day
    holiday: str | None
    closures: list[ScreenClosure]
    rooms: list[ScreenRoom]


def screen_rooms(centre):
    """The rooms on the screen: the centre's active rooms whose occupancy anyone may see, by name."""
    rooms = Resource.objects.filter(centre=centre, kind=Resource.Kind.ROOM, is_active=True)
    return OccupancyAccess(AnonymousUser()).filter(rooms).order_by("name", "pk")


def screen_day(centre, *, now) -> ScreenDay:
    tz = centre.tz
    today = now.astimezone(tz).date()
    first, last = day_bounds(today, tz)
    holiday = public_holiday(centre, today)
    rooms = {room.pk: ScreenRoom(pk=room.pk, name=room.name) for room in screen_rooms(centre)}
    for booking in Booking.objects.filter(
            resource_id__in=list(rooms), status=BookingStatus.CONFIRMED, start__lt=last, end__gt=first,
    ).select_related("organisation").order_by("start", "pk"):
        title, organisation = public_face(booking)
        rooms[booking.resource_id].bookings.append(ScreenBooking(
            pk=booking.pk, start=clock(max(booking.start, first).astimezone(tz)),
            end=clock(booking.end.astimezone(tz)) if booking.end < last else "24:00",
            title=title, organisation=organisation,
            now=booking.start <= now < booking.end, over=booking.end <= now,
        ))
    closures = [
        ScreenClosure(reason=closure.reason, room=closure.resource.name if closure.resource_id else None,
                      start=clock(closure.start.astimezone(tz)) if closure.start > first else None,
                      end=clock(closure.end.astimezone(tz)) if closure.end < last else None)
        for closure in Closure.objects.filter(
            Q(resource__isnull=True) | Q(resource_id__in=list(rooms)), centre=centre, start__lt=last, end__gt=first,
        ).select_related("resource").order_by("start", "pk")
    ]
    closed_all_day = holiday or any(c.room is None and c.start is None and c.end is None for c in closures)
    hours = [] if closed_all_day else [
        f"{clock(row.opens)}–{clock(row.closes)}"
        for row in sorted(centre.opening_hours.all(), key=lambda row: row.opens) if row.weekday == today.weekday()
    ]
    return ScreenDay(centre=centre, day=today, hours=hours, holiday=holiday, closures=closures,
                     rooms=list(rooms.values()))
