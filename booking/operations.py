"""Operations run by the centre's IT helper from management commands: staff accounts, resource import,
booking export, and the booking side of the personal-data purge. The commands only parse and print."""
import csv
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ngo.signals import organisations_purged

from .exceptions import RuleViolation
from .models import Booking, BookingEvent, BookingSeries, Centre, FeedToken, Resource
from .services import check_resource_units, save_resource

STAFF_GROUP = "Centre staff"
# What the "Centre staff" group may do in the admin; the admin itself limits staff to their centres.
STAFF_PERMISSIONS = [
    ("booking", ["centre", "openinghours", "resource", "closure", "booking", "bookingseries", "bookingevent"]),
    ("ngo", ["organisation", "membership", "letter"]),
]
# ... and what they may only look at: the outgoing e-mails (what was sent, what failed and why).
STAFF_VIEW_PERMISSIONS = [("notifications", "view_outboxmessage")]


def find_centre(reference):
    """A centre by id, short name or full name (case-insensitive); ValidationError when none or several."""
    reference = str(reference).strip()
    query = Q(short_name__iexact=reference) | Q(name__iexact=reference)
    if reference.isdigit():
        query |= Q(pk=int(reference))
    centres = list(Centre.objects.filter(query)[:2])
    if len(centres) != 1:
        message = _("No centre is called “%(ref)s”.") if not centres else _("“%(ref)s” names more than one centre.")
        raise ValidationError(message % {"ref": reference}, code="unknown_centre")
    return centres[0]


# --- Staff accounts ------------------------------------------------------------------------------

def centre_staff_group():
    group, _created = Group.objects.get_or_create(name=STAFF_GROUP)
    for app_label, models in STAFF_PERMISSIONS:
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label,
                                                          content_type__model__in=models))
    for app_label, codename in STAFF_VIEW_PERMISSIONS:
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    return group


@transaction.atomic
def create_centre_staff(*, username, centres, email="", first_name="", last_name="", password=None):
    """Create a staff login for `centres` (admin access, the "Centre staff" group), or add an existing
    user to those centres' staff. Returns (user, created). A new user without `password` gets an
    unusable one and sets theirs through the password reset."""
    if not centres:
        raise ValidationError(_("Name at least one centre."), code="no_centre")
    if email:
        validate_email(email)
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.full_clean(exclude=["password"])
        if password:
            validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
    elif password:
        raise ValidationError(_("%(username)s already exists; their password is left as it is.")
                              % {"username": username}, code="user_exists")
    user.is_staff = True
    user.save()
    user.groups.add(centre_staff_group())
    for centre in centres:
        centre.staff.add(user)
    return user, created


# --- Resource import -----------------------------------------------------------------------------

def _text(value):
    return value.strip()


def _optional_int(value):
    value = value.strip()
    if not value:
        return None
    number = int(value)
    if number < 0:
        raise ValueError
    return number


def _boolean(value):
    value = value.strip().lower()
    if value in ("1", "true", "yes", "y", "tak", "t"):
        return True
    if value in ("0", "false", "no", "n", "nie"):
        return False
    raise ValueError


def _list(value):
    return [item.strip() for item in value.split(";") if item.strip()]


def _minutes(value):
    number = _optional_int(value)
    return None if number is None else timedelta(minutes=number)


def _hours(value):
    number = _optional_int(value)
    return None if number is None else timedelta(hours=number)


def _days(value):
    number = _optional_int(value)
    return None if number is None else timedelta(days=number)


