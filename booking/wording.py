"""A resource's kind in words: what the booking form asks ("How many lockers?") and how a booked quantity reads
("2 lockers"), in the active language. One wording for the booking form, the lists, the approval queue and the
e-mails (the template filters in `web` and the messages in `notifications` call these).

A room is booked by people who meet in it, so its form asks how many come; a locker, a desk, a bed or a piece of
equipment is booked by the piece, so its form asks how many pieces and not how many people.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .models import Resource

Kind = Resource.Kind


@dataclass(frozen=True)
class KindWords:
    how_many: str  # the booking form's question for the quantity
    quantity: str  # a booked quantity, a lazy plural keyed by "count": "%(count)d lockers"
    free: str  # what the week shows of a day: "Free lockers: %(free)d of %(total)d"
    title_help: str  # examples of a title
    asks_attendees: bool  # whether the form asks how many people come


WORDS = {
    Kind.ROOM: KindWords(
        how_many=_("How many rooms?"),
        free=_("Free rooms: %(free)d of %(total)d"),
        quantity=ngettext_lazy("%(count)d room", "%(count)d rooms", "count"),
        title_help=_("For example: board meeting, cooking workshop."),
        asks_attendees=True,
    ),
    Kind.DESK: KindWords(
        how_many=_("How many desks?"),
        free=_("Free desks: %(free)d of %(total)d"),
        quantity=ngettext_lazy("%(count)d desk", "%(count)d desks", "count"),
        title_help=_("For example: writing a grant application, advice hours for our members."),
        asks_attendees=False,
    ),
    Kind.LOCKER: KindWords(
        how_many=_("How many lockers?"),
        free=_("Free lockers: %(free)d of %(total)d"),
        quantity=ngettext_lazy("%(count)d locker", "%(count)d lockers", "count"),
        title_help=_("For example: materials for the summer camp, the choir's costumes."),
        asks_attendees=False,
    ),
    Kind.ACCOMMODATION: KindWords(
        how_many=_("How many beds?"),
        free=_("Free beds: %(free)d of %(total)d"),
        quantity=ngettext_lazy("%(count)d bed", "%(count)d beds", "count"),
        title_help=_("For example: guests of the youth exchange, trainers of the weekend course."),
        asks_attendees=False,
    ),
    Kind.EQUIPMENT: KindWords(
        how_many=_("How many pieces?"),
        free=_("Free pieces: %(free)d of %(total)d"),
        quantity=ngettext_lazy("%(count)d piece", "%(count)d pieces", "count"),
        title_help=_("For example: presentation at the general assembly, film screening."),
        asks_attendees=False,
    ),
}


def words(kind):
    """The words of a resource kind (a room's for a kind this module does not know)."""
    return WORDS.get(kind, WORDS[Kind.ROOM])


def quantity_text(kind, count):
    """'2 lockers', '5 szafek': `count` pieces of a resource of `kind`."""
    return words(kind).quantity % {"count": count}


def free_text(kind, free, total):
    """'Free lockers: 3 of 8': what is free of a resource of `kind` with `total` units."""
    return words(kind).free % {"free": free, "total": total}


def booked_quantity(booking):
    """'2 lockers' for a booking of a resource with several units; '' where only one can be booked."""
    resource = booking.resource
    return quantity_text(resource.kind, booking.quantity) if resource.units > 1 else ""


def asks_attendees(kind):
    return words(kind).asks_attendees


def attendees_unasked(kind, quantity):
    """The people of a booking whose form does not ask for them: one bed sleeps one person, else one comes."""
    return quantity if kind == Kind.ACCOMMODATION else 1
