"""The correspondence register: letters that arrive at a centre's address for the organisations it hosts.

Staff of the centre log a letter, hand it to a named person (one of the organisation's members, or a name they
type) or send it back; members of the organisation see its letters. Who sees which letter is one question
(`visible_letters`), asked by the pages and the API alike; the staff's view is limited to their own centres, so a
letter for an organisation hosted by two centres is seen only by the staff of the centre where it arrived.

`ngo` does not import `booking`: the centre is reached through `Letter.centre` and `user.staffed_centres`.
"""
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import NotPermitted, RuleViolation
from .models import Letter, Membership, Organisation
from .signals import letter_received

TRACKED_KINDS = {Letter.Kind.REGISTERED, Letter.Kind.OFFICIAL, Letter.Kind.PARCEL}


def reminder_days():
    """After how many days a waiting letter is reminded to its organisation (once)."""
    return getattr(settings, "LETTER_REMINDER_DAYS", 14)


def return_days():
    """After how many days a waiting letter goes on the staff's "to return" list."""
    return getattr(settings, "LETTER_RETURN_DAYS", 30)


# --- Selectors ---------------------------------------------------------------------------------------

def staff_centres(user):
    """The centres whose letters `user` handles as staff."""
    return user.staffed_centres.all() if user.is_authenticated else user.staffed_centres.none()


def register_letters(user):
    """The letters in the registers of `user`'s centres (every letter for a superuser)."""
    if not user.is_authenticated:
        return Letter.objects.none()
    if user.is_superuser:
        return Letter.objects.all()
    return Letter.objects.filter(centre__staff=user)


def members_letters(user):
    """The letters of the organisations `user` belongs to."""
    if not user.is_authenticated:
        return Letter.objects.none()
    return Letter.objects.filter(organisation__in=Membership.objects.filter(user=user).values("organisation"))


def visible_letters(user):
    """Every letter `user` may see: their centres' registers and their organisations' letters."""
    if not user.is_authenticated:
        return Letter.objects.none()
    if user.is_superuser:
        return Letter.objects.all()
    return Letter.objects.filter(
        Q(centre__in=user.staffed_centres.values("pk"))
        | Q(organisation__in=Membership.objects.filter(user=user).values("organisation")))


def letters_to_collect(user):
    """The waiting letters of `user`'s organisations, oldest first, with their centre's opening hours."""
    return (members_letters(user).filter(status=Letter.Status.WAITING)
            .select_related("organisation", "centre").prefetch_related("centre__opening_hours")
            .order_by("organisation__name", "received_at", "pk"))


def letters_to_return(user, *, now=None):
    """Letters of `user`'s centres waiting longer than the return limit: they go back to their senders."""
    limit = (now or timezone.now()) - timedelta(days=return_days())
    return (register_letters(user).filter(status=Letter.Status.WAITING, received_at__lt=limit)
            .select_related("organisation", "centre").order_by("received_at", "pk"))


def filter_register(letters, *, centre=None, organisation=None, status="", received_from=None,
                    received_until=None, now=None):
    """The register's filters: `status` is a Letter.Status or "to_return" (waiting past the return limit); the
    days are the centre's local days (the installation's time zone when no centre is chosen), both included."""
    tz = centre.tz if centre is not None else timezone.get_default_timezone()
    if centre is not None:
        letters = letters.filter(centre=centre)
    if organisation is not None:
        letters = letters.filter(organisation=organisation)
    if status == "to_return":
        letters = letters.filter(status=Letter.Status.WAITING,
                                 received_at__lt=(now or timezone.now()) - timedelta(days=return_days()))
    elif status:
        letters = letters.filter(status=status)
    if received_from:
        letters = letters.filter(received_at__gte=datetime.combine(received_from, time(0), tzinfo=tz))
    if received_until:
        letters = letters.filter(received_at__lt=datetime.combine(received_until + timedelta(days=1), time(0),
                                                                  tzinfo=tz))
    return letters


def organisations_with_letters(user):
    """The organisations in `user`'s registers, for the register's filter."""
    return Organisation.objects.filter(pk__in=register_letters(user).values("organisation")).order_by("name")


