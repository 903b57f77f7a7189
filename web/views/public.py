"""Pages for everyone: centres, resources and their week calendars."""
from datetime import date, timedelta

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.exceptions import RuleViolation
from booking.feeds import resource_feed_url, webcal_url
from booking.localtime import check_week_in_range, local_midnight, monday_of, week_bounds
from booking.models import Centre, Closure, Resource
from booking.selectors import OccupancyAccess, title_visibility

from ..week import WeekBuilder

KIND_ORDER = [Resource.Kind.ROOM, Resource.Kind.DESK, Resource.Kind.EQUIPMENT, Resource.Kind.LOCKER,
              Resource.Kind.ACCOMMODATION]


def _in_kind_order(resources):
    """Rooms first, then desks, equipment, lockers and beds; by name within a kind."""
    return sorted(resources, key=lambda r: (KIND_ORDER.index(r.kind) if r.kind in KIND_ORDER else 99, r.name))


def home(request):
    centres = Centre.objects.prefetch_related("opening_hours").annotate(
        resource_count=Count("resources", filter=Q(resources__is_active=True)))
    return render(request, "web/home.html", {"centres": centres})


def centre_detail(request, pk):
    centre = get_object_or_404(Centre.objects.prefetch_related("opening_hours"), pk=pk)
    resources = _in_kind_order(centre.resources.filter(is_active=True))
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


def resource_week(request, pk):
    resource = get_object_or_404(
        Resource.objects.select_related("centre").prefetch_related("centre__opening_hours"), pk=pk, is_active=True)
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


def centre_week(request, pk):
    centre = get_object_or_404(Centre.objects.prefetch_related("opening_hours"), pk=pk)
    monday = _week_start(request, centre.tz)
    hours = list(centre.opening_hours.all())
    closures = _centre_closures(centre, monday)
    visible = title_visibility(request.user)
    occupancy_visible = OccupancyAccess(request.user)
    resources = _in_kind_order(centre.resources.filter(is_active=True))
    weeks = []
    for resource in resources:
        resource.centre = centre  # share the prefetched hours instead of loading the centre again
        weeks.append((resource, WeekBuilder(resource, monday, title_visible=visible, hours=hours, closures=closures,
                                            occupancy_visible=occupancy_visible(resource)).days(merge_free=True)))
    days = [
        {"date": monday + timedelta(days=offset), "is_today": weeks[0][1][offset].is_today if weeks else False,
         "rows": [(resource, week[offset]) for resource, week in weeks]}
        for offset in range(7)
    ]
    context = _week_context(request, centre, monday)
    context.update({"days": days, "resources": resources})
    return render(request, "web/centre_week.html", context)