# column -> (model field, parser, what the column expects). `centre`, `kind` and `name` are required.
RESOURCE_COLUMNS = {
    "centre": (None, _text, gettext_lazy("id, short name or name of the centre")),
    "kind": ("kind", _text, gettext_lazy("room, desk, locker, accommodation or equipment")),
    "name": ("name", _text, gettext_lazy("text")),
    "description": ("description", _text, gettext_lazy("text")),
    "capacity": ("capacity", _optional_int, gettext_lazy("a whole number of people")),
    "units": ("units", _optional_int, gettext_lazy("a whole number")),
    "amenities": ("amenities", _list, gettext_lazy("items separated by ;")),
    "booking_mode": ("booking_mode", _text, gettext_lazy("slots, days or nights; empty for the kind's default")),
    "requires_approval": ("requires_approval", _boolean, gettext_lazy("yes or no")),
    "min_minutes": ("min_duration", _minutes, gettext_lazy("a number of minutes")),
    "max_minutes": ("max_duration", _minutes, gettext_lazy("a number of minutes")),
    "slot_minutes": ("slot_length", _minutes, gettext_lazy("a number of minutes")),
    "buffer_minutes": ("buffer", _minutes, gettext_lazy("a number of minutes")),
    "notice_hours": ("minimum_notice", _hours, gettext_lazy("a number of hours")),
    "advance_days": ("advance_window", _days, gettext_lazy("a number of days")),
    "active": ("is_active", _boolean, gettext_lazy("yes or no")),
    "occupancy_public": ("occupancy_public", _boolean, gettext_lazy("yes or no")),
}
COLUMN_OF_FIELD = {model_field: column for column, (model_field, _p, _e) in RESOURCE_COLUMNS.items() if model_field}
REQUIRED_COLUMNS = ("centre", "kind", "name")
# Columns that must hold a value when present: the model has a default, not an empty value.
NOT_EMPTY = {"units", "slot_minutes", "buffer_minutes", "notice_hours", "advance_days", "requires_approval",
             "active", "occupancy_public"}


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self):
        return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


class ImportRejected(Exception):
    """The file has errors; nothing was imported."""

    def __init__(self, errors):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)


def _read_rows(text):
    """(line number, dict) per record; the header is line 1. `;` or `,` separated, as spreadsheets save."""
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        raise ImportRejected([RowError(1, _("The file is empty; the first line names the columns."))])
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [column.strip().lower() for column in next(reader)]
    unknown = [column for column in header if column not in RESOURCE_COLUMNS]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    errors = []
    if unknown:
        errors.append(RowError(1, _("unknown columns: %(columns)s (known: %(known)s)")
                               % {"columns": ", ".join(unknown), "known": ", ".join(RESOURCE_COLUMNS)}))
    if missing:
        errors.append(RowError(1, _("missing columns: %(columns)s") % {"columns": ", ".join(missing)}))
    if len(set(header)) != len(header):
        errors.append(RowError(1, _("a column appears twice")))
    if errors:
        raise ImportRejected(errors)
    rows = []
    line = reader.line_num
    for record in reader:
        first_line, line = line + 1, reader.line_num
        if not any(value.strip() for value in record):
            continue
        if len(record) != len(header):
            rows.append((first_line, None, _("%(found)d values for %(expected)d columns")
                         % {"found": len(record), "expected": len(header)}))
        else:
            rows.append((first_line, dict(zip(header, record)), None))
    return rows


def _build_resource(values, centres):
    """An unsaved Resource (new or existing, matched by centre and name) from one row, or ValidationError."""
    try:
        centre = centres.get(values["centre"].strip()) or find_centre(values["centre"])
    except ValidationError:
        raise ValidationError({"centre": _("no centre “%(ref)s”") % {"ref": values["centre"].strip()}})
    centres[values["centre"].strip()] = centre
    fields, errors = {}, {}
    for column, raw in values.items():
        model_field, parse, expected = RESOURCE_COLUMNS[column]
        if model_field is None:
            continue
        if column in NOT_EMPTY and not raw.strip():
            continue  # keep the default (or the existing value)
        try:
            fields[model_field] = parse(raw)
        except ValueError:
            errors[model_field] = [_("“%(value)s” is not %(expected)s") % {"value": raw.strip(),
                                                                            "expected": expected}]
    resource = Resource.objects.filter(centre=centre, name=fields.get("name", "")).first() \
        or Resource(centre=centre)
    for name, value in fields.items():
        setattr(resource, name, value)
    if not resource.booking_mode and resource.kind in Resource.DEFAULT_MODE:
        resource.booking_mode = Resource.DEFAULT_MODE[resource.kind]
    try:
        resource.full_clean(exclude=list(errors))
    except ValidationError as error:
        errors.update(error.message_dict)
    if not {"units", "buffer"} & errors.keys():
        try:
            check_resource_units(resource, units=resource.units, buffer=resource.buffer)
        except RuleViolation as violation:
            errors[violation.field] = [violation.message]
    if errors:
        raise ValidationError({COLUMN_OF_FIELD.get(name, name): messages for name, messages in errors.items()})
    return resource


