"""Purging personal data (GDPR storage limitation) of organisations that left the centre years ago.

An organisation's row stays, so that statistics (kind, bookings per resource and year) still add up; what
names or reaches people goes: its name and contacts, its members' links, its invitations, its letters, the
accounts of people who belonged to no other organisation, their logins (sessions, API tokens, calendar feeds,
failed logins), the e-mails about them and the admin's history of all of it.

`PERSONAL_DATA` is the one list of every model that holds personal data, and of how the purge reaches its
rows; `NO_PERSONAL_DATA` names the models that hold none, and why. tests/test_gdpr.py fails when a model or a
text field is in neither, and plants a distinctive string in every registered model to prove that the purge
leaves none behind. Rows the purge keeps are scrubbed here (organisations, people, the admin's log) or by
their own app in a receiver of `ngo.signals.organisations_purged` (bookings keep their times and numbers,
lose titles and reasons: booking.gdpr).
"""
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Membership, Organisation
from .signals import organisations_purged


@dataclass(frozen=True)
class Reach:
    """Whom a purge is about: the organisations, the people anonymised with them, and those people's logins
    (user names and e-mail addresses, as typed into a login form)."""

    organisation_ids: list
    user_ids: list
    logins: list


def _sessions_of(reach):
    """Sessions name their person only inside the signed data: decode each to find the purged people's."""
    user_ids = {str(pk) for pk in reach.user_ids}
    keys = [session.pk for session in Session.objects.iterator()
            if str(session.get_decoded().get("_auth_user_id")) in user_ids]
    return Session.objects.filter(pk__in=keys)


@dataclass(frozen=True)
class Personal:
    """The fields of a model that hold personal data, and how the purge finds the rows it must clear.

    `organisation`, `person` and `login` are lookups from the model to the purged organisation, to a purged
    person (the user) and to a login name typed by someone (matched ignoring case); `find` finds the rows
    otherwise. Rows found are deleted when `delete`, else scrubbed in place by the app that owns them.
    """

    fields: tuple
    organisation: str = ""
    person: str = ""
    login: str = ""
    find: Callable | None = None
    delete: bool = False

    def rows(self, model, reach):
        if self.find:
            return self.find(reach)
        found = []
        if self.organisation:
            found.append(Q(**{f"{self.organisation}__in": reach.organisation_ids}))
        if self.person:
            found.append(Q(**{f"{self.person}__in": reach.user_ids}))
        if self.login:
            found += [Q(**{f"{self.login}__iexact": login}) for login in reach.logins]
        if not found:
            return model._default_manager.none()
        return model._default_manager.filter(reduce(operator.or_, found))


_AXES = ("username", "ip_address", "user_agent", "http_accept", "path_info")

# Every model holding personal data (label: its personal fields and how the purge reaches its rows). Models of
# apps not installed are skipped, so that the optional ones (django-axes) can be listed here already. A model whose
# rows simply go with a purged organisation or person is one line, for example
# `"ngo.Invitation": Personal(("email",), organisation="organisation", delete=True)`.
PERSONAL_DATA = {
    "ngo.Organisation": Personal(("name", "krs", "contact_person", "email", "phone", "description",
                                  "status_reason"), organisation="pk"),
    "ngo.User": Personal(("username", "first_name", "last_name", "email", "phone"), person="pk"),
    "ngo.Letter": Personal(("sender", "description", "tracking_number", "collected_by_name"),
                          organisation="organisation", delete=True),
    "ngo.Invitation": Personal(("email",), organisation="organisation", delete=True),
    # Deleted with the organisation, as its letters are: the purge comes years after it left the address.
    "ngo.AddressAgreement": Personal(("number", "note", "refusal_reason"), organisation="organisation",
                                     delete=True),
    "booking.Booking": Personal(("title", "purpose", "override_reason", "decision_reason", "cancellation_reason"),
                                organisation="organisation"),
    "booking.BookingSeries": Personal(("title", "purpose", "skipped"), organisation="organisation"),
    "booking.BookingEvent": Personal(("reason",), organisation="booking__organisation"),
    "booking.WaitlistEntry": Personal(("title", "purpose"), organisation="organisation", person="created_by",
                                      delete=True),
    "booking.Appointment": Personal(("topic", "device"), organisation="booking__organisation"),
    "booking.DateOff": Personal(("reason",), person="consultant__user", delete=True),
    "booking.FeedToken": Personal(("name", "token_hash"), organisation="organisation", person="owner", delete=True),
    # The certificate names the organisation and its bookings' project; it goes with the purged organisation.
    "booking.InKindCertificate": Personal(("content", "project"), organisation="organisation", delete=True),
    "booking.LendingAgreement": Personal(("text", "title", "issuer"), organisation="organisation", delete=True),
    "booking.KeyHandover": Personal(("taken_by", "key"), organisation="booking__organisation", delete=True),
    "api.ApiToken": Personal(("key_hash",), person="user", delete=True),
    "notifications.OutboxMessage": Personal(("recipient", "reply_to", "payload", "subject", "body_text",
                                             "body_html", "calendar", "last_error"),
                                            organisation="organisation", person="person", delete=True),
    # Scrubbed wherever it is about a row that any other entry here reaches (`_scrub_admin_log`).
    "admin.LogEntry": Personal(("object_repr", "change_message")),
    "sessions.Session": Personal(("session_data",), find=_sessions_of, delete=True),
    "axes.AccessAttempt": Personal((*_AXES, "get_data", "post_data"), login="username", delete=True),
    "axes.AccessFailureLog": Personal(_AXES, login="username", delete=True),
    "axes.AccessLog": Personal((*_AXES, "session_hash"), login="username", delete=True),
}

