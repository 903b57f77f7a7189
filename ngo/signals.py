from django.dispatch import Signal

# Sent inside the transaction that changes an organisation's status: organisation, actor.
organisation_status_changed = Signal()
# Sent inside the transaction that logs a letter: letter.
letter_received = Signal()
