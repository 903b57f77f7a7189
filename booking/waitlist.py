"""The waitlist: an organisation waits for a taken time, and gets it offered when it frees.

The guarantee stays the database's. An offer is a booking in state `offered` (`HOLDING_STATUSES`): the conflicts,
the units' count and PostgreSQL's exclusion constraint count it like an active booking, so while it is held
nobody else can book that time, and a direct booking racing an acceptance meets either the offer or the booking
that replaced it. Every change here takes the resource's write lock first (`conflicts.lock_resource`), as
`services.book` does.

- `join_waitlist`: only for a time that `book` refuses as taken; every other rule must already pass.
- `offer_freed_time`: under the lock, drops lapsed offers and entries for past times, then offers the time to the
  entries in the order they joined whose request now fits (a dry run of `book`'s checks). Services that free time
  (a cancellation, a rejection, a closure lifted, units raised) ask for it when they commit
  (`schedule_offers`); the beat task `booking.tasks.expire_waitlist_offers` runs it every minute for every
  resource with entries, which also passes lapsed offers on.
- `accept_offer`: under the lock, the offer makes way and `services.book` books the entry's request by the same
  rules; a refusal rolls everything back, and the offer stays held until it lapses.
"""
from datetime import UTC, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.publisher import publish_after_commit

from .conflicts import lock_resource
from .exceptions import BookingConflict, RuleViolation
from .models import Booking, BookingStatus, Resource, WaitlistEntry
from .rules import check_interval, check_title
from .selectors import is_centre_staff, is_member
from .signals import waitlist_offered


def offer_hold():
    """How long an offer holds the freed time (WAITLIST_OFFER_HOURS)."""
    return timedelta(hours=settings.WAITLIST_OFFER_HOURS)


def join_waitlist(*, actor, resource, organisation, start, end, title, purpose="", attendees=1, quantity=1,
                  public=False, now=None):
    """Put `organisation` on the waitlist for exactly [start, end) of `resource` (and `quantity`); returns the entry.

    Raises RuleViolation when the time is free (`time_is_free`: book it), when any other booking rule refuses the
    request (the same checks as `book`), when the organisation already waits for it, or has
    WAITLIST_MAX_PER_ORGANISATION entries.
    """
    from .services import book

    now = now or timezone.now()
    check_interval(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    title = check_title(title)
    request = dict(actor=actor, resource=resource, organisation=organisation, start=start, end=end, title=title,
                   purpose=purpose, attendees=attendees, quantity=quantity, public=public)
    try:
        book(**request, dry_run=True, now=now)
    except BookingConflict:
        pass
    else:
        raise RuleViolation("time_is_free", _("This time is free: book it instead of waiting."), "start")
    with transaction.atomic():
        lock_resource(resource.pk)
        mine = WaitlistEntry.objects.filter(organisation=organisation)
        if mine.filter(resource=resource, start=start, end=end).exists():
            raise RuleViolation("already_waiting", _("Your organisation is already on the waitlist for this time."),
                                "start")
        limit = settings.WAITLIST_MAX_PER_ORGANISATION
        if mine.filter(end__gt=now).count() >= limit:
            raise RuleViolation("waitlist_full", ngettext(
                "An organisation may wait for at most %(count)d time at once: leave it first.",
                "An organisation may wait for at most %(count)d times at once: leave one of them first.", limit)
                % {"count": limit}, "organisation")
        del request["actor"]
        return WaitlistEntry.objects.create(**request, created_by=actor, created_at=now)


def _authorise(actor, entry):
    if not (is_member(actor, entry.organisation) or is_centre_staff(actor, entry.resource.centre)):
        raise PermissionDenied(_("You can change only your organisation's waitlist entries."))


def _locked_entry(entry):
    """Take the entry's resource lock, then read the entry afresh (None if it has gone meanwhile)."""
    lock_resource(entry.resource_id)
    return (WaitlistEntry.objects.select_related("resource__centre", "organisation", "created_by", "offer")
            .filter(pk=entry.pk).first())


def _drop(entries):
    """Delete `entries` and the offers they hold."""
    entries = list(entries)
    Booking.objects.filter(pk__in=[entry.offer_id for entry in entries if entry.offer_id],
                           status=BookingStatus.OFFERED).delete()
    WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in entries]).delete()


def leave_waitlist(*, actor, entry, now=None):
    """Take `entry` off the waitlist; an offer it held passes to the next organisation waiting."""
    now = now or timezone.now()
    with transaction.atomic():
        fresh = _locked_entry(entry)
        if fresh is None:
            return
        _authorise(actor, fresh)
        _drop([fresh])
        _offer(fresh.resource, now)


def accept_offer(*, actor, entry, now=None):
    """Book the time offered to `entry` through `services.book`, by the same rules; returns its BookingResult.

    Raises RuleViolation (`no_offer` when there is none, or it has lapsed; or any booking rule, with its reason) and
    then changes nothing: the offer stays held until it lapses.
    """
    from .services import book

    now = now or timezone.now()
    with transaction.atomic():
        fresh = _locked_entry(entry)
        if fresh is None:
            raise RuleViolation("no_offer", _("This waitlist entry no longer exists."), "offer")
        if not is_member(actor, fresh.organisation):
            raise PermissionDenied(_("Only the organisation's members may accept its offer."))
        if not fresh.offer_held(now):
            raise RuleViolation("no_offer", _("There is no offer to accept: it has lapsed, or the time has not freed "
                                              "yet."), "offer")
        Booking.objects.filter(pk=fresh.offer_id).delete()  # makes way, inside this transaction, for the booking
        result = book(actor=actor, resource=fresh.resource, organisation=fresh.organisation, start=fresh.start,
                      end=fresh.end, title=fresh.title, purpose=fresh.purpose, attendees=fresh.attendees,
                      quantity=fresh.quantity, public=fresh.public, now=now)
        WaitlistEntry.objects.filter(pk=fresh.pk).delete()
    return result