# Text fields of the models above that hold no personal data. A field with `choices` holds one of the code's
# values, never a person's text, and needs no entry.
NOT_PERSONAL_FIELDS = {
    "ngo.User": {"password": "a salted hash; the purge makes it unusable"},
    "booking.BookingSeries": {"rrule": "a recurrence rule: weekdays, counts and dates only"},
    "notifications.OutboxMessage": {"calendar_method": "REQUEST or CANCEL"},
    "admin.LogEntry": {"object_id": "the primary key of the object changed"},
    "sessions.Session": {"session_key": "a random key; the row goes with its data"},
    "ngo.Invitation": {"token_hash": "a hash of a random token"},
}

# Models that hold no personal data, and why.
NO_PERSONAL_DATA = {
    "ngo.Membership": "a person's link to an organisation and a role; the purge deletes those of the organisation",
    "booking.Centre": "the centre's own address and office contacts",
    "booking.Hosting": "which centre hosts which organisation",
    "booking.OpeningHours": "weekdays and hours",
    "booking.Resource": "rooms, desks and lockers, described by the centre's staff; a consultant's agenda bears "
                        "their name, which the purge of that person removes (booking.gdpr)",
    "booking.Closure": "why the centre or a room is closed, written by staff about the centre",
    "booking.ConsultationService": "the consultations a centre offers, described by its staff",
    "booking.Consultant": "a person's link to a centre as consultant (the name is the account's; the purge renames "
                          "the agenda of a purged person: booking.gdpr)",
    "booking.DutyHours": "weekdays and hours",
    "booking.AccessibilityStatement": "the centre's statement, published by law with its accessibility contact; "
                                      "it names no organisation or member",
    "booking.AgreementTemplate": "the centre's agreement text with placeholders, written by staff",
    "booking.ResourceRate": "a resource's notional price from a date",
    "booking.DocumentDetails": "the centre's name, address and the official who signs its documents (the centre's "
                               "own public details, like its address)",
    "auth.Permission": "Django's permission names",
    "auth.Group": "roles defined by the centre (Centre staff)",
    "contenttypes.ContentType": "names of models",
    "axes.AccessAttemptExpiration": "when a failed-login record expires; deleted with it",
}


def registered_models():
    """(model, Personal) for every model in PERSONAL_DATA whose app is installed."""
    for label, personal in PERSONAL_DATA.items():
        try:
            yield apps.get_model(label), personal
        except LookupError:
            continue


@dataclass
class PurgeReport:
    cutoff: object
    organisations: list = field(default_factory=list)
    memberships: int = 0
    people: int = 0
    deleted: dict = field(default_factory=dict)

    @property
    def letters(self):
        return self.deleted.get("ngo.Letter", 0)


