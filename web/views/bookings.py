"""A member's pages: the booking form, our bookings and their cancellation, calendar subscriptions,
our organisations and registering a new one."""
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from booking.availability import nearest_free_slots, resource_availability
from booking.exceptions import BookingConflict, RuleViolation
from booking.feeds import create_feed_token, revoke_feed_token, token_feed_url, webcal_url
from booking.lending import renewable_lendings
from booking.localtime import booking_dates, check_in_range, day_bounds, local_day
from booking.models import ACTIVE_STATUSES, FeedToken, Resource
from booking.rules import CancellationCheck, can_cancel, cancellation_needs_reason, slot_refusal
from booking.selectors import (
    bookable_organisations,
    is_member,
    last_booked_organisation,
    member_organisation_ids,
    organisation_bookings,
    organisation_waitlist,
    own_consultant_roles,
    staffed_centres,
    visible_bookings,
    visible_conflicts,
    visible_organisations,
)
from booking.series import SeriesConflict, SeriesRuleViolation, cancel_series, meetings_to_cancel
from booking.services import book, cancel_booking
from ngo.agreements import members_agreements
from ngo.letters import letters_to_collect
from ngo.models import AddressAgreement, Membership, Organisation
from ngo.services import register_organisation

from ..forms import BookingForm, CancelForm, FeedForm, OrganisationForm
from ..week import LOCAL_INPUT_FORMAT
from . import PAGE_SIZE
from .waitlist import join_from_form

PRINT_LIMIT = 500  # coming bookings on the print page: a year of an organisation's meetings, and then some


def _parse_local(value, tz):
    """A local time of the query string (a clicked slot), or None for anything else, years the calendar cannot
    reach included."""
    try:
        moment = datetime.strptime(value or "", LOCAL_INPUT_FORMAT).replace(tzinfo=tz)
        check_in_range(moment, "start")
    except (ValueError, RuleViolation):
        return None
    return moment


def _default_interval(resource, start, end):
    """The times a clicked slot opens the form with: an hour or so, within the free time around the slot."""
    tz = resource.centre.tz
    if resource.booking_mode != Resource.BookingMode.SLOTS:
        return start, end
    wanted = max(resource.slot_length, resource.min_duration or timedelta(0), timedelta(hours=1))
    if resource.max_duration:
        wanted = min(wanted, resource.max_duration)
    free = resource_availability(resource, *day_bounds(start.date(), tz)).free
    around = next((interval for interval in free if interval.start <= start < interval.end), None)
    end = start + wanted
    if around:
        end = min(end, around.end.astimezone(tz))
    return start, max(end, start + resource.slot_length)


@login_required
def booking_create(request, pk):
    resource = get_object_or_404(
        Resource.objects.exclude(kind=Resource.Kind.CONSULTANT).select_related("centre")
        .prefetch_related("centre__opening_hours"), pk=pk, is_active=True)
    centre = resource.centre
    choices = list(bookable_organisations(request.user, centre).order_by("name"))
    context = {"resource": resource, "centre": centre}
    if not choices:
        return render(request, "web/booking_form.html", context)
    form_options = {"resource": resource, "organisations": visible_organisations(request.user), "choices": choices}
    if request.method == "POST":
        form = BookingForm(request.POST, **form_options)
        if form.is_valid() and "waitlist" in request.POST and not form.cleaned_data.get("rrule"):
            joined = join_from_form(request, resource, form)
            if joined:
                return joined
        elif form.is_valid():
            try:
                result = book(actor=request.user, resource=resource, dry_run=form.checking, **form.booking_request())
            except (SeriesRuleViolation, SeriesConflict) as refusal:
                form.refuse_series(refusal)
            except RuleViolation as violation:
                form.add_violation(violation)
                if violation.code in OFFER_NEAREST and not form.cleaned_data.get("rrule"):
                    form.suggest(_nearest(resource, form.cleaned_data))
            except BookingConflict as conflict:
                form.show_conflict(conflict, visible_conflicts(request.user, conflict.conflicts))
                form.can_wait = not form.cleaned_data.get("rrule")  # a single time can be waited for
            else:
                if result.dry_run:
                    form.show_series_dates(result.bookings, result.skipped, refused=result.refused)
                else:
                    _tell_booked(request, result)
                    return redirect("web:my_bookings")
    else:
        start = _parse_local(request.GET.get("start"), centre.tz)
        end = _parse_local(request.GET.get("end"), centre.tz)
        verified = [o for o in choices if o.is_verified]
        last_used = last_booked_organisation(request.user, verified)
        form_options["last_used"] = last_used
        initial = {"organisation": last_used or (verified or choices)[0]}
        if start and end and start < end and slot_refusal(resource, start, timezone.now()) is None:
            # `exact`: the time a person searched for (free rooms), kept as it is; else a clicked slot, widened
            interval = (start, end) if request.GET.get("exact") == "1" else _default_interval(resource, start, end)
            initial.update(booking_dates(resource, *interval))
        # `prefill` also takes the number of people a room was searched for (`attendees`)
        form = BookingForm(initial=initial, prefill=request.GET, **form_options)
    context["form"] = form
    return render(request, "web/booking_form.html", context)


