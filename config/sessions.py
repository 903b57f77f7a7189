"""Database sessions that ignore malformed session cookies instead of handing them to the database."""
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    """Django's keys are ASCII letters and digits. Anything else is no session at all: a forged cookie with a
    NUL byte would otherwise reach PostgreSQL, which refuses it with an error, a 500 on every page."""

    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and key.isascii() and key.isalnum()
