"""The ways a booking (or a closure) can be refused. Every entry point (API, web, admin) turns these into answers."""
from ngo.exceptions import RuleViolation

__all__ = ["BookingConflict", "ClosureHitsBookings", "NotVisible", "RuleViolation"]


class BookingConflict(Exception):
    """The resource is taken: `conflicts` are the active bookings in the way."""

    code = "conflict"

    def __init__(self, conflicts, message=None):
        from django.utils.translation import gettext

        self.conflicts = list(conflicts)
        self.message = message or gettext("This time is already booked.")
        super().__init__(self.message)


class NotVisible(Exception):
    """A resource or an organisation named by id (`field`, `pk`) that the actor may not see, or that does not
    exist: one answer for both, so that a refusal tells nothing of what the caller may not see."""

    def __init__(self, field, pk):
        self.field, self.pk = field, pk
        super().__init__(f"{field} {pk}")


class ClosureHitsBookings(RuleViolation):
    """A closure would fall on active `bookings`, and staff have not (or not fully) decided what becomes of them.
    Every such refusal carries the bookings, so that the page can show them again beside the question."""

    def __init__(self, bookings, code="closure_hits_bookings", message=None, field="bookings"):
        from django.utils.translation import ngettext

        self.bookings = list(bookings)
        count = len(self.bookings)
        if message is None:
            message = ngettext(
                "The closure falls on %(count)d booking: cancel it or keep it.",
                "The closure falls on %(count)d bookings: cancel them or keep them.", count) % {"count": count}
        super().__init__(code, message, field)
