"""Pages for everyone: centres, resources and their week and month calendars, the search for a free room."""
from datetime import date, timedelta

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from booking.exceptions import RuleViolation
from booking.feeds import public_events_feed_url, resource_feed_url, webcal_url
from booking.localtime import check_week_in_range, local_midnight, monday_of, week_bounds
from booking.models import Centre, Closure, Resource
from booking.search import free_rooms
from booking.selectors import OccupancyAccess, title_visibility, upcoming_public_events
from config.replicas import replica_reads

from ..forms import FreeRoomForm
from ..month import MonthBuilder, first_of_next_month
from ..week import LOCAL_INPUT_FORMAT, WeekBuilder

KIND_ORDER = [Resource.Kind.ROOM, Resource.Kind.DESK, Resource.Kind.EQUIPMENT, Resource.Kind.LOCKER,
              Resource.Kind.ACCOMMODATION]


# Resources with a week and a month page: everything but the consultants' agendas, which are booked as consultations.
ROOMS = Resource.objects.exclude(kind=Resource.Kind.CONSULTANT)


def _in_kind_order(resources):
    """Rooms first, then desks, equipment, lockers and beds; by name within a kind."""
    return sorted(resources, key=lambda r: (KIND_ORDER.index(r.kind) if r.kind in KIND_ORDER else 99, r.name))


def home(request):
    centres = Centre.objects.prefetch_related("opening_hours").annotate(
        resource_count=Count("resources", filter=Q(resources__is_active=True)
                             & ~Q(resources__kind=Resource.Kind.CONSULTANT)))
    return render(request, "web/home.html", {"centres": centres})


def centre_detail(request, pk):
    centre = get_object_or_404(Centre.objects.prefetch_related("opening_hours"), pk=pk)
    resources = _in_kind_order(centre.resources.filter(is_active=True).exclude(kind=Resource.Kind.CONSULTANT))
    return render(request, "web/centre_detail.html", {"centre": centre, "resources": resources})


def _week_start(request, tz):
    """The Monday of the week asked for (`?date=`), or of this week: also, with a message, for a week outside the
    service's calendar (a typed year 9999 or 1)."""
    this_week = monday_of(timezone.now().astimezone(tz).date())
    try:
        monday = monday_of(date.fromisoformat(request.GET.get("date", "")))
    except ValueError:
        return this_week
    try:
        check_week_in_range(monday, tz)
    except RuleViolation:
        messages.warning(request, _("The calendar covers the years 1970 to 2999. This is the current week."))
        return this_week
    return monday


def _week_context(request, centre, monday):
    today = timezone.now().astimezone(centre.tz).date()
    return {
        "centre": centre,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_week": (monday - timedelta(days=7)).isoformat(),
        "next_week": (monday + timedelta(days=7)).isoformat(),
        "this_week": monday_of(today).isoformat(),
        "is_this_week": monday == monday_of(today),
    }


def _centre_closures(centre, monday):
    """The centre's closures touching the week (and the next two days, for the last check-out)."""
    start, _end = week_bounds(monday, centre.tz)
    end = local_midnight(monday + timedelta(days=9), centre.tz)
    return list(Closure.objects.filter(centre=centre, start__lt=end, end__gt=start))


@replica_reads
def resource_week(request, pk):
    resource = get_object_or_404(
        ROOMS.select_related("centre").prefetch_related("centre__opening_hours"), pk=pk, is_active=True)
    centre = resource.centre
    monday = _week_start(request, centre.tz)
    occupancy_visible = OccupancyAccess(request.user)(resource)
    days = WeekBuilder(resource, monday, title_visible=title_visibility(request.user),
                       hours=list(centre.opening_hours.all()), closures=_centre_closures(centre, monday),
                       occupancy_visible=occupancy_visible).days()
    context = _week_context(request, centre, monday)
    context.update({"resource": resource, "days": days, "occupancy_visible": occupancy_visible})
    if resource.occupancy_public:
        feed_url = resource_feed_url(resource)
        context.update({"feed_url": feed_url, "feed_webcal": webcal_url(feed_url)})
    return render(request, "web/resource_week.html", context)


