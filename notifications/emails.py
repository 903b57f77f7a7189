"""What each e-mail says and to whom, in two steps so that a change does not pay for writing its e-mails.

- Inside the change's transaction, `booking_change`, `series_change`, `reminder`, `organisation_verified`,
  `letter_received`, `password_reset`, `membership_invitation`, `signup_confirmation` and `signup_address_taken`
  decide the recipients and return unsaved outbox rows, one per recipient, whose `payload` names what the
  message is about.
- In the send task, `render()` writes the message in the recipient's language (plain text, HTML and, for
  bookings, the .ics) with the centre's address and opening hours. It shows the booking as it is then, with
  the status and SEQUENCE of the change that caused the message, so that a late invitation never undoes a
  later cancellation in the recipient's calendar.
"""
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking.formatting import clock, long_date, moment_label, opening_hours_text, short_date, span_label
from booking.ical import booking_link, invitation, invitations, renderable
from booking.models import Booking, BookingStatus, Centre, Resource, WaitlistEntry
from booking.signals import SeriesAction
from booking.wording import asks_attendees, booked_quantity
from ngo.letters import return_days
from ngo.models import AddressAgreement, Invitation, Letter, Membership
from ngo.signup import confirmation_token

from .models import OutboxMessage

Kind = OutboxMessage.Kind


class NothingToSend(Exception):
    """The message concerns no one: a password reset asked for an address that no account has, a confirmation
    link for an account confirmed or deleted meanwhile."""

# Subject and first paragraph of the booking messages.
BOOKING_TEXTS = {
    Kind.BOOKING_REQUESTED: (
        _("Booking request received: %(title)s, %(when)s"),
        _("We have received a booking request for %(organisation)s. The centre's staff will look at it soon, "
          "and we will let you know their decision in another e-mail."),
    ),
    Kind.REQUEST_TO_APPROVE: (
        _("New booking request to approve: %(title)s, %(when)s"),
        _("%(organisation)s asks to book %(resource)s. Please approve or reject the request."),
    ),
    Kind.BOOKING_CONFIRMED: (
        _("Booking confirmed: %(title)s, %(when)s"),
        _("The booking for %(organisation)s is confirmed. The attached invitation adds it to your calendar."),
    ),
    Kind.BOOKING_REJECTED: (
        _("Booking request rejected: %(title)s, %(when)s"),
        _("We are sorry: the centre's staff could not accept the booking request of %(organisation)s. "
          "If you have any questions, please contact the centre."),
    ),
    Kind.BOOKING_CANCELLED: (
        _("Booking cancelled: %(title)s, %(when)s"),
        _("The booking for %(organisation)s has been cancelled. The attached cancellation removes it from your "
          "calendar."),
    ),
    Kind.BOOKING_REMINDER: (
        _("Reminder: %(title)s, %(when)s"),
        _("This is a reminder of tomorrow's booking for %(organisation)s. If you no longer need it, please cancel "
          "it so that others can use the place."),
    ),
    Kind.LENDING_ENDS_IN_14_DAYS: (
        _("Your lending ends in two weeks: %(resource)s"),
        _("The lending of %(resource)s to %(organisation)s ends in two weeks. To keep it longer, renew it on the "
          "“Our bookings” page; otherwise please empty it by then and return any keys."),
    ),
    Kind.LENDING_ENDS_IN_3_DAYS: (
        _("Your lending ends in three days: %(resource)s"),
        _("The lending of %(resource)s to %(organisation)s ends in three days. To keep it longer, renew it on the "
          "“Our bookings” page now; otherwise please empty it by then and return any keys."),
    ),
    Kind.KEY_NOT_RETURNED: (
        _("Please return the key: %(resource)s"),
        _("The booking of %(resource)s for %(organisation)s is over, but its key or card has not come back to the "
          "centre yet. Please bring it back during opening hours; a deposit, if you left one, is refunded then."),
    ),
}
# Messages about a booking that carry no calendar event: they change nothing in a calendar.
NO_CALENDAR_KINDS = {Kind.LENDING_ENDS_IN_14_DAYS, Kind.LENDING_ENDS_IN_3_DAYS, Kind.KEY_NOT_RETURNED}
# Reminders of a lending's end, by how many days before it they go out.
LENDING_REMINDERS = {14: Kind.LENDING_ENDS_IN_14_DAYS, 3: Kind.LENDING_ENDS_IN_3_DAYS}
CANCELLING_KINDS = {Kind.BOOKING_REJECTED, Kind.BOOKING_CANCELLED}
STATUS_KINDS = {
    BookingStatus.CONFIRMED: Kind.BOOKING_CONFIRMED,
    BookingStatus.REJECTED: Kind.BOOKING_REJECTED,
    BookingStatus.CANCELLED: Kind.BOOKING_CANCELLED,
}


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    user: object = None  # the account, when the address is a person's