def organisations_due_for_purge(*, years, now=None):
    """Organisations removed more than `years` years ago whose data has not been purged yet."""
    if years < 1:
        raise ValueError("years must be at least 1")
    cutoff = (now or timezone.now()) - relativedelta(years=years)
    due = Organisation.objects.filter(removed_at__lt=cutoff).exclude(contact_person="", email="", phone="")
    return due, cutoff


def _people_left_alone(user_ids):
    """Accounts of people left without any organisation; centre staff and admins are kept as they are."""
    return list(get_user_model().objects.filter(
        pk__in=user_ids, memberships__isnull=True, is_staff=False, is_superuser=False, staffed_centres__isnull=True,
    ).distinct())


def _anonymise(person):
    person.username = f"removed-{person.pk}"
    person.first_name = person.last_name = person.email = person.phone = ""
    person.is_active = False
    person.set_unusable_password()
    person.save()


def _scrub_admin_log(reach):
    """The admin's log names what it changed (`object_repr`, the inline objects in `change_message`): keep who
    changed what and when, without the text, for every row the purge reaches."""
    for model, personal in registered_models():
        if model is LogEntry:
            continue
        text_pks = personal.rows(model, reach).annotate(text_pk=Cast("pk", models.TextField())).values("text_pk")
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model),
                                object_id__in=text_pks).update(object_repr=_("(removed)"), change_message="")


def purge_personal_data(*, years, dry_run=False, now=None):
    """Purge every organisation due (see `organisations_due_for_purge`) in one transaction, rolled back
    again on `dry_run` so that the report tells exactly what a real run would do."""
    due, cutoff = organisations_due_for_purge(years=years, now=now)
    report = PurgeReport(cutoff=cutoff)
    with transaction.atomic():
        organisations = list(due.select_for_update().order_by("removed_at", "pk"))
        report.organisations = [(o.pk, o.name, o.removed_at) for o in organisations]
        ids = [o.pk for o in organisations]
        memberships = Membership.objects.filter(organisation_id__in=ids)
        member_ids = set(memberships.values_list("user_id", flat=True))
        report.memberships, _details = memberships.delete()
        people = _people_left_alone(member_ids)
        reach = Reach(organisation_ids=ids, user_ids=[person.pk for person in people],
                      logins=sorted({login for person in people for login in (person.username, person.email) if login}))

        _scrub_admin_log(reach)
        for model, personal in registered_models():
            if personal.delete:
                report.deleted[model._meta.label], _details = personal.rows(model, reach).delete()
        for organisation in organisations:
            organisation.name = _("Removed organisation %(number)d") % {"number": organisation.pk}
            organisation.krs = organisation.contact_person = organisation.email = organisation.phone = ""
            organisation.description = organisation.status_reason = ""
            organisation.status_changed_by = None
            organisation.save()
        for person in people:
            _anonymise(person)
        report.people = len(people)
        organisations_purged.send(sender=Organisation, organisation_ids=ids, user_ids=reach.user_ids)
        if dry_run:
            transaction.set_rollback(True)
    return report


def purge_unconfirmed(*, days=None, dry_run=False, now=None):
    """Delete the accounts signed up on the site (ngo.signup) whose address is still unconfirmed `days` days
    (SIGNUP_UNCONFIRMED_DAYS) later, with whatever the purge above deletes with a person (the e-mails to them,
    failed logins by their address). Returns the deleted accounts' logins."""
    days = settings.SIGNUP_UNCONFIRMED_DAYS if days is None else days
    cutoff = (now or timezone.now()) - relativedelta(days=days)
    with transaction.atomic():
        people = list(get_user_model().objects.select_for_update().filter(
            ~Exists(Membership.objects.filter(user=OuterRef("pk"))),
            awaiting_confirmation_since__lt=cutoff, is_active=False, is_staff=False, is_superuser=False,
        ).order_by("pk"))
        reach = Reach(organisation_ids=[], user_ids=[person.pk for person in people],
                      logins=sorted({login for person in people for login in (person.username, person.email)}))
        for model, personal in registered_models():
            if personal.delete:
                personal.rows(model, reach).delete()
        for person in people:
            person.delete()
        if dry_run:
            transaction.set_rollback(True)
    return reach.logins
