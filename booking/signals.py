from django.dispatch import Signal

# Sent inside the transaction that changes a booking, after its audit event is written:
# booking, from_status ("" on creation), actor, reason.
booking_changed = Signal()
