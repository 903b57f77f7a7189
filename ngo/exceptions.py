"""One exception for a broken rule, raised by the services of `ngo` and `booking` alike, so that the API and the
pages turn every refusal into an answer the same way."""


class RuleViolation(Exception):
    """A broken rule. `code` is machine-readable (`closed`, `too_long`, `krs_taken`...); `message` is translated;
    `field` names the input it is about, if any."""

    def __init__(self, code, message, field=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
