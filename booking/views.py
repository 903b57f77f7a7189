"""Member and staff web pages. Each view reads input, calls a selector or a service, and renders the answer."""
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from ngo.models import Membership, Organisation
from ngo.selectors import can_manage_members, can_manage_organisations, can_remove_member, members_of
from ngo.services import add_member, register_organisation, remove_member, set_organisation_status

from .availability import resource_availability
from .exceptions import BookingConflict, RuleViolation
from .feeds import create_feed_token, resource_feed_url, revoke_feed_token, token_feed_url, webcal_url
from .forms import (AddMemberForm, BookingForm, CancelForm, ClosureForm, FeedForm, MemberRoleForm, OrganisationForm,
                    OrganisationStatusForm, RejectForm, UsageReportForm)
from .models import ACTIVE_STATUSES, Booking, BookingSeries, BookingStatus, Centre, Closure, FeedToken, Resource
from .reports import centre_usage, usage_file_name, write_usage_csv
from .selectors import (OccupancyAccess, approval_requests, is_centre_staff, is_member, member_organisation_ids,
                        requests_to_approve, staffed_centres, title_visibility, visible_bookings, visible_organisations,
                        visible_series)
from .series import (SeriesConflict, SeriesRuleViolation, approve_series, cancel_series, create_series,
                     meetings_to_cancel, reject_series)
from .services import (approve_booking, cancel_booking, create_booking, create_closure, delete_closure,
                       reject_booking)
from .templatetags.booking_extras import span_label
from .week import LOCAL_INPUT_FORMAT, WeekBuilder, local_midnight, monday_of, week_bounds

PAGE_SIZE = 25
KIND_ORDER = [Resource.Kind.ROOM, Resource.Kind.DESK, Resource.Kind.EQUIPMENT, Resource.Kind.LOCKER,
              Resource.Kind.ACCOMMODATION]


def _in_kind_order(resources):
    """Rooms first, then desks, equipment, lockers and beds; by name within a kind."""
    return sorted(resources, key=lambda r: (KIND_ORDER.index(r.kind) if r.kind in KIND_ORDER else 99, r.name))


# --- Public pages ---------------------------------------------------------------------------

def home(request):
    centres = Centre.objects.prefetch_related("opening_hours").annotate(
        resource_count=Count("resources", filter=Q(resources__is_active=True)))
    return render(request, "booking/home.html", {"centres": centres})


def centre_detail(request, pk):
    centre = get_object_or_404(Centre.objects.prefetch_related("opening_hours"), pk=pk)
    resources = _in_kind_order(centre.resources.filter(is_active=True))
    return render(request, "booking/centre_detail.html", {"centre": centre, "resources": resources})


def _week_start(request, tz):
    """The Monday of the week asked for (`?date=`), or of this week."""
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.now().astimezone(tz).date()
    return monday_of(day)


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
    return render(request, "booking/resource_week.html", context)


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
    return render(request, "booking/centre_week.html", context)


# --- Members --------------------------------------------------------------------------------

def _parse_local(value, tz):
    try:
        return datetime.strptime(value or "", LOCAL_INPUT_FORMAT).replace(tzinfo=tz)
    except ValueError:
        return None


def _default_interval(resource, start, end):
    """The times a clicked slot opens the form with: an hour or so, within the free time around the slot."""
    tz = resource.centre.tz
    if resource.booking_mode != Resource.BookingMode.SLOTS:
        return start, end
    wanted = max(resource.slot_length, resource.min_duration or timedelta(0), timedelta(hours=1))
    if resource.max_duration:
        wanted = min(wanted, resource.max_duration)
    day = local_midnight(start.date(), tz)
    free = resource_availability(resource, day, day + timedelta(days=1)).free
    around = next((interval for interval in free if interval.start <= start < interval.end), None)
    end = start + wanted
    if around:
        end = min(end, around.end.astimezone(tz))
    return start, max(end, start + resource.slot_length)


def _bookable_organisations(user, resource):
    if is_centre_staff(user, resource.centre):
        return Organisation.objects.filter(removed_at__isnull=True)
    return Organisation.objects.filter(pk__in=member_organisation_ids(user), removed_at__isnull=True)