def offer_freed_time(*, resource_id, now=None):
    """Under the resource's lock: drop lapsed offers and entries for past times, then offer what has freed.
    Returns the entries offered now."""
    now = now or timezone.now()
    with transaction.atomic():
        resource = lock_resource(resource_id)
        return _offer(resource, now)


def _offer(resource, now):
    """Inside the resource's lock: the housekeeping, then an offer to each entry, in the order they joined, whose
    request passes `book`'s checks now (the offers made so far count as taken)."""
    from .services import create_booking

    _drop(resource.waitlist_entries.filter(Q(offer_expires_at__lte=now) | Q(start__lte=now)
                                           | Q(created_by__isnull=True)))
    # An offer whose entry went some other way (an organisation's purge deletes its entries)
    resource.bookings.filter(status=BookingStatus.OFFERED, waitlist_entry__isnull=True).delete()
    offered = []
    for entry in resource.waitlist_entries.filter(offer__isnull=True).select_related("organisation", "created_by"):
        try:
            booking = create_booking(actor=entry.created_by, resource=resource, organisation=entry.organisation,
                                     start=entry.start, end=entry.end, title=entry.title, purpose=entry.purpose,
                                     attendees=entry.attendees, quantity=entry.quantity, public=entry.public,
                                     dry_run=True, now=now)
        except (RuleViolation, BookingConflict, PermissionDenied):
            continue  # still taken, or refused by a rule for now: it keeps its place
        booking.status = BookingStatus.OFFERED
        booking.save()
        entry.offer, entry.offered_at = booking, now
        entry.offer_expires_at = min(now + offer_hold(), entry.start)
        entry.save(update_fields=["offer", "offered_at", "offer_expires_at"])
        waitlist_offered.send(sender=WaitlistEntry, entry=entry)
        offered.append(entry)
    return offered


def expire_offers(*, now=None):
    """For every resource with waitlist entries (or a stray offer): pass lapsed offers on, drop past entries, and
    offer what has freed without telling us (the beat task's backstop). Returns the entries offered."""
    now = now or timezone.now()
    resource_ids = set(WaitlistEntry.objects.values_list("resource_id", flat=True).distinct())
    resource_ids |= set(Booking.objects.filter(status=BookingStatus.OFFERED).values_list("resource_id", flat=True))
    offered = []
    for resource_id in sorted(resource_ids):
        offered += offer_freed_time(resource_id=resource_id, now=now)
    return offered


def schedule_offers(resource_ids):
    """Once the current transaction commits, offer what it freed on `resource_ids` to the waitlist (a task)."""
    from .tasks import offer_freed_time_task

    for resource_id in sorted(set(resource_ids)):
        # Off the request (config.publisher); a publish lost with its process, the beat's backstop offers.
        publish_after_commit(offer_freed_time_task.delay, resource_id)


def withdraw_offers_in(resources, start, end):
    """Inside a closure's transaction (the resources locked): offers over [start, end) of `resources` are withdrawn,
    and their entries wait on; the time can no longer be booked, so holding it would only block the queue."""
    entries = WaitlistEntry.objects.filter(resource__in=resources, offer__isnull=False, start__lt=end, end__gt=start)
    offers = list(entries.values_list("offer_id", flat=True))
    entries.update(offer=None, offered_at=None, offer_expires_at=None)
    Booking.objects.filter(pk__in=offers, status=BookingStatus.OFFERED).delete()


def waiting_resources(resources):
    """The ids of `resources` (a queryset) that have an entry waiting without an offer."""
    return set(WaitlistEntry.objects.filter(resource__in=resources, offer__isnull=True)
               .values_list("resource_id", flat=True))


def freed_by_resource_change(resource):
    """After `resource`'s units were raised (or its buffer shortened): offer the freed time when it commits."""
    if resource.pk and WaitlistEntry.objects.filter(resource=resource).exists():
        schedule_offers([resource.pk])


def freed_by_closure_deleted(closure):
    scope = Resource.objects.filter(centre_id=closure.centre_id)
    if closure.resource_id:
        scope = scope.filter(pk=closure.resource_id)
    schedule_offers(waiting_resources(scope))


FREEING_STATUSES = {BookingStatus.CANCELLED, BookingStatus.REJECTED}


def on_booking_changed(sender, booking, **kwargs):
    """booking_changed receiver: a cancellation or a rejection frees time for the waitlist."""
    if booking.status in FREEING_STATUSES:
        schedule_offers([booking.resource_id])


def on_series_changed(sender, series, action, **kwargs):
    """series_changed receiver: meetings rejected or cancelled free time for the waitlist."""
    if action in ("rejected", "cancelled"):
        schedule_offers([series.resource_id])