def _people(users, fallback_email=""):
    """Each active user with an address, in their language; else the fallback address, in the site's language."""
    recipients, seen = [], set()
    for user in users:
        if user.is_active and user.email and user.email.lower() not in seen:
            seen.add(user.email.lower())
            recipients.append(Recipient(user.email, user.language, user))
    if not recipients and fallback_email:
        recipients.append(Recipient(fallback_email, settings.LANGUAGE_CODE))
    return recipients


def booker(booking):
    """The person who booked; the organisation's address if they have gone."""
    return _people([booking.created_by] if booking.created_by else [], booking.organisation.email)


def consultant(booking):
    """The consultant whose agenda `booking` is in (an appointment), who gets the member's messages too; else none."""
    if booking.resource.kind != Resource.Kind.CONSULTANT:
        return []
    users = get_user_model().objects.filter(consultant_roles__resource_id=booking.resource_id)
    return [recipient for recipient in _people(users)
            if not booking.created_by or recipient.user.pk != booking.created_by_id]


def centre_staff(centre, *, besides=None):
    """The centre's staff (but not `besides`, who gets the member's message); the centre's address if none."""
    return _people([user for user in centre.staff.all() if user != besides], centre.email)


def coordinators(organisation):
    users = get_user_model().objects.filter(memberships__organisation=organisation,
                                            memberships__role=Membership.Role.COORDINATOR).order_by("pk")
    return _people(users, organisation.email)


def _centre_context(centre, hours):
    if centre is None:
        return None
    return {"name": centre.name, "address": centre.address, "phone": centre.phone, "email": centre.email,
            "hours": opening_hours_text(hours), "closed_on_public_holidays": centre.closed_on_public_holidays}


def _plan(kind, recipients, payload, **fields):
    """One unwritten outbox row per recipient; `fields` go on each row, `person` defaulting to the recipient's
    account."""
    return [OutboxMessage(kind=kind, recipient=recipient.email, language=recipient.language, payload=payload,
                          **{"person": recipient.user, **fields})
            for recipient in recipients]


class Unrenderable(Exception):
    """What the message is about cannot be written, now or ever: a booking outside the service's calendar
    (`booking.ical.renderable`), which only a row written around the services can hold. The send task gives the
    message up at once instead of retrying it."""


def _check_renderable(bookings):
    for booking in bookings:
        if not renderable(booking):
            raise Unrenderable(f"booking {booking.pk} runs from {booking.start.isoformat()} to "
                               f"{booking.end.isoformat()}, outside the service's calendar (1970-2999)")


def render(message):
    """Write `message`'s subject, bodies and calendar from its payload, in its language.

    Returns False, leaving it unwritten, when what it is about is gone (a personal-data purge).
    """
    build = RENDERERS[message.kind](message)
    if build is None:
        return False
    with translation.override(message.language):
        context = build()
        calendar, method = context.pop("calendar", ""), context.pop("calendar_method", "")
        context.update(language=message.language, site_url=settings.SITE_URL, reply_to=message.reply_to)
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    message.subject = " ".join(str(context["subject"]).split())
    message.body_text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    message.body_html, message.calendar, message.calendar_method = html, calendar, method
    return True


# --- Bookings ----------------------------------------------------------------------------------------

def _booking_messages(booking, kind, recipients, *, reason=""):
    payload = {"status": booking.status, "sequence": booking.sequence, "reason": reason}
    return _plan(kind, recipients, payload, booking=booking, organisation=booking.organisation,
                 person=booking.created_by, reply_to=booking.resource.centre.email)


def booking_change(booking, *, from_status, reason=""):
    """The messages a booking's change of state causes (booking_changed signal)."""
    if booking.status == BookingStatus.PENDING and not from_status:
        return [*_booking_messages(booking, Kind.BOOKING_REQUESTED, booker(booking)),
                *_booking_messages(booking, Kind.REQUEST_TO_APPROVE,
                                   centre_staff(booking.resource.centre, besides=booking.created_by))]
    kind = STATUS_KINDS.get(booking.status)
    return _booking_messages(booking, kind, [*booker(booking), *consultant(booking)], reason=reason) if kind else []


def reminder(booking):
    return _booking_messages(booking, Kind.BOOKING_REMINDER, [*booker(booking), *consultant(booking)])


def lending_reminder(booking, days):
    """The reminder that a lending ends in `days` (14 or 3) days, to whoever booked it."""
    return _booking_messages(booking, LENDING_REMINDERS[days], booker(booking))


