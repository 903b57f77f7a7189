"""The two ways a booking can be refused. Every entry point (API, web, admin) turns these into answers."""
from ngo.exceptions import RuleViolation

__all__ = ["BookingConflict", "RuleViolation"]


class BookingConflict(Exception):
    """The resource is taken: `conflicts` are the active bookings in the way."""

    code = "conflict"

    def __init__(self, conflicts, message=None):
        from django.utils.translation import gettext

        self.conflicts = list(conflicts)
        self.message = message or gettext("This time is already booked.")
        super().__init__(self.message)
