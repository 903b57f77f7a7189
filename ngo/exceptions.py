"""One exception for a broken rule and one for a refused permission, raised by the services of `ngo` and
`booking` alike, so that the API and the pages turn every refusal into an answer the same way."""
from django.core.exceptions import PermissionDenied


class RuleViolation(Exception):
    """A broken rule. `code` is machine-readable (`closed`, `too_long`, `krs_taken`...); `message` is translated;
    `field` names the input it is about, if any."""

    def __init__(self, code, message, field=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotPermitted(PermissionDenied):
    """The actor may not do or see this. Django's PermissionDenied (a 403 everywhere) with a machine `code`."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message