def key_reminder(booking):
    """The reminder that a booking's key or card has not been returned, to whoever booked it (one row: the outbox
    keeps one such reminder per booking)."""
    return _booking_messages(booking, Kind.KEY_NOT_RETURNED, booker(booking))


def _booking_message(message):
    booking = (Booking.objects.select_related("resource__centre", "organisation", "created_by")
               .filter(pk=message.booking_id).first())
    if booking is None:
        return None
    _check_renderable([booking])
    booking.status, booking.sequence = message.payload["status"], message.payload["sequence"]
    kind, reason = message.kind, message.payload["reason"]
    resource, organisation = booking.resource, booking.organisation
    centre = resource.centre
    hours = list(centre.opening_hours.all())

    def build():
        subject, paragraph = BOOKING_TEXTS[kind]
        params = {"title": booking.title, "when": moment_label(booking.start, centre.tz),
                  "organisation": organisation.name, "resource": resource.name}
        details = [(_("What"), booking.title), (_("Where"), f"{resource.name}, {centre.name}"),
                   (_("When"), span_label(booking.start, booking.end, centre.tz)),
                   (_("Organisation"), organisation.name)]
        if quantity := booked_quantity(booking):
            details.append((_("How many"), quantity))
        context = {"subject": subject % params, "paragraphs": [paragraph % params], "details": details,
                   "action": {"label": _("See the booking in the calendar"), "url": booking_link(booking)},
                   "centre": _centre_context(centre, hours)}
        if kind == Kind.REQUEST_TO_APPROVE:
            if booking.created_by:
                person = booking.created_by
                details.append((_("Booked by"), f"{person.get_full_name() or person.username} <{person.email}>"))
            if asks_attendees(resource.kind):
                details.append((_("Attendees"), str(booking.attendees)))
            if booking.purpose:
                details.append((_("Purpose"), booking.purpose))
            context["action"] = {"label": _("Approve or reject the request"), "url": settings.SITE_URL.rstrip("/")
                                 + reverse("admin:booking_booking_change", args=[booking.pk])}
        elif kind not in NO_CALENDAR_KINDS:  # the member's messages carry the event, in the recipient's language
            cancel = kind in CANCELLING_KINDS
            context.update(calendar=invitation(booking, cancel=cancel).decode(),
                           calendar_method="CANCEL" if cancel else "REQUEST")
        if reason and kind in CANCELLING_KINDS:
            details.append((_("Reason"), reason))
        return context

    return build


# --- Series: one message per recipient for each operation on a whole series ---------------------------

SERIES_TEXTS = {
    Kind.SERIES_REQUESTED: (
        BOOKING_TEXTS[Kind.BOOKING_REQUESTED][0],
        _("We have received a request from %(organisation)s to book the series of meetings listed below. The "
          "centre's staff will look at it soon, and we will let you know their decision in another e-mail."),
    ),
    Kind.SERIES_TO_APPROVE: (
        BOOKING_TEXTS[Kind.REQUEST_TO_APPROVE][0],
        _("%(organisation)s asks to book %(resource)s for the series of meetings listed below. Please approve or "
          "reject the request."),
    ),
    Kind.SERIES_CONFIRMED: (
        BOOKING_TEXTS[Kind.BOOKING_CONFIRMED][0],
        _("The meetings of %(organisation)s listed below are confirmed. The attached invitation adds them to your "
          "calendar."),
    ),
    Kind.SERIES_REJECTED: (
        BOOKING_TEXTS[Kind.BOOKING_REJECTED][0],
        _("We are sorry: the centre's staff could not accept the request of %(organisation)s for the meetings "
          "listed below. If you have any questions, please contact the centre."),
    ),
    Kind.SERIES_CANCELLED: (
        BOOKING_TEXTS[Kind.BOOKING_CANCELLED][0],
        _("The meetings of %(organisation)s listed below have been cancelled. The attached cancellation removes "
          "them from your calendar."),
    ),
    Kind.SERIES_UPDATED: (
        _("Booking changed: %(title)s, %(when)s"),
        _("The title or purpose of the meetings of %(organisation)s listed below has changed. The attached "
          "invitation updates them in your calendar."),
    ),
}
SERIES_CANCELLING_KINDS = {Kind.SERIES_REJECTED, Kind.SERIES_CANCELLED}
SERIES_KINDS = {
    SeriesAction.APPROVED: Kind.SERIES_CONFIRMED,
    SeriesAction.REJECTED: Kind.SERIES_REJECTED,
    SeriesAction.CANCELLED: Kind.SERIES_CANCELLED,
    SeriesAction.UPDATED: Kind.SERIES_UPDATED,
}