# Refusals of a time that the nearest free times of the same length answer.
OFFER_NEAREST = {"outside_opening_hours", "closed"}


def _nearest(resource, data):
    if resource.booking_mode != Resource.BookingMode.SLOTS:
        return []
    now = timezone.now()
    return nearest_free_slots(resource, data["start"], data["end"], quantity=data.get("quantity") or 1,
                              bookable=lambda start: slot_refusal(resource, start, now) is None)


def _tell_booked(request, result):
    """The message on "our bookings" after a booking or a series was made."""
    if result.series is None:
        if result.pending:
            messages.success(request, _("Your request has been sent. The centre's staff will confirm it."))
        else:
            messages.success(request, _("Booked: %(title)s.") % {"title": result.booking.title})
        return
    count = len(result.bookings)
    if result.pending:
        sent = ngettext("Your request for %(count)d meeting has been sent. The centre's staff will confirm it.",
                        "Your request for %(count)d meetings has been sent. The centre's staff will confirm it.",
                        count)
    else:
        sent = ngettext("Booked: %(title)s, %(count)d meeting.", "Booked: %(title)s, %(count)d meetings.", count)
    messages.success(request, sent % {"count": count, "title": result.series.title})
    if result.skipped:
        tz = result.series.resource.centre.tz
        skipped = " ".join(_("%(day)s: %(reason)s") % {"day": date_format(local_day(occurrence.start, tz)),
                                                         "reason": occurrence.message}
                           for occurrence in result.skipped)
        messages.warning(request, ngettext("%(count)d date was skipped. %(dates)s",
                                           "%(count)d dates were skipped. %(dates)s",
                                           len(result.skipped)) % {"count": len(result.skipped), "dates": skipped})


def _our_bookings(user):
    return organisation_bookings(user).select_related("resource__centre", "organisation", "series")


@login_required
def my_bookings(request):
    """Coming and past bookings that stand, and apart from them those cancelled or rejected; a page of each."""
    now = timezone.now()
    bookings = _our_bookings(request.user)
    standing = Q(status__in=ACTIVE_STATUSES)
    sections = {"upcoming": standing & Q(end__gt=now), "past": standing & Q(end__lte=now), "called_off": ~standing}
    counts = bookings.aggregate(**{name: Count("pk", filter=where) for name, where in sections.items()})

    def page(name, order, param):
        paginator = Paginator(bookings.filter(sections[name]).order_by(*order), PAGE_SIZE)
        paginator.count = counts[name]  # the three sections are counted in one query, above
        return paginator.get_page(request.GET.get(param))

    upcoming = page("upcoming", ["start", "pk"], "page")
    past = page("past", ["-start", "-pk"], "past_page")
    called_off = page("called_off", ["-start", "-pk"], "called_off_page")
    cancellation = CancellationCheck(request.user, now=now)
    renewable = renewable_lendings(request.user, now=now)
    for booking in [*upcoming, *past]:
        booking.can_cancel = cancellation.allows(booking)
        booking.can_renew = booking.pk in renewable
    waiting = list(organisation_waitlist(request.user).filter(end__gt=now))
    for entry in waiting:
        entry.offered = entry.offer_held(now)
    return render(request, "web/my_bookings.html", {"upcoming": upcoming, "past": past, "called_off": called_off,
                                                    "waitlist": waiting})


