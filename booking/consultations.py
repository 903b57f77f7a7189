"""Consultations: IT help, legal advice and NGO counselling, booked as appointments in consultants' duty hours.

Design: each consultant's agenda is a `Resource` of kind `consultant` (one unit, no approval, occupancy not
public), created with the consultant. An appointment is then an ordinary `Booking` of that resource made through
`services.book`, plus an `Appointment` row (service, topic, device, outcome) in the same transaction. So the core
applies unchanged: the resource's lock and, on PostgreSQL, the exclusion constraint keep one consultant from being
booked twice at once; the audit trail (`BookingEvent`), the confirmation, cancellation and reminder e-mails with
their `.ics`, the organisation's and person's feeds and cancellation all work on the booking. What consultations
add are the rules before it (the service is active, the topic, the horizon, the consultant is on duty: `duty.py`)
and a choice: a request names a consultant, or goes to the first free one on duty, each tried in its own
transaction (so a lost race for one consultant moves on to the next).

The booking's title is the service's name, never the topic: titles reach staff lists, e-mails and feeds, while
the topic is only shown to those `selectors.topic_visibility` allows (legal advice: the organisation and the
consultant, not the centre's other staff). A consultant's agenda cannot be booked any other way
(`rules.check_booked_as_appointment`).
"""
from datetime import UTC, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .duty import is_off, on_duty, serving_consultants
from .exceptions import BookingConflict, RuleViolation
from .models import Appointment, BookingEvent, BookingStatus, Consultant, Resource
from .rules import check_interval
from .selectors import is_centre_staff
from .services import book, cancel_booking

TOPIC_MAX_LENGTH = 2000
DEVICE_MAX_LENGTH = Appointment._meta.get_field("device").max_length


# --- rules ----------------------------------------------------------------------------------------------------

def check_service_active(service):
    if not service.is_active:
        raise RuleViolation("service_inactive", _("This consultation is not offered at the moment."), "service")


def check_topic(service, topic, device):
    """The topic, where the service needs one, and the device or system for IT help; both of a sane length."""
    topic, device = (topic or "").strip(), (device or "").strip()
    if service.topic_required and not topic:
        raise RuleViolation("topic_required", _("Say briefly what the consultation is about."), "topic")
    if len(topic) > TOPIC_MAX_LENGTH:
        raise RuleViolation("topic_too_long", _("The topic is at most %(max)d characters long.")
                            % {"max": TOPIC_MAX_LENGTH}, "topic")
    if service.asks_device and not device:
        raise RuleViolation("device_required", _("Say which device or system it is about."), "device")
    if len(device) > DEVICE_MAX_LENGTH:
        raise RuleViolation("device_too_long", _("The device or system is at most %(max)d characters long.")
                            % {"max": DEVICE_MAX_LENGTH}, "device")
    return topic, device


def check_horizon(service, start, now):
    if start > now + service.horizon:
        raise RuleViolation("too_far_ahead", _("This consultation can be booked at most %(days)d days ahead.")
                            % {"days": service.horizon.days}, "start")


def check_on_duty(consultant, service, start, end):
    """The consultant gives the service for the whole appointment: their duty hours, not a date off."""
    if consultant.centre_id != service.centre_id or not consultant.services.filter(pk=service.pk).exists():
        raise RuleViolation("not_on_duty", _("%(name)s does not give this consultation.")
                            % {"name": consultant.name}, "consultant")
    if is_off(consultant, start.astimezone(consultant.centre.tz).date()):
        raise RuleViolation("not_on_duty", _("%(name)s is away that day.") % {"name": consultant.name}, "start")
    if not on_duty(consultant, service, start, end):
        raise RuleViolation("not_on_duty", _("%(name)s is not on duty at this time.")
                            % {"name": consultant.name}, "start")


def can_mark(actor, appointment) -> bool:
    """The consultant and the centre's staff mark an appointment done or not attended."""
    return appointment.consultant.user_id == actor.pk or is_centre_staff(actor, appointment.service.centre)