def _meetings(bookings, tz):
    """'52 meetings from 5 January 2027' for a subject; '1 meeting, 5 January 2027'."""
    return ngettext("%(count)d meeting, %(date)s", "%(count)d meetings from %(date)s", len(bookings)) % {
        "count": len(bookings), "date": short_date(bookings[0].start.astimezone(tz)),
    }


def _series_messages(series, bookings, kind, recipients, *, reason="", skipped=(), partly=False):
    payload = {
        "meetings": [[booking.pk, booking.sequence, booking.status] for booking in bookings],
        "skipped": [[o.start.isoformat(), o.end.isoformat(), o.message] for o in skipped],
        "reason": reason, "partly": partly,
    }
    # `booking` is the first meeting: it places the message in its centre for the staff who may read it.
    return _plan(kind, recipients, payload, booking=bookings[0], organisation=series.organisation,
                 person=series.created_by, reply_to=series.resource.centre.email)


def series_change(series, *, action, bookings, reason="", skipped=(), from_date=None):
    """The messages an operation on a series causes (series_changed signal): one per recipient, whatever the
    number of meetings. `bookings` are the meetings it changed, by start."""
    if not bookings:
        return []
    member = _people([series.created_by] if series.created_by else [], series.organisation.email)
    if action == SeriesAction.CREATED:
        if bookings[0].status == BookingStatus.PENDING:
            staff = centre_staff(series.resource.centre, besides=series.created_by)
            return [*_series_messages(series, bookings, Kind.SERIES_REQUESTED, member, skipped=skipped),
                    *_series_messages(series, bookings, Kind.SERIES_TO_APPROVE, staff, skipped=skipped)]
        return _series_messages(series, bookings, Kind.SERIES_CONFIRMED, member, skipped=skipped)
    return _series_messages(series, bookings, SERIES_KINDS[action], member, reason=reason,
                            partly=action == SeriesAction.CANCELLED and from_date is not None)


def _series_message(message):
    meetings = {pk: (sequence, status) for pk, sequence, status in message.payload["meetings"]}
    bookings = list(Booking.objects.filter(pk__in=meetings).order_by("start", "pk")
                    .select_related("series__created_by", "resource__centre", "organisation", "created_by"))
    if not bookings:
        return None
    _check_renderable(bookings)
    for booking in bookings:
        booking.sequence, booking.status = meetings[booking.pk]
    kind, reason, partly = message.kind, message.payload["reason"], message.payload["partly"]
    skipped = [(datetime.fromisoformat(start), datetime.fromisoformat(end), why)
               for start, end, why in message.payload["skipped"]]
    series, resource, organisation = bookings[0].series, bookings[0].resource, bookings[0].organisation
    centre = resource.centre
    tz = centre.tz
    hours = list(centre.opening_hours.all())
    site = settings.SITE_URL.rstrip("/")

    def build():
        subject, paragraph = SERIES_TEXTS[kind]
        params = {"title": series.title, "when": _meetings(bookings, tz), "organisation": organisation.name,
                  "resource": resource.name}
        paragraphs = [paragraph % params]
        if partly:
            paragraphs.append(_("Only the meetings from %(date)s on are cancelled; the earlier ones stay as they "
                                "are.") % {"date": long_date(bookings[0].start.astimezone(tz))})
        if skipped:
            paragraphs.append(ngettext(
                "%(count)d date could not be booked; it is listed below with the reason.",
                "%(count)d dates could not be booked; they are listed below with the reasons.", len(skipped),
            ) % {"count": len(skipped)})
        details = [(_("What"), series.title), (_("Where"), f"{resource.name}, {centre.name}"),
                   (_("Organisation"), organisation.name)]
        if quantity := booked_quantity(bookings[0]):
            details.append((_("How many"), quantity))
        lists = [(_("Meetings"), [span_label(b.start, b.end, tz) for b in bookings])]
        if skipped:
            # The reasons were worded when the series was booked, in the language of whoever booked it.
            lists.append((_("Not booked"), [f"{span_label(start, end, tz)}: {why}" for start, end, why in skipped]))
        context = {"subject": subject % params, "paragraphs": paragraphs, "details": details, "lists": lists,
                   "action": {"label": _("See your organisation's bookings"),
                              "url": site + reverse("web:my_bookings")},
                   "centre": _centre_context(centre, hours)}
        if kind == Kind.SERIES_TO_APPROVE:
            if series.created_by:
                person = series.created_by
                details.append((_("Booked by"), f"{person.get_full_name() or person.username} <{person.email}>"))
            if asks_attendees(resource.kind):
                details.append((_("Attendees"), str(bookings[0].attendees)))
            if series.purpose:
                details.append((_("Purpose"), series.purpose))
            context["action"] = {"label": _("Approve or reject the request"),
                                 "url": site + reverse("web:approval_queue")}
        else:  # the member's messages carry every meeting as its own event, in one attachment
            cancel = kind in SERIES_CANCELLING_KINDS
            paragraphs.append(_("Some calendar programs take only the first meeting from the attached file; your "
                                "organisation's calendar subscription always shows all of them: %(url)s")
                              % {"url": site + reverse("web:feeds")})
            context.update(calendar=invitations(bookings, cancel=cancel).decode(),
                           calendar_method="CANCEL" if cancel else "REQUEST")
        if reason and kind in SERIES_CANCELLING_KINDS:
            details.append((_("Reason"), reason))
        return context

    return build