@login_required
def booking_create(request, pk):
    resource = get_object_or_404(
        Resource.objects.select_related("centre").prefetch_related("centre__opening_hours"), pk=pk, is_active=True)
    centre = resource.centre
    organisations = _bookable_organisations(request.user, resource).order_by("name")
    context = {"resource": resource, "centre": centre}
    if not organisations.exists():
        return render(request, "booking/booking_form.html", context)
    if request.method == "POST":
        form = BookingForm(request.POST, resource=resource, organisations=organisations)
        if form.is_valid():
            data = form.cleaned_data
            try:
                booked = (_request_series if data.get("rrule") else _request_booking)(request, form, resource)
            except (SeriesRuleViolation, SeriesConflict) as refusal:
                form.refuse_series(refusal, _series_dates([], refusal.occurrences, centre.tz))
            except RuleViolation as violation:
                form.add_violation(violation)
            except BookingConflict as conflict:
                visible = title_visibility(request.user)
                form.conflict_message = conflict.message
                form.conflicts = [{"when": span_label(b.start, b.end, centre.tz), "title": b.title if visible(b) else None}
                                  for b in conflict.conflicts]
            else:
                if booked:
                    return redirect("booking:my_bookings")
    else:
        start = _parse_local(request.GET.get("start"), centre.tz)
        end = _parse_local(request.GET.get("end"), centre.tz)
        verified = [o for o in organisations if o.is_verified]
        initial = {"organisation": (verified or list(organisations))[0]}
        if start and end and start < end:
            initial.update(BookingForm.initial_for(resource, *_default_interval(resource, start, end)))
        form = BookingForm(initial=initial, resource=resource, organisations=organisations)
    context["form"] = form
    return render(request, "booking/booking_form.html", context)


def _request_booking(request, form, resource):
    data = form.cleaned_data
    booking = create_booking(
        user=request.user, resource=resource, organisation=data["organisation"], start=data["start"],
        end=data["end"], title=data["title"], purpose=data["purpose"], attendees=data["attendees"],
        quantity=data.get("quantity", 1), public=data["public"],
    )
    if booking.status == BookingStatus.PENDING:
        messages.success(request, _("Your request has been sent. The centre's staff will confirm it."))
    else:
        messages.success(request, _("Booked: %(title)s.") % {"title": booking.title})
    return True


def _request_series(request, form, resource):
    """Book the form's series, or on "Check the dates" only list them on the form; True once booked."""
    data = form.cleaned_data
    result = create_series(
        user=request.user, resource=resource, organisation=data["organisation"], start=data["start"],
        end=data["end"], rrule=data["rrule"], mode=data["mode"], title=data["title"], purpose=data["purpose"],
        attendees=data["attendees"], quantity=data.get("quantity", 1), public=data["public"],
        dry_run=form.checking,
    )
    if result.dry_run:
        form.series_dates = _series_dates(result.bookings, result.skipped, resource.centre.tz)
        form.series_refused = result.refused
        return False
    count = len(result.bookings)
    if result.bookings[0].status == BookingStatus.PENDING:
        sent = ngettext("Your request for %(count)d meeting has been sent. The centre's staff will confirm it.",
                        "Your request for %(count)d meetings has been sent. The centre's staff will confirm it.",
                        count)
    else:
        sent = ngettext("Booked: %(title)s, %(count)d meeting.", "Booked: %(title)s, %(count)d meetings.", count)
    messages.success(request, sent % {"count": count, "title": result.series.title})
    if result.skipped:
        skipped = " ".join(_("%(day)s: %(reason)s") % {"day": date_format(occurrence.start.astimezone(
            resource.centre.tz).date()), "reason": occurrence.message} for occurrence in result.skipped)
        messages.warning(request, ngettext("%(count)d date was skipped. %(dates)s",
                                           "%(count)d dates were skipped. %(dates)s",
                                           len(result.skipped)) % {"count": len(result.skipped), "dates": skipped})
    return True


def _series_dates(bookings, skipped, tz):
    """The dates of a checked or refused series in time order, each with why it cannot be booked ('' if it can)."""
    dates = [(booking.start, booking.end, "") for booking in bookings]
    dates += [(occurrence.start, occurrence.end, occurrence.message) for occurrence in skipped]
    return [{"when": span_label(start, end, tz), "refusal": refusal} for start, end, refusal in sorted(dates)]