# --- services -------------------------------------------------------------------------------------------------

def new_agenda(centre, user):
    """A consultant's agenda: a one-unit Resource of kind consultant, confirmed without approval, not public."""
    return Resource.objects.create(
        centre=centre, kind=Resource.Kind.CONSULTANT, name=user.get_full_name() or user.username, units=1,
        requires_approval=False, occupancy_public=False, slot_length=timedelta(minutes=1),
    )


@transaction.atomic
def create_consultant(*, actor, centre, user, services=()):
    """Make `user` a consultant of `centre`, with their agenda (`new_agenda`)."""
    if not is_centre_staff(actor, centre):
        raise PermissionDenied(_("Only the staff of %(centre)s may do this.") % {"centre": centre})
    resource = new_agenda(centre, user)
    consultant = Consultant.objects.create(centre=centre, user=user, resource=resource)
    consultant.services.set(services)
    return consultant


def book_appointment(*, actor, service, organisation, start, topic="", device="", consultant=None, now=None):
    """Book an appointment of `service` at `start` for `organisation`; returns the Appointment.

    With `consultant` the appointment is theirs or refused; without, the first consultant on duty whose agenda is
    free at `start` takes it. Raises RuleViolation or BookingConflict (every consultant on duty is taken).
    """
    now = now or timezone.now()
    check_interval(start, start + service.appointment_length)
    start = start.astimezone(UTC)
    end = start + service.appointment_length
    check_service_active(service)
    topic, device = check_topic(service, topic, device)
    check_horizon(service, start, now)
    if consultant is not None:
        check_on_duty(consultant, service, start, end)
        candidates = [consultant]
    else:
        candidates = [person for person in serving_consultants(service) if on_duty(person, service, start, end)]
        if not candidates:
            raise RuleViolation("not_on_duty", _("No consultant is on duty at this time."), "start")
    refusal = None
    for person in candidates:
        try:
            with transaction.atomic():
                booking = book(actor=actor, resource=person.resource, organisation=organisation, start=start,
                               end=end, title=service.name, now=now, appointment=True).booking
                return Appointment.objects.create(booking=booking, service=service, consultant=person, topic=topic,
                                                  device=device)
        except BookingConflict as conflict:
            refusal = conflict
    raise refusal


def cancel_appointment(*, actor, appointment, reason="", now=None):
    """Either side cancels: the organisation's members, the consultant, or the centre's staff (the booking's
    cancellation, with its e-mails to both)."""
    cancel_booking(booking=appointment.booking, actor=actor, reason=reason, now=now)
    appointment.booking.refresh_from_db()
    return appointment


def mark_appointment(*, actor, appointment, outcome, now=None):
    """The consultant (or the centre's staff) marks a confirmed appointment that has started done or not attended;
    the mark goes in the booking's audit trail."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update(of=("self",)).select_related(
            "booking", "service__centre", "consultant").get(pk=appointment.pk)
        if not can_mark(actor, appointment):
            raise PermissionDenied(_("Only the consultant and the centre's staff may mark an appointment."))
        if outcome not in (Appointment.Outcome.DONE, Appointment.Outcome.NO_SHOW):
            raise RuleViolation("invalid_choice", _("Choose done or did not come."), "outcome")
        booking = appointment.booking
        if booking.status != BookingStatus.CONFIRMED:
            raise RuleViolation("invalid_transition", _("This appointment is %(status)s and cannot be marked.")
                                % {"status": booking.get_status_display().lower()}, "outcome")
        if booking.start > now:
            raise RuleViolation("not_started", _("An appointment is marked once it has started."), "outcome")
        appointment.outcome, appointment.marked_at = outcome, now
        appointment.save(update_fields=["outcome", "marked_at"])
        BookingEvent.objects.create(booking=booking, actor=actor, from_status=booking.status,
                                    to_status=booking.status,
                                    reason=_("Marked: %(outcome)s") % {"outcome": appointment.get_outcome_display()})
    return appointment
