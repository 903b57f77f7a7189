"""The two ways a booking can be refused. Every entry point (API, web, admin) turns these into answers."""


class RuleViolation(Exception):
    """A broken booking rule. `code` is machine-readable (`closed`, `too_long`...); `message` is translated."""

    def __init__(self, code, message, field=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class BookingConflict(Exception):
    """The resource is taken: `conflicts` are the active bookings in the way."""

    code = "conflict"

    def __init__(self, conflicts, message=None):
        from django.utils.translation import gettext

        self.conflicts = list(conflicts)
        self.message = message or gettext("This time is already booked.")
        super().__init__(self.message)
