"""Finding a free resource: which resources are free for the whole of a given time.

The API's `available_from`/`available_to` filter and the "find a free room" page ask `free_throughout`, so both
count opening hours, closures, buffers and units alike, and both answer only about resources whose occupancy the
asker may see (whether a resource is free tells when it is busy: `selectors.OccupancyAccess`).
"""
from dataclasses import dataclass

from django.utils import timezone

from .availability import resources_free_throughout
from .exceptions import RuleViolation
from .models import Closure, OpeningHours, Resource
from .rules import check_time_for_anyone
from .selectors import OccupancyAccess


def free_throughout(*, actor, resources, start, end):
    """`resources` (a queryset) narrowed to those with a unit free for the whole of [start, end) that `actor` may
    see the occupancy of."""
    searched = OccupancyAccess(actor).filter(resources)
    return resources.filter(pk__in=resources_free_throughout(searched, start, end))


@dataclass(frozen=True)
class FreeResource:
    resource: Resource
    refusal: RuleViolation | None  # why exactly this time cannot be booked although it is free, or None


def free_rooms(*, actor, centre, start, end, people, now=None):
    """The active resources of `centre` booked by time (rooms, desks, equipment) for at least `people`, free for
    the whole of [start, end), the smallest first (large rooms stay free for large groups). Each comes with the
    rule that refuses booking exactly that time whoever books (alignment to slots, duration, notice), if one does.

    Costs the same few queries however many resources and bookings there are.
    """
    now = now or timezone.now()
    resources = Resource.objects.filter(centre=centre, is_active=True, booking_mode=Resource.BookingMode.SLOTS,
                                        capacity__gte=people)
    found = list(free_throughout(actor=actor, resources=resources, start=start, end=end)
                 .select_related("centre").order_by("capacity", "name", "pk"))
    if not found:
        return []
    hours = list(OpeningHours.objects.filter(centre=centre))
    closures = list(Closure.objects.filter(centre=centre, start__lt=end, end__gt=start))
    result = []
    for resource in found:
        try:
            check_time_for_anyone(resource, start, end, now, hours,
                                  [c for c in closures if c.resource_id in (None, resource.pk)])
        except RuleViolation as violation:
            result.append(FreeResource(resource, violation))
        else:
            result.append(FreeResource(resource, None))
    return result