@login_required
def my_bookings(request):
    now = timezone.now()
    bookings = Booking.objects.filter(organisation_id__in=member_organisation_ids(request.user)).select_related(
        "resource__centre", "organisation", "series")
    upcoming = Paginator(bookings.filter(end__gt=now).order_by("start", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    past = Paginator(bookings.filter(end__lte=now).order_by("-start", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("past_page"))
    for booking in [*upcoming, *past]:
        booking.can_cancel = booking.status in ACTIVE_STATUSES and booking.start > now
    return render(request, "booking/my_bookings.html", {"upcoming": upcoming, "past": past})


@login_required
def booking_cancel(request, pk):
    booking = get_object_or_404(visible_bookings(request.user).select_related("resource__centre", "organisation"),
                                pk=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_booking(booking=booking, user=request.user, reason=form.cleaned_data["reason"])
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            messages.success(request, _("The booking “%(title)s” is cancelled.") % {"title": booking.title})
            if not is_member(request.user, booking.organisation):
                return redirect("booking:approval_queue")  # staff cancelling another organisation's booking
            return redirect("booking:my_bookings")
    can_cancel = booking.status in ACTIVE_STATUSES
    return render(request, "booking/booking_cancel.html", {"booking": booking, "form": form,
                                                           "can_cancel": can_cancel,
                                                           "centre": booking.resource.centre})


@login_required
def booking_cancel_following(request, pk):
    """Cancel a meeting of a series and the later ones, after showing which (the series from this meeting's date)."""
    booking = get_object_or_404(visible_bookings(request.user).filter(series__isnull=False).select_related(
        "resource__centre", "organisation", "series__resource__centre"), pk=pk)
    series, centre = booking.series, booking.resource.centre
    from_date = booking.start.astimezone(centre.tz).date()
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = cancel_series(series=series, user=request.user, reason=form.cleaned_data["reason"],
                                      from_date=from_date)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            messages.success(request, ngettext(
                "%(count)d meeting of “%(title)s” is cancelled.", "%(count)d meetings of “%(title)s” are cancelled.",
                len(cancelled)) % {"count": len(cancelled), "title": series.title})
            if not is_member(request.user, booking.organisation):
                return redirect("booking:approval_queue")
            return redirect("booking:my_bookings")
    meetings = list(meetings_to_cancel(series, from_date=from_date).select_related("resource__centre"))
    return render(request, "booking/series_cancel.html", {"booking": booking, "series": series, "form": form,
                                                          "meetings": meetings, "centre": centre})


def _feed_forms(request, data=None):
    organisations = Organisation.objects.filter(pk__in=member_organisation_ids(request.user)).order_by("name")
    return FeedForm(data, organisations=organisations, centres=staffed_centres(request.user).order_by("name"))


@login_required
def feeds(request):
    form = _feed_forms(request, request.POST or None)
    new_feed = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            feed, raw_token = create_feed_token(owner=request.user, scope=data["scope"],
                                                organisation=data["organisation"], centre=data["centre"],
                                                name=data["name"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            url = token_feed_url(raw_token)
            new_feed = {"feed": feed, "url": url, "webcal": webcal_url(url)}
            form = _feed_forms(request)
    active = FeedToken.objects.filter(owner=request.user, revoked_at__isnull=True).select_related(
        "organisation", "centre")
    return render(request, "booking/feeds.html", {"form": form, "feeds": active, "new_feed": new_feed})


@login_required
@require_POST
def feed_revoke(request, pk):
    feed = get_object_or_404(FeedToken, pk=pk, owner=request.user, revoked_at__isnull=True)
    revoke_feed_token(feed=feed, user=request.user)
    messages.success(request, _("The calendar address “%(name)s” no longer works.") % {"name": feed})
    return redirect("booking:feeds")


@login_required
def organisations(request):
    memberships = Membership.objects.filter(user=request.user).select_related("organisation").order_by(
        "organisation__name")
    return render(request, "booking/organisations.html", {"memberships": memberships})


@login_required
def organisation_register(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = register_organisation(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s is registered. The centre's staff will verify it.")
                             % {"name": organisation.name})
            return redirect("booking:organisations")
    return render(request, "booking/organisation_register.html", {"form": form})


def _organisation_of_member(request, pk):
    """An organisation the user belongs to, or any for centre staff; others get a 404."""
    return get_object_or_404(visible_organisations(request.user), pk=pk)


def _require_member_management(user, organisation):
    if not can_manage_members(user, organisation):
        raise PermissionDenied(_("Only the organisation's coordinators manage its members."))


def _name(person):
    return person.get_full_name() or person.username


def _now_message(person, organisation, role):
    if role == Membership.Role.COORDINATOR:
        text = _("%(person)s is now a coordinator of %(organisation)s.")
    else:
        text = _("%(person)s is now a member of %(organisation)s.")
    return text % {"person": _name(person), "organisation": organisation.name}


def _render_members(request, organisation, form=None, errors=None, status=200):
    """The members page; `errors` holds a refusal to show on a member's card, by user id."""
    can_manage = can_manage_members(request.user, organisation)
    memberships = list(members_of(organisation))
    errors = errors or {}
    for membership in memberships:
        membership.error = errors.get(membership.user_id, "")
    own = next((m for m in memberships if m.user_id == request.user.pk), None)
    return render(request, "booking/organisation_members.html", {
        "organisation": organisation, "memberships": memberships, "own": own, "can_manage": can_manage,
        "form": form or (AddMemberForm() if can_manage else None),
    }, status=status)


@login_required
def organisation_members(request, pk):
    """Who belongs to the organisation; its coordinators (and centre staff) add people here."""
    organisation = _organisation_of_member(request, pk)
    if request.method != "POST":
        return _render_members(request, organisation)
    _require_member_management(request.user, organisation)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        return _render_members(request, organisation, form=form, status=400)
    person, role = form.cleaned_data["person"], form.cleaned_data["role"]
    previous_role = organisation.memberships.filter(user=person).values_list("role", flat=True).first()
    try:
        add_member(organisation=organisation, actor=request.user, user=person, role=role)
    except ValidationError as refusal:
        form.add_error("person", refusal.messages)
        return _render_members(request, organisation, form=form, status=400)
    if previous_role == role:
        messages.info(request, _("%(person)s already belongs to %(organisation)s with this role. Nothing has "
                                 "changed.") % {"person": _name(person), "organisation": organisation.name})
    else:
        messages.success(request, _now_message(person, organisation, role))
    return redirect("booking:organisation_members", organisation.pk)


@login_required
@require_POST
def member_set_role(request, pk, user_id):
    organisation = _organisation_of_member(request, pk)
    membership = get_object_or_404(organisation.memberships.select_related("user"), user_id=user_id)
    _require_member_management(request.user, organisation)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return _render_members(request, organisation, errors={membership.user_id: _("Choose a role.")}, status=400)
    role = form.cleaned_data["role"]
    try:
        add_member(organisation=organisation, actor=request.user, user=membership.user, role=role)
    except ValidationError as refusal:
        return _render_members(request, organisation, errors={membership.user_id: " ".join(refusal.messages)},
                               status=400)
    messages.success(request, _now_message(membership.user, organisation, role))
    return redirect("booking:organisation_members", organisation.pk)


@login_required
def member_remove(request, pk, user_id):
    """Remove a member, or leave the organisation, after a confirmation page."""
    organisation = _organisation_of_member(request, pk)
    membership = get_object_or_404(organisation.memberships.select_related("user", "organisation"), user_id=user_id)
    if not can_remove_member(request.user, membership):
        raise PermissionDenied(_("Only the organisation's coordinators manage its members."))
    leaving = membership.user_id == request.user.pk
    error = ""
    if request.method == "POST":
        try:
            remove_member(membership=membership, actor=request.user)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            if leaving:
                messages.success(request, _("You have left %(organisation)s.") % {"organisation": organisation.name})
                return redirect("booking:organisations")
            messages.success(request, _("%(person)s no longer belongs to %(organisation)s.") % {
                "person": _name(membership.user), "organisation": organisation.name})
            return redirect("booking:organisation_members", organisation.pk)
    return render(request, "booking/member_remove.html", {
        "organisation": organisation, "membership": membership, "leaving": leaving, "error": error,
    }, status=400 if error else 200)


# --- Staff ----------------------------------------------------------------------------------

def _require_centre_staff(user):
    centres = staffed_centres(user)
    if not centres.exists():
        raise PermissionDenied(_("This page is for the centre's staff."))
    return centres


def _other_bookings_that_week(user, pending):
    """For each pending request, its organisation's other active bookings in the same local week (one query)."""
    weeks = {}
    condition = Q(pk__in=[])
    for booking in pending:
        tz = booking.resource.centre.tz
        weeks[booking.pk] = week_bounds(monday_of(booking.start.astimezone(tz).date()), tz)
        start, end = weeks[booking.pk]
        condition |= Q(organisation_id=booking.organisation_id, start__lt=end, end__gt=start)
    others = list(visible_bookings(user).filter(condition, status__in=ACTIVE_STATUSES)
                  .select_related("resource__centre").order_by("start"))
    for booking in pending:
        start, end = weeks[booking.pk]
        booking.others_that_week = [other for other in others if other.pk != booking.pk
                                    and other.organisation_id == booking.organisation_id
                                    and other.start < end and other.end > start]


def _render_queue(request, reject_errors=None, status=200):
    """The queue; `reject_errors` maps (Booking or BookingSeries, pk) to the error next to its reason field."""
    centres = _require_centre_staff(request.user)
    page = Paginator(approval_requests(centres), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = requests_to_approve(page.object_list)
    _other_bookings_that_week(request.user, [item for item in page.object_list if isinstance(item, Booking)])
    reject_errors = reject_errors or {}
    for item in page.object_list:
        item.is_series = isinstance(item, BookingSeries)
        item.reject_error = reject_errors.get((type(item), item.pk), "")
    return render(request, "booking/approval_queue.html", {"page": page}, status=status)


@login_required
def approval_queue(request):
    return _render_queue(request)


def _staff_booking(request, pk):
    _require_centre_staff(request.user)
    return get_object_or_404(visible_bookings(request.user).select_related("resource__centre", "organisation"), pk=pk)


@login_required
@require_POST
def booking_approve(request, pk):
    booking = _staff_booking(request, pk)
    try:
        approve_booking(booking=booking, user=request.user)
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, _("Approved: “%(title)s”, %(organisation)s, %(when)s.") % {
            "title": booking.title, "organisation": booking.organisation,
            "when": span_label(booking.start, booking.end, booking.resource.centre.tz)})
    return redirect("booking:approval_queue")


@login_required
@require_POST
def booking_reject(request, pk):
    booking = _staff_booking(request, pk)
    form = RejectForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        reject_booking(booking=booking, user=request.user, reason=reason)
    except RuleViolation as violation:
        if violation.field == "reason":
            return _render_queue(request, reject_errors={(Booking, booking.pk): violation.message}, status=400)
        messages.error(request, violation.message)
    else:
        messages.success(request, _("Rejected: “%(title)s”, %(organisation)s.") % {
            "title": booking.title, "organisation": booking.organisation})
    return redirect("booking:approval_queue")


def _staff_series(request, pk):
    _require_centre_staff(request.user)
    return get_object_or_404(visible_series(request.user), pk=pk)


@login_required
@require_POST
def series_approve(request, pk):
    series = _staff_series(request, pk)
    try:
        approved = approve_series(series=series, user=request.user)
    except RuleViolation as violation:
        messages.error(request, violation.message)
    else:
        messages.success(request, ngettext(
            "Approved: “%(title)s”, %(organisation)s, %(count)d meeting.",
            "Approved: “%(title)s”, %(organisation)s, %(count)d meetings.", len(approved),
        ) % {"title": series.title, "organisation": series.organisation, "count": len(approved)})
    return redirect("booking:approval_queue")


@login_required
@require_POST
def series_reject(request, pk):
    series = _staff_series(request, pk)
    reason = RejectForm(request.POST).data.get("reason", "")
    try:
        rejected = reject_series(series=series, user=request.user, reason=reason)
    except RuleViolation as violation:
        if violation.field == "reason":
            return _render_queue(request, reject_errors={(BookingSeries, series.pk): violation.message}, status=400)
        messages.error(request, violation.message)
    else:
        messages.success(request, ngettext(
            "Rejected: “%(title)s”, %(organisation)s, %(count)d meeting.",
            "Rejected: “%(title)s”, %(organisation)s, %(count)d meetings.", len(rejected),
        ) % {"title": series.title, "organisation": series.organisation, "count": len(rejected)})
    return redirect("booking:approval_queue")


def _render_organisation_review(request, errors=None, status=200):
    if not can_manage_organisations(request.user):
        raise PermissionDenied(_("This page is for the centre's staff."))
    organisations = Organisation.objects.filter(removed_at__isnull=True).annotate(
        status_order=Case(When(status=Organisation.Status.UNVERIFIED, then=Value(0)),
                          When(status=Organisation.Status.SUSPENDED, then=Value(1)),
                          default=Value(2), output_field=IntegerField()),
    ).order_by("status_order", "name")
    page = Paginator(organisations, PAGE_SIZE).get_page(request.GET.get("page"))
    errors = errors or {}
    for organisation in page.object_list:
        organisation.error = errors.get(organisation.pk, "")
    return render(request, "booking/organisation_review.html", {"page": page}, status=status)


@login_required
def organisation_review(request):
    return _render_organisation_review(request)


@login_required
@require_POST
def organisation_set_status(request, pk):
    organisation = get_object_or_404(Organisation, pk=pk)
    form = OrganisationStatusForm(request.POST)
    if not form.is_valid():
        return _render_organisation_review(request, {pk: _("Choose a status.")}, status=400)
    try:
        set_organisation_status(organisation=organisation, actor=request.user, status=form.cleaned_data["status"],
                                reason=form.cleaned_data["reason"])
    except ValidationError as error:
        return _render_organisation_review(request, {pk: " ".join(error.messages)}, status=400)
    organisation.refresh_from_db(fields=["status"])
    messages.success(request, _("%(name)s: %(status)s.") % {"name": organisation.name,
                                                            "status": organisation.get_status_display()})
    return redirect("booking:organisation_review")


@login_required
def closures(request):
    centres = _require_centre_staff(request.user).order_by("name")
    resources = Resource.objects.filter(centre__in=centres).select_related("centre").order_by("centre", "name")
    form = ClosureForm(request.POST or None, centres=centres, resources=resources)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            closure = create_closure(user=request.user, centre=data["centre"], resource=data["resource"],
                                     start=data["start"], end=data["end"], reason=data["reason"])
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            messages.success(request, _("Closure added: %(reason)s.") % {"reason": closure.reason})
            return redirect("booking:closures")
    upcoming = Closure.objects.filter(centre__in=centres, end__gt=timezone.now()).select_related(
        "centre", "resource").order_by("start")
    return render(request, "booking/closures.html", {"form": form, "closures": upcoming})


@login_required
@require_POST
def closure_delete(request, pk):
    closure = get_object_or_404(Closure.objects.select_related("centre"), pk=pk)
    delete_closure(user=request.user, closure=closure)
    messages.success(request, _("Closure removed: %(reason)s.") % {"reason": closure.reason})
    return redirect("booking:closures")


@login_required
def usage_report(request):
    """The usage report of a staffed centre; `?format=csv` downloads its tables."""
    centres = _require_centre_staff(request.user).order_by("name")
    today = timezone.localdate()
    defaults = {"centre": centres.values_list("pk", flat=True).first(), "first_day": today.replace(month=1, day=1),
                "last_day": today}
    form = UsageReportForm({**defaults, **request.GET.dict()}, centres=centres)
    if not form.is_valid():
        return render(request, "booking/usage_report.html", {"form": form}, status=400)
    data = form.cleaned_data
    report = centre_usage(data["centre"], data["first_day"], data["last_day"])
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": content_disposition_header(True, usage_file_name(report))})
        response.write("\ufeff")  # the byte-order mark lets spreadsheets read the Polish letters right
        write_usage_csv(report, response)
        return response
    csv_query = urlencode({"centre": data["centre"].pk, "first_day": data["first_day"],
                           "last_day": data["last_day"], "format": "csv"})
    return render(request, "booking/usage_report.html", {"form": form, "report": report, "csv_query": csv_query})


# --- Accounts and language ------------------------------------------------------------------

class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("booking:home")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("booking:home")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/reset_request.html"
    email_template_name = "registration/reset_email.txt"
    subject_template_name = "registration/reset_subject.txt"
    success_url = reverse_lazy("booking:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/reset_confirm.html"
    success_url = reverse_lazy("booking:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_complete.html"


@require_POST
def switch_language(request):
    """Django's set_language (which also moves the page to the other language), remembered for e-mails too."""
    response = set_language(request)
    language = request.POST.get("language")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response
