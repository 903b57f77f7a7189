"""Resources created or updated from a CSV file (the `import_resources` command): every row is parsed and
validated first, and the file is imported whole or not at all."""
import csv
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .exceptions import RuleViolation
from .models import Resource
from .selectors import find_centre
from .services import check_resource_units, save_resource


def _text(value):
    return value.strip()


# The largest number a number column takes: PostgreSQL's `integer`, the narrowest column of the databases the
# service runs on, so that a file is accepted or refused alike on each.
LARGEST_NUMBER = 2_147_483_647
# The longest duration a duration column takes. The databases hold durations as 64-bit microseconds (about
# 292 years), Python's timedelta up to 999999999 days; a century is beyond any rule a centre needs.
LONGEST_DURATION = timedelta(days=36525)


class TooLarge(ValueError):
    """A number over what its column takes."""

    def __init__(self, maximum):
        super().__init__(maximum)
        self.maximum = maximum


def _optional_int(value, maximum=LARGEST_NUMBER):
    value = value.strip()
    if not value:
        return None
    number = int(value)
    if number < 0:
        raise ValueError
    if number > maximum:
        raise TooLarge(maximum)
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


def _duration_in(unit):
    """A parser of a whole number of `unit`s, up to LONGEST_DURATION."""
    def parse(value):
        number = _optional_int(value, maximum=LONGEST_DURATION // unit)
        return None if number is None else number * unit
    return parse


_minutes = _duration_in(timedelta(minutes=1))
_hours = _duration_in(timedelta(hours=1))
_days = _duration_in(timedelta(days=1))


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
    # No database column holds a NUL; a file full of them is usually UTF-16 ("Unicode text" in Excel).
    with_nul = [RowError(number, _("a NUL character: this is not a plain text file (save the spreadsheet as "
                                   "“CSV UTF-8”)")) for number, text_line in enumerate(lines, 1) if "\0" in text_line]
    if with_nul:
        raise ImportRejected(with_nul)
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = [column.strip().lower() for column in next(reader)]
    except csv.Error as error:
        raise ImportRejected([RowError(reader.line_num, _unreadable(error))]) from error
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
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # the reader cannot resynchronise: the rows read so far are still checked
            rows.append((reader.line_num, None, _unreadable(error)))
            break
        first_line, line = line + 1, reader.line_num
        if not any(value.strip() for value in record):
            continue
        if len(record) != len(header):
            rows.append((first_line, None, _("%(found)d values for %(expected)d columns")
                         % {"found": len(record), "expected": len(header)}))
        else:
            rows.append((first_line, dict(zip(header, record, strict=True)), None))
    return rows


def _unreadable(error):
    if "field limit" in str(error):  # the csv module's only signal for a value over csv.field_size_limit()
        return _("a value is longer than %(limit)d characters; the file is not read further") % {
            "limit": csv.field_size_limit()}
    return _("not valid CSV (%(error)s); the file is not read further") % {"error": error}


def _build_resource(values, centres):
    """An unsaved Resource (new or existing, matched by centre and name) from one row, or ValidationError."""
    try:
        centre = centres.get(values["centre"].strip()) or find_centre(values["centre"])
    except ValidationError:
        raise ValidationError({"centre": _("no centre “%(ref)s”") % {"ref": values["centre"].strip()}}) from None
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
        except TooLarge as too_large:
            errors[model_field] = [_("“%(value)s” is too large: %(expected)s up to %(maximum)d")
                                   % {"value": raw.strip(), "expected": expected, "maximum": too_large.maximum}]
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
                raise ImportRejected(
                    [RowError(line, f"{COLUMN_OF_FIELD[violation.field]}: {violation.message}")]) from violation
        if dry_run:
            transaction.set_rollback(True)
    return report