def collector_suggestions(letters):
    """The names of the members of the letters' organisations, for the "collected by" box."""
    members = Membership.objects.filter(organisation__in=letters.values("organisation")).select_related("user")
    return sorted({membership.user.get_full_name() or membership.user.get_username() for membership in members})


def find_collector(letters, typed):
    """The member that `typed` names (full name or user name, any case) in every one of the letters'
    organisations; None when it names nobody, or more than one person."""
    typed = " ".join((typed or "").split()).casefold()
    if not typed:
        return None
    organisations = {letter.organisation_id for letter in letters}
    people = {}
    for membership in Membership.objects.filter(organisation__in=organisations).select_related("user"):
        user = membership.user
        if typed in {(user.get_full_name() or "").casefold(), user.get_username().casefold()}:
            people.setdefault(user.pk, [user, set()])[1].add(membership.organisation_id)
    found = [user for user, theirs in people.values() if theirs == organisations]
    return found[0] if len(found) == 1 else None


def loggable_organisations(centre):
    """The organisations a letter at `centre` may be for: those it hosts and that have not left."""
    return Organisation.objects.filter(centres=centre, removed_at__isnull=True).order_by("name")


def find_organisation(centre, typed):
    """The organisation hosted by `centre` that `typed` names: its KRS number, its exact name, or the label the
    form suggests ("Name (KRS 0000123456)"). None when nothing, or more than one, matches."""
    typed = " ".join((typed or "").split())
    if not typed:
        return None
    candidates = loggable_organisations(centre)
    if typed.isdigit():
        found = list(candidates.filter(krs=typed)[:2])
    else:
        found = [organisation for organisation in candidates.filter(name__iexact=typed)[:2]]
        if not found:
            found = [organisation for organisation in candidates if organisation_label(organisation) == typed]
    return found[0] if len(found) == 1 else None


def organisation_label(organisation):
    return f"{organisation.name} (KRS {organisation.krs})" if organisation.krs else organisation.name


# --- Rules -------------------------------------------------------------------------------------------

def is_centre_staff(user, centre) -> bool:
    return user.is_authenticated and (user.is_superuser or user.staffed_centres.filter(pk=centre.pk).exists())


def require_register_keeper(user, centre):
    if not is_centre_staff(user, centre):
        raise NotPermitted("not_centre_staff", _("Only the centre's staff keep its correspondence register."))


def require_letter_keeper(user, letter):
    if letter.centre_id is None:  # logged before letters had a centre: any centre hosting the organisation
        if user.is_superuser or staff_centres(user).filter(pk__in=letter.organisation.centres.values("pk")).exists():
            return
        raise NotPermitted("not_centre_staff", _("Only the centre's staff keep its correspondence register."))
    require_register_keeper(user, letter.centre)


def require_hosted(centre, organisation):
    if not organisation.centres.filter(pk=centre.pk).exists() or organisation.removed_at is not None:
        raise RuleViolation("not_hosted", _("This centre does not host %(organisation)s.")
                            % {"organisation": organisation.name}, "organisation")


def require_waiting(letter):
    if letter.status != Letter.Status.WAITING:
        raise RuleViolation("not_waiting", _("The letter from %(sender)s is no longer waiting: it was %(status)s.")
                            % {"sender": letter.sender, "status": letter.get_status_display()}, "letters")


def require_plausible_time(when, after, field):
    if when > timezone.now() + timedelta(minutes=5):
        raise RuleViolation("in_future", _("The time cannot be in the future."), field)
    # Times are typed to the minute: a letter logged at 10:15:40 may be collected "at 10:15".
    if after is not None and when < after.replace(second=0, microsecond=0):
        raise RuleViolation("before_arrival", _("The time cannot be before the letter arrived."), field)


def clean_tracking_number(kind, tracking_number):
    tracking_number = "".join((tracking_number or "").split()).upper()
    if kind == Letter.Kind.REGISTERED and not tracking_number:
        raise RuleViolation("tracking_number_required", _("A registered letter has a tracking number."),
                            "tracking_number")
    return tracking_number if kind in TRACKED_KINDS else ""