@replica_reads
def centre_week(request, pk):
    centre = get_object_or_404(Centre.objects.prefetch_related("opening_hours"), pk=pk)
    monday = _week_start(request, centre.tz)
    hours = list(centre.opening_hours.all())
    closures = _centre_closures(centre, monday)
    visible = title_visibility(request.user)
    occupancy_visible = OccupancyAccess(request.user)
    resources = _in_kind_order(centre.resources.filter(is_active=True).exclude(kind=Resource.Kind.CONSULTANT))
    weeks = []
    for resource in resources:
        resource.centre = centre  # share the prefetched hours instead of loading the centre again
        weeks.append((resource, WeekBuilder(resource, monday, title_visible=visible, hours=hours, closures=closures,
                                            occupancy_visible=occupancy_visible(resource)).days(merge_free=True)))
    chosen = _chosen_day(request, monday, centre.tz)
    days = [
        {"date": monday + timedelta(days=offset), "is_today": weeks[0][1][offset].is_today if weeks else False,
         "is_chosen": monday + timedelta(days=offset) == chosen,
         "rows": [(resource, week[offset]) for resource, week in weeks]}
        for offset in range(7)
    ]
    context = _week_context(request, centre, monday)
    context.update({"days": days, "resources": resources})
    return render(request, "web/centre_week.html", context)


def _chosen_day(request, monday, tz):
    """The day a phone shows of the week (it shows one at a time): the day asked for (`?date=`), else today, else
    the Monday, whichever falls in the week."""
    try:
        asked = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        asked = None
    for day in (asked, timezone.now().astimezone(tz).date()):
        if day is not None and monday <= day < monday + timedelta(days=7):
            return day
    return monday


def _month_start(request, tz):
    """The first day of the month asked for (`?month=2026-05`), or of this month."""
    try:
        first = date.fromisoformat(f"{request.GET.get('month', '')}-01")
    except ValueError:
        first = None
    if first is None or not date(2000, 1, 1) <= first <= date(2099, 12, 1):
        first = timezone.now().astimezone(tz).date().replace(day=1)
    return first


def resource_month(request, pk):
    resource = get_object_or_404(
        ROOMS.select_related("centre").prefetch_related("centre__opening_hours"), pk=pk, is_active=True)
    centre = resource.centre
    first = _month_start(request, centre.tz)
    following = first_of_next_month(first)
    # to the day after the month: a night starting on its last day ends then
    start, end = local_midnight(first, centre.tz), local_midnight(following + timedelta(days=1), centre.tz)
    closures = list(Closure.objects.filter(centre=centre, start__lt=end, end__gt=start))
    occupancy_visible = OccupancyAccess(request.user)(resource)
    weeks = MonthBuilder(resource, first, hours=list(centre.opening_hours.all()), closures=closures,
                         occupancy_visible=occupancy_visible).weeks()
    today = timezone.now().astimezone(centre.tz).date()
    is_this_month = first == today.replace(day=1)
    return render(request, "web/resource_month.html", {
        "resource": resource, "centre": centre, "first": first, "weeks": weeks,
        "weekdays": [monday_of(first) + timedelta(days=offset) for offset in range(7)],
        "occupancy_visible": occupancy_visible,
        "previous_month": f"{(first - timedelta(days=1)):%Y-%m}", "next_month": f"{following:%Y-%m}",
        "this_month": f"{today:%Y-%m}", "is_this_month": is_this_month,
        "week_date": (today if is_this_month else first).isoformat(),
    })


def free_room_search(request):
    """Which rooms of a centre are free on a day from one time to another for a number of people."""
    centres = Centre.objects.order_by("name")
    if "date" not in request.GET:
        form = FreeRoomForm(initial={"centre": request.GET.get("centre"), "date": timezone.localdate()},
                            centres=centres)
        return render(request, "web/free_rooms.html", {"form": form})
    form = FreeRoomForm(request.GET, centres=centres)
    if not form.is_valid():
        return render(request, "web/free_rooms.html", {"form": form}, status=400)
    data = form.cleaned_data
    found = free_rooms(actor=request.user, centre=data["centre"], start=data["start"], end=data["end"],
                       people=data["people"])
    booking_query = urlencode({"start": data["start"].strftime(LOCAL_INPUT_FORMAT),
                               "end": data["end"].strftime(LOCAL_INPUT_FORMAT), "exact": 1,
                               "attendees": data["people"]})
    return render(request, "web/free_rooms.html", {
        "form": form, "searched": data, "found": found, "booking_query": booking_query})


def public_agenda(request, pk):
    """The centre's open events ahead, by day, with the organisations' names; links to its calendar and news feeds."""
    centre = get_object_or_404(Centre, pk=pk)
    tz = centre.tz
    days = {}
    for booking in upcoming_public_events(centre, now=timezone.now()):
        days.setdefault(booking.start.astimezone(tz).date(), []).append(booking)
    feed_url = public_events_feed_url(centre)
    return render(request, "web/public_agenda.html", {
        "centre": centre, "days": list(days.items()), "feed_url": feed_url, "feed_webcal": webcal_url(feed_url),
    })