# --- Organisations and letters -----------------------------------------------------------------------

def _hosting_centre(organisation, user_id):
    """The centre whose details an organisation's message carries, and its hours: the hosting centre of the staff
    person who acted, else the organisation's home centre."""
    centre = None
    if user_id:
        centre = Centre.objects.filter(hostings__organisation=organisation, staff=user_id).order_by("pk").first()
    if centre is None:
        centre = Centre.objects.filter(hostings__organisation=organisation, hostings__home=True).first()
    return centre, list(centre.opening_hours.all()) if centre else []


def organisation_verified(organisation, *, actor):
    return _plan(Kind.ORGANISATION_VERIFIED, coordinators(organisation), {"actor": actor.pk if actor else None},
                 organisation=organisation)


def _organisation_verified_message(message):
    organisation = message.organisation
    if organisation is None:
        return None
    centre, hours = _hosting_centre(organisation, message.payload["actor"])
    message.reply_to = centre.email if centre else ""

    def build():
        params = {"organisation": organisation.name}
        return {"subject": _("%(organisation)s is verified: you can book now") % params,
                "paragraphs": [_("The centre's staff have verified %(organisation)s. Its members can now book "
                                 "rooms, desks, lockers and beds at the centre.") % params],
                "details": [], "action": None, "centre": _centre_context(centre, hours)}

    return build


def letter_received(letter):
    return _plan(Kind.LETTER_RECEIVED, coordinators(letter.organisation), {"letter": letter.pk},
                 organisation=letter.organisation)


def _letter_details(letter, centre):
    received = timezone.localtime(letter.received_at, centre.tz if centre else None)
    details = [(_("Sender"), letter.sender), (_("Kind"), letter.get_kind_display()),
               (_("Received on"), f"{long_date(received)}, {clock(received)}")]
    if letter.tracking_number:
        details.append((_("Tracking number"), letter.tracking_number))
    if letter.description:
        details.append((_("Note"), letter.description))
    return details


def _letter_centre(letter):
    if letter.centre_id is None:
        return _hosting_centre(letter.organisation, letter.logged_by_id)
    return letter.centre, list(letter.centre.opening_hours.all())


def _letter_received_message(message):
    letter = Letter.objects.select_related("organisation", "centre").filter(pk=message.payload["letter"]).first()
    if letter is None:
        return None
    organisation = letter.organisation
    centre, hours = _letter_centre(letter)
    message.reply_to = centre.email if centre else ""

    def build():
        params = {"organisation": organisation.name}
        return {"subject": _("A letter for %(organisation)s has arrived") % params,
                "paragraphs": [_("A letter for %(organisation)s has arrived at the centre. Any member can collect "
                                 "it during the opening hours below; it is kept for %(days)d days.")
                               % {**params, "days": return_days()}],
                "details": _letter_details(letter, centre), "action": None, "centre": _centre_context(centre, hours)}

    return build


def letter_reminder(letter):
    return _plan(Kind.LETTER_REMINDER, coordinators(letter.organisation), {"letter": letter.pk},
                 organisation=letter.organisation)


def _letter_reminder_message(message):
    letter = Letter.objects.select_related("organisation", "centre").filter(pk=message.payload["letter"]).first()
    if letter is None or letter.status != Letter.Status.WAITING:
        return None
    organisation = letter.organisation
    centre, hours = _letter_centre(letter)
    message.reply_to = centre.email if centre else ""

    def build():
        params = {"organisation": organisation.name}
        return {"subject": _("A letter for %(organisation)s is still waiting") % params,
                "paragraphs": [_("A letter for %(organisation)s has been waiting at the centre since %(date)s. "
                                 "Please collect it during the opening hours below: after %(days)d days it goes "
                                 "back to its sender.")
                               % {**params, "days": return_days(),
                                  "date": long_date(timezone.localtime(letter.received_at,
                                                                       centre.tz if centre else None))}],
                "details": _letter_details(letter, centre), "action": None, "centre": _centre_context(centre, hours)}

    return build