def received_time(centre, received_on, now=None):
    """When a letter received on `received_on` (the centre's local date) is logged as arrived: now when that is
    today, else the centre's midday that day (the hour is not known)."""
    now = now or timezone.now()
    if received_on is None:
        return now
    tz = centre.tz
    if received_on == timezone.localtime(now, tz).date():
        return now
    if received_on > timezone.localtime(now, tz).date():
        raise RuleViolation("in_future", _("The received date cannot be in the future."), "received_on")
    return datetime.combine(received_on, time(12), tzinfo=tz)


# --- Services ----------------------------------------------------------------------------------------

@transaction.atomic
def log_letter(*, actor, organisation, sender, centre=None, kind=Letter.Kind.ORDINARY, tracking_number="",
               description="", received_on=None, received_at=None):
    """Log a letter in `centre`'s register (by default the first of the actor's centres hosting the organisation);
    the organisation's coordinators get an e-mail after the commit."""
    if centre is None:
        centre = staff_centres(actor).filter(pk__in=organisation.centres.values("pk")).order_by("pk").first()
        if centre is None:
            raise NotPermitted("not_centre_staff",
                               _("Only the staff of a centre hosting the organisation log its correspondence."))
    require_register_keeper(actor, centre)
    require_hosted(centre, organisation)
    if kind not in Letter.Kind.values:
        raise RuleViolation("invalid_kind", _("Choose the kind of letter."), "kind")
    sender = " ".join((sender or "").split())
    if not sender:
        raise RuleViolation("sender_required", _("Give the sender."), "sender")
    tracking_number = clean_tracking_number(kind, tracking_number)
    if received_at is None:
        received_at = received_time(centre, received_on)
    letter = Letter.objects.create(organisation=organisation, centre=centre, logged_by=actor, sender=sender,
                                   kind=kind, tracking_number=tracking_number, description=description.strip(),
                                   received_at=received_at)
    letter_received.send(sender=Letter, letter=letter)
    return letter


@transaction.atomic
def collect_letters(*, actor, letters, member=None, name="", when=None):
    """Hand waiting letters to a person: `member` (one of each letter's organisation's members) or a typed
    `name`. All or none are marked."""
    when = when or timezone.now()
    name = " ".join((name or "").split())
    if member is None and not name:
        raise RuleViolation("collector_required", _("Say who collected the letters."), "collected_by")
    # Only the letters' rows are locked: the centre is a nullable (outer) join, which PostgreSQL cannot lock.
    letters = list(Letter.objects.select_for_update(of=("self",)).select_related("organisation", "centre")
                   .filter(pk__in=[letter.pk for letter in letters]).order_by("received_at", "pk"))
    if not letters:
        raise RuleViolation("no_letters", _("Choose the letters that were collected."), "letters")
    for letter in letters:
        require_letter_keeper(actor, letter)
        require_waiting(letter)
        require_plausible_time(when, letter.received_at, "collected_at")
        if member is not None and not Membership.objects.filter(user=member,
                                                                organisation=letter.organisation_id).exists():
            raise RuleViolation("not_a_member", _("%(person)s is not a member of %(organisation)s.") % {
                "person": member.get_full_name() or member.get_username(),
                "organisation": letter.organisation.name}, "collected_by")
    display = name or member.get_full_name() or member.get_username()
    for letter in letters:
        letter.status = Letter.Status.COLLECTED
        letter.collected_at = when
        letter.collected_by = member
        letter.collected_by_name = display
        letter.save(update_fields=["status", "collected_at", "collected_by", "collected_by_name"])
    return letters


@transaction.atomic
def return_letter(*, actor, letter, when=None):
    """The letter goes back to its sender (nobody collected it in time)."""
    when = when or timezone.now()
    letter = (Letter.objects.select_for_update(of=("self",)).select_related("organisation", "centre")
              .get(pk=letter.pk))
    require_letter_keeper(actor, letter)
    require_waiting(letter)
    require_plausible_time(when, letter.received_at, "returned_at")
    letter.status = Letter.Status.RETURNED
    letter.returned_at = when
    letter.save(update_fields=["status", "returned_at"])
    return letter
