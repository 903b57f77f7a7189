"""A member's pages: the booking form, our bookings and their cancellation, calendar subscriptions,
our organisations and registering a new one."""
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from booking.availability import resource_availability
from booking.exceptions import BookingConflict, RuleViolation
from booking.feeds import create_feed_token, revoke_feed_token, token_feed_url, webcal_url
from booking.models import ACTIVE_STATUSES, Booking, BookingStatus, FeedToken, Resource
from booking.selectors import (is_centre_staff, is_member, member_organisation_ids,
                               staffed_centres, title_visibility, visible_bookings)
from booking.series import (SeriesConflict, SeriesRuleViolation, cancel_series, create_series, dates_in_order,
                             meetings_to_cancel)
from booking.services import cancel_booking, create_booking
from ngo.models import Membership, Organisation
from ngo.services import register_organisation

from . import PAGE_SIZE
from ..forms import BookingForm, CancelForm, FeedForm, OrganisationForm
from ..templatetags.web_extras import span_label
from ..week import LOCAL_INPUT_FORMAT, local_midnight


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
        return render(request, "web/booking_form.html", context)
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
                form.conflicts = [{"when": span_label(b.start, b.end, centre.tz),
                                   "title": b.title if visible(b) else None} for b in conflict.conflicts]
            else:
                if booked:
                    return redirect("web:my_bookings")
    else:
        start = _parse_local(request.GET.get("start"), centre.tz)
        end = _parse_local(request.GET.get("end"), centre.tz)
        verified = [o for o in organisations if o.is_verified]
        initial = {"organisation": (verified or list(organisations))[0]}
        if start and end and start < end:
            initial.update(BookingForm.initial_for(resource, *_default_interval(resource, start, end)))
        form = BookingForm(initial=initial, resource=resource, organisations=organisations)
    context["form"] = form
    return render(request, "web/booking_form.html", context)


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
    return [{"when": span_label(start, end, tz), "refusal": refused.message if refused else ""}
            for start, end, refused in dates_in_order(bookings, skipped)]


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
    return render(request, "web/my_bookings.html", {"upcoming": upcoming, "past": past})


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
                return redirect("web:approval_queue")  # staff cancelling another organisation's booking
            return redirect("web:my_bookings")
    can_cancel = booking.status in ACTIVE_STATUSES
    return render(request, "web/booking_cancel.html", {"booking": booking, "form": form,
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
                return redirect("web:approval_queue")
            return redirect("web:my_bookings")
    meetings = list(meetings_to_cancel(series, from_date=from_date).select_related("resource__centre"))
    return render(request, "web/series_cancel.html", {"booking": booking, "series": series, "form": form,
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
    return render(request, "web/feeds.html", {"form": form, "feeds": active, "new_feed": new_feed})


@login_required
@require_POST
def feed_revoke(request, pk):
    feed = get_object_or_404(FeedToken, pk=pk, owner=request.user, revoked_at__isnull=True)
    revoke_feed_token(feed=feed, user=request.user)
    messages.success(request, _("The calendar address “%(name)s” no longer works.") % {"name": feed})
    return redirect("web:feeds")


@login_required
def organisations(request):
    memberships = Membership.objects.filter(user=request.user).select_related("organisation").order_by(
        "organisation__name")
    return render(request, "web/organisations.html", {"memberships": memberships})


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
            return redirect("web:organisations")
    return render(request, "web/organisation_register.html", {"form": form})