# --- Address agreements ------------------------------------------------------------------------------

AGREEMENT_SUBJECTS = {
    "requested": _("%(organisation)s asks to use the centre's address"),
    "approved": _("Address agreement %(number)s for %(organisation)s"),
    "refused": _("The request of %(organisation)s for the centre's address is refused"),
    "extended": _("Address agreement %(number)s is extended"),
    "ended": _("Address agreement %(number)s ends on %(ends_on)s"),
}
AGREEMENT_TEXTS = {
    "requested": _("%(organisation)s asks to use the centre's address. Please approve or refuse the request."),
    "approved": _("The centre's staff have signed the address agreement %(number)s: %(organisation)s may use the "
                  "centre's address as below."),
    "refused": _("We are sorry: the centre's staff could not accept the request of %(organisation)s to use the "
                 "centre's address."),
    "extended": _("The address agreement %(number)s of %(organisation)s is extended."),
    "ended": _("The address agreement %(number)s of %(organisation)s ends on %(ends_on)s. After that day, please "
               "do not give the centre's address as the organisation's."),
}


def address_agreement(agreement, event):
    """The organisation's coordinators hear of every decision; the centre's staff of a request."""
    if event == "requested":
        recipients = centre_staff(agreement.centre, besides=None)
    else:
        recipients = coordinators(agreement.organisation)
    return _plan(Kind.ADDRESS_AGREEMENT, recipients, {"agreement": agreement.pk, "event": event},
                 organisation=agreement.organisation)


def agreement_ending(agreement, days):
    """30 and 7 days before an agreement's end: its organisation's coordinators and the centre's staff."""
    recipients = coordinators(agreement.organisation) + centre_staff(agreement.centre)
    return _plan(Kind.AGREEMENT_ENDING, recipients, {"agreement": agreement.pk, "days": days},
                 organisation=agreement.organisation)


def _agreement_details(agreement):
    uses = [str(label) for used, label in [(agreement.registered_seat, _("registered seat")),
                                           (agreement.correspondence, _("correspondence"))] if used]
    details = [(_("Organisation"), agreement.organisation.name)]
    if agreement.number:
        details.append((_("Agreement number"), agreement.number))
    details += [(_("Use of the address"), ", ".join(uses)), (_("From"), long_date(agreement.starts_on)),
                (_("Until"), long_date(agreement.ends_on) if agreement.ends_on else _("no end date"))]
    if agreement.refusal_reason and agreement.status == "refused":
        details.append((_("Reason"), agreement.refusal_reason))
    return details


def _agreement(message):
    return (AddressAgreement.objects.select_related("organisation", "centre")
            .filter(pk=message.payload["agreement"]).first())


def _address_agreement_message(message):
    agreement = _agreement(message)
    if agreement is None:
        return None
    centre, event = agreement.centre, message.payload["event"]
    hours = list(centre.opening_hours.all())
    message.reply_to = centre.email

    def build():
        params = {"organisation": agreement.organisation.name, "number": agreement.number,
                  "ends_on": long_date(agreement.ends_on) if agreement.ends_on else ""}
        action = None
        if event == "requested":
            action = {"label": _("Approve or refuse the request"),
                      "url": settings.SITE_URL.rstrip("/") + reverse("web:agreements")}
        return {"subject": AGREEMENT_SUBJECTS[event] % params, "paragraphs": [AGREEMENT_TEXTS[event] % params],
                "details": _agreement_details(agreement), "action": action, "centre": _centre_context(centre, hours)}

    return build


def _agreement_ending_message(message):
    agreement = _agreement(message)
    if agreement is None or agreement.ends_on is None:
        return None
    centre, days = agreement.centre, message.payload["days"]
    hours = list(centre.opening_hours.all())
    message.reply_to = centre.email

    def build():
        params = {"organisation": agreement.organisation.name, "number": agreement.number,
                  "ends_on": long_date(agreement.ends_on), "days": days}
        return {"subject": ngettext("Address agreement %(number)s ends in %(days)d day",
                                    "Address agreement %(number)s ends in %(days)d days", days) % params,
                "paragraphs": [_("The address agreement %(number)s of %(organisation)s ends on %(ends_on)s. To go "
                                 "on using the centre's address, ask the centre's staff to extend it.") % params],
                "details": _agreement_details(agreement), "action": None, "centre": _centre_context(centre, hours)}

    return build