def _describe(error):
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)


def import_resources(text, *, dry_run=False):
    """Create or update (by centre and name) the resources listed in CSV `text`.

    Every row is checked first; if any is wrong, ImportRejected lists them all by line and nothing is
    written. Otherwise all rows are saved in one transaction (rolled back again on `dry_run`).
    """
    errors, resources, seen = [], [], {}
    centres = {}
    for line, values, problem in _read_rows(text):
        if problem:
            errors.append(RowError(line, problem))
            continue
        try:
            resource = _build_resource(values, centres)
        except ValidationError as error:
            errors.append(RowError(line, _describe(error)))
            continue
        key = (resource.centre_id, resource.name.casefold())
        if key in seen:
            errors.append(RowError(line, _("“%(name)s” is already on line %(line)d")
                                   % {"name": resource.name, "line": seen[key]}))
            continue
        seen[key] = line
        resources.append((line, resource))
    if errors:
        raise ImportRejected(errors)
    report = ImportReport()
    with transaction.atomic():
        for line, resource in resources:
            (report.updated if resource.pk else report.created).append(resource)
            try:
                save_resource(resource)
            except RuleViolation as violation:  # booked meanwhile, past the check above
                raise ImportRejected([RowError(line, f"{COLUMN_OF_FIELD[violation.field]}: {violation.message}")])
        if dry_run:
            transaction.set_rollback(True)
    return report


# --- Booking export ------------------------------------------------------------------------------

EXPORT_COLUMNS = ["id", "centre", "resource", "kind", "organisation", "start", "end", "hours", "status", "title",
                  "attendees", "quantity", "created_at"]


def bookings_for_export(*, centre=None, start=None, end=None, statuses=()):
    """Bookings overlapping [start, end) (either may be None), oldest first, with what the CSV needs."""
    bookings = Booking.objects.select_related("resource__centre", "organisation").order_by("start", "pk")
    if centre is not None:
        bookings = bookings.filter(resource__centre=centre)
    if start is not None:
        bookings = bookings.filter(end__gt=start)
    if end is not None:
        bookings = bookings.filter(start__lt=end)
    if statuses:
        bookings = bookings.filter(status__in=statuses)
    return bookings


def local_day_start(day, centre=None):
    """Midnight of `day` in the centre's time zone (the project's when no centre is given)."""
    tz = centre.tz if centre is not None else timezone.get_default_timezone()
    return datetime.combine(day, time.min, tzinfo=tz)


def write_bookings_csv(bookings, out):
    """Write one row per booking to the text stream `out`; times in the centre's local time with offset."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for booking in bookings.iterator(chunk_size=500):
        tz = booking.resource.centre.tz
        writer.writerow([
            booking.pk, booking.resource.centre.name, booking.resource.name, booking.resource.kind,
            booking.organisation.name, booking.start.astimezone(tz).isoformat(),
            booking.end.astimezone(tz).isoformat(), round((booking.end - booking.start).total_seconds() / 3600, 2),
            booking.status, booking.title, booking.attendees, booking.quantity,
            booking.created_at.astimezone(tz).isoformat(timespec="seconds"),
        ])
        count += 1
    return count


# --- Personal-data purge (the booking side) ------------------------------------------------------

@receiver(organisations_purged, dispatch_uid="booking.scrub_purged_bookings")
def scrub_purged_bookings(sender, organisation_ids, user_ids, **kwargs):
    """Keep the purged organisations' bookings for the statistics (resource, times, status, numbers) but
    drop what may name people: titles, purposes, reasons, who booked; and revoke their calendar feeds."""
    FeedToken.objects.filter(Q(organisation_id__in=organisation_ids) | Q(owner_id__in=user_ids)).delete()
    bookings = Booking.objects.filter(organisation_id__in=organisation_ids)
    bookings.update(title=_("(removed)"), purpose="", public=False, created_by=None, override_reason="",
                    decision_reason="", cancellation_reason="")
    BookingSeries.objects.filter(organisation_id__in=organisation_ids).update(
        title=_("(removed)"), purpose="", created_by=None)
    BookingEvent.objects.filter(booking__organisation_id__in=organisation_ids).update(reason="")