@login_required
def my_bookings_print(request):
    """The coming bookings that stand, as one list to print (the print stylesheet leaves out the menus)."""
    bookings = _our_bookings(request.user).filter(status__in=ACTIVE_STATUSES, end__gt=timezone.now())
    bookings = list(bookings.order_by("start", "pk")[:PRINT_LIMIT + 1])
    return render(request, "web/my_bookings_print.html", {"bookings": bookings[:PRINT_LIMIT],
                                                          "more": len(bookings) > PRINT_LIMIT,
                                                          "printed_at": timezone.now()})


@login_required
def booking_cancel(request, pk):
    booking = get_object_or_404(visible_bookings(request.user).select_related("resource__centre", "organisation"),
                                pk=pk)
    form = CancelForm(request.POST or None, reason_required=cancellation_needs_reason(request.user, booking))
    if request.method == "POST" and form.is_valid():
        try:
            cancel_booking(booking=booking, actor=request.user, reason=form.cleaned_data["reason"])
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            messages.success(request, _("The booking “%(title)s” is cancelled.") % {"title": booking.title})
            if not is_member(request.user, booking.organisation):
                return redirect("web:approval_queue")  # staff cancelling another organisation's booking
            return redirect("web:my_bookings")
    return render(request, "web/booking_cancel.html", {"booking": booking, "form": form,
                                                       "can_cancel": can_cancel(request.user, booking),
                                                           "centre": booking.resource.centre})


@login_required
def booking_cancel_following(request, pk):
    """Cancel a meeting of a series and the later ones, after showing which (the series from this meeting's date)."""
    booking = get_object_or_404(visible_bookings(request.user).filter(series__isnull=False).select_related(
        "resource__centre", "organisation", "series__resource__centre"), pk=pk)
    series, centre = booking.series, booking.resource.centre
    from_date = booking.start.astimezone(centre.tz).date()
    form = CancelForm(request.POST or None, reason_required=cancellation_needs_reason(request.user, booking))
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = cancel_series(series=series, actor=request.user, reason=form.cleaned_data["reason"],
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
    return FeedForm(data, organisations=organisations, centres=staffed_centres(request.user).order_by("name"),
                    consultant=own_consultant_roles(request.user).exists())


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
        except RuleViolation as violation:
            form.add_violation(violation)
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
    revoke_feed_token(feed=feed, actor=request.user)
    messages.success(request, _("The calendar address “%(name)s” no longer works.") % {"name": feed})
    return redirect("web:feeds")


@login_required
def organisations(request):
    memberships = list(Membership.objects.filter(user=request.user).select_related("organisation").order_by(
        "organisation__name"))
    letters = {}
    for letter in letters_to_collect(request.user):
        letters.setdefault(letter.organisation_id, []).append(letter)
    agreements = {}
    today = timezone.localdate()
    for agreement in members_agreements(request.user).exclude(status=AddressAgreement.Status.REFUSED).select_related(
            "centre").order_by("-starts_on", "-pk"):
        agreement.in_force = agreement.in_force_on(today)
        agreement.ended = agreement.ends_on is not None and agreement.ends_on < today
        agreements.setdefault(agreement.organisation_id, []).append(agreement)
    for membership in memberships:
        membership.letters = letters.get(membership.organisation_id, [])
        membership.letter_centres = list({letter.centre_id: letter.centre for letter in membership.letters
                                          if letter.centre is not None}.values())
        membership.agreements = agreements.get(membership.organisation_id, [])
    return render(request, "web/organisations.html", {"memberships": memberships})


@login_required
def organisation_register(request):
    # Staff register organisations for their centre: it comes preselected.
    form = OrganisationForm(request.POST or None, initial={"centre": staffed_centres(request.user).first()})
    if request.method == "POST" and form.is_valid():
        try:
            organisation = register_organisation(actor=request.user, **form.cleaned_data)
        except RuleViolation as violation:
            form.add_violation(violation)
        except ValidationError as error:  # the organisation's own fields, checked by the model
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s is registered. The centre's staff will verify it.")
                             % {"name": organisation.name})
            return redirect("web:organisations")
    return render(request, "web/organisation_register.html", {"form": form})