# --- Password reset ----------------------------------------------------------------------------------

def password_reset(*, email, language):
    """The reset link asked for `email`, written down before anyone looks for an account with it: the send task
    finds the accounts (ngo.password_reset)."""
    return [OutboxMessage(kind=Kind.PASSWORD_RESET, recipient=email, language=language)]


def _password_reset_message(message):
    # Django's choice of accounts: active, with a usable password, the address compared case-insensitively.
    users = sorted(PasswordResetForm().get_users(message.recipient), key=lambda user: user.pk)
    if not users:
        raise NothingToSend
    message.recipient, message.language, message.person = users[0].email, users[0].language, users[0]
    site = settings.SITE_URL.rstrip("/")
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)

    def link(user):
        return site + reverse("web:password_reset_confirm", kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})

    def build():
        validity = ngettext("The link works once, within %(count)d day.", "The link works once, within %(count)d days.",
                            days) % {"count": days}
        ignore = _("If it was not you, ignore this message: your password stays as it is.")
        context = {"subject": str(_("Reset your password")), "centre": None}
        if len(users) == 1:
            context.update(paragraphs=[_("Someone asked to reset the password of your account in the centre booking "
                                         "service."), validity, ignore],
                           details=[(_("Username"), users[0].username)],
                           action={"label": _("Set a new password"), "url": link(users[0])})
        else:
            context.update(paragraphs=[_("Someone asked to reset the password of the accounts with this e-mail address "
                                         "in the centre booking service. Each link below sets a new password for one "
                                         "of them."), validity, ignore],
                           details=[], action=None,
                           lists=[(_("Accounts"), [f"{user.username}: {link(user)}" for user in users])])
        return context

    return build


def membership_invitation(invitation, token):
    """The invitation to the invited address, in the language of an account using that address if there is one
    (Polish otherwise). The row keeps the raw token for the link, so staff do not see these rows in the admin."""
    account = (get_user_model().objects.filter(email__iexact=invitation.email, is_active=True)
               .order_by("pk").first())
    language = account.language if account else settings.LANGUAGE_CODE
    return _plan(Kind.INVITATION, [Recipient(invitation.email, language)],
                 {"invitation": invitation.pk, "token": token}, organisation=invitation.organisation)


def _invitation_message(message):
    invitation = (Invitation.objects.select_related("organisation", "invited_by")
                  .filter(pk=message.payload["invitation"]).first())
    if invitation is None:
        return None
    organisation, inviter = invitation.organisation, invitation.invited_by
    centre, hours = _hosting_centre(organisation, None)
    message.reply_to = centre.email if centre else ""

    def build():
        link = settings.SITE_URL.rstrip("/") + reverse("web:invitation", args=[message.payload["token"]])
        params = {"organisation": organisation.name, "role": invitation.get_role_display().lower(),
                  "person": (inviter.get_full_name() or inviter.username) if inviter else _("The centre's staff"),
                  "date": long_date(timezone.localtime(invitation.expires_at, centre.tz if centre else None))}
        return {"subject": _("Invitation to join %(organisation)s") % params,
                "paragraphs": [
                    _("%(person)s invites you to join %(organisation)s (role: %(role)s) in the centre's booking "
                      "service. Members book rooms, desks, lockers and beds for the organisation.") % params,
                    _("To accept, open the link below and log in, or create an account there. The link is valid "
                      "until %(date)s and works once.") % params,
                    _("If you do not want to join, ignore this e-mail: nothing changes without your consent.")],
                "details": [], "action": {"label": _("Accept the invitation"), "url": link},
                "centre": _centre_context(centre, hours)}

    return build


# --- Getting an account ------------------------------------------------------------------------------

def signup_confirmation(user):
    """The link confirming the address of an account signed up on the site (ngo.signup), written when sent."""
    return _plan(Kind.SIGNUP_CONFIRMATION, [Recipient(user.email, user.language, user)], {})


def _signup_confirmation_message(message):
    user = message.person
    if user is None or user.awaiting_confirmation_since is None:
        raise NothingToSend  # confirmed, replaced or deleted meanwhile: a later message carries the valid link
    message.recipient, message.language = user.email, user.language
    days = settings.SIGNUP_LINK_DAYS

    def build():
        link = settings.SITE_URL.rstrip("/") + reverse("web:signup_confirm", args=[confirmation_token(user)])
        return {"subject": str(_("Confirm your e-mail address")), "centre": None,
                "paragraphs": [
                    _("You have signed up for the centre booking service. Open the link below to confirm that "
                      "this address is yours; until then the account cannot log in."),
                    ngettext("The link works for %(count)d day. Then you can register your organisation or "
                             "accept an invitation to one.",
                             "The link works for %(count)d days. Then you can register your organisation or "
                             "accept an invitation to one.", days) % {"count": days},
                    _("If it was not you, ignore this message: the account is deleted unless the address is "
                      "confirmed.")],
                "details": [(_("Login"), user.username)],
                "action": {"label": _("Confirm the address"), "url": link}}

    return build


def signup_address_taken(user):
    """Someone signed up with the address of `user`'s account: its owner is told, instead of the page."""
    return _plan(Kind.SIGNUP_ADDRESS_TAKEN, [Recipient(user.email, user.language, user)], {})


def _signup_address_taken_message(message):
    user = message.person
    if user is None or not user.is_active or not user.email:
        raise NothingToSend

    def build():
        site = settings.SITE_URL.rstrip("/")
        return {"subject": str(_("You already have an account")), "centre": None,
                "paragraphs": [
                    _("Someone, perhaps you, tried to create an account in the centre booking service with this "
                      "e-mail address. It already has an account, so no other was made."),
                    _("If you have forgotten your password, set a new one with the link below. If it was not you, "
                      "ignore this message: nothing has changed.")],
                "details": [(_("Login"), user.username)],
                "action": {"label": _("Set a new password"), "url": site + reverse("web:password_reset")}}

    return build


# --- Waitlist ----------------------------------------------------------------------------------------

def waitlist_offer(entry):
    """The offer of freed time to whoever put the organisation on the waitlist (its address if they have gone)."""
    recipients = _people([entry.created_by] if entry.created_by else [], entry.organisation.email)
    return _plan(Kind.WAITLIST_OFFER, recipients, {"entry": entry.pk, "offer": entry.offer_id},
                 booking=entry.offer, organisation=entry.organisation, person=entry.created_by,
                 reply_to=entry.resource.centre.email)


def _waitlist_offer_message(message):
    entry = (WaitlistEntry.objects.select_related("resource__centre", "organisation")
             .filter(pk=message.payload["entry"], offer_id=message.payload["offer"]).first())
    if entry is None:  # accepted, left or lapsed before the message went out: nothing to offer any more
        raise NothingToSend
    resource, organisation = entry.resource, entry.organisation
    centre = resource.centre
    hours = list(centre.opening_hours.all())

    def build():
        params = {"title": entry.title, "when": moment_label(entry.start, centre.tz),
                  "organisation": organisation.name, "resource": resource.name,
                  "until": moment_label(entry.offer_expires_at, centre.tz)}
        details = [(_("What"), entry.title), (_("Where"), f"{resource.name}, {centre.name}"),
                   (_("When"), span_label(entry.start, entry.end, centre.tz)), (_("Organisation"), organisation.name)]
        if entry.quantity > 1:
            details.append((_("Quantity"), str(entry.quantity)))
        link = settings.SITE_URL.rstrip("/") + reverse("web:waitlist_entry", args=[entry.pk])
        return {"subject": _("The time you waited for is free: %(title)s, %(when)s") % params,
                "paragraphs": [
                    _("The time that %(organisation)s is waiting for has freed, and it is held for you until "
                      "%(until)s. Accept the offer to book it; after that it passes to the next organisation "
                      "waiting.") % params,
                    _("Accepting books it by the centre's usual rules: a request that needs approval goes to the "
                      "staff.")],
                "details": details, "action": {"label": _("Accept or decline the offer"), "url": link},
                "centre": _centre_context(centre, hours)}

    return build


# How each kind of message is written: a function of the outbox row giving `build()`, or None if its subject
# is gone. `build()`, run in the recipient's language, gives the template context (subject, paragraphs,
# details, lists, action, centre) and, for booking messages, the calendar and its method.
RENDERERS = {
    **dict.fromkeys(BOOKING_TEXTS, _booking_message),
    **dict.fromkeys(SERIES_TEXTS, _series_message),
    Kind.ORGANISATION_VERIFIED: _organisation_verified_message,
    Kind.LETTER_RECEIVED: _letter_received_message,
    Kind.LETTER_REMINDER: _letter_reminder_message,
    Kind.ADDRESS_AGREEMENT: _address_agreement_message,
    Kind.AGREEMENT_ENDING: _agreement_ending_message,
    Kind.PASSWORD_RESET: _password_reset_message,
    Kind.INVITATION: _invitation_message,
    Kind.SIGNUP_CONFIRMATION: _signup_confirmation_message,
    Kind.SIGNUP_ADDRESS_TAKEN: _signup_address_taken_message,
    Kind.WAITLIST_OFFER: _waitlist_offer_message,
}
