from enum import StrEnum

from django.dispatch import Signal

# Sent inside the transaction that changes a booking, after its audit event is written:
# booking, from_status ("" on creation), actor, reason.
# Operations on a whole series (booking.series) send `series_changed` instead, once, not this per meeting.
booking_changed = Signal()

# Sent when `services.book` refuses a request (not a dry run) because something is in the way: conflict
# (the BookingConflict raised).
booking_conflict_refused = Signal()


class SeriesAction(StrEnum):
    CREATED = "created"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    UPDATED = "updated"  # title or purpose of the future meetings


# Sent once per operation on a series, inside its transaction, after the meetings' audit events are written:
# series, action (SeriesAction), bookings (the meetings it changed, by start, with resource, centre,
# organisation and created_by loaded), from_statuses (each meeting's status before; "" on creation), actor,
# reason, skipped (on creation: the booking.series.SkippedOccurrences not booked), from_date (on cancellation
# from a date on: that date; None when the whole series is cancelled and for the other actions).
series_changed = Signal()

# Sent inside the transaction that offers freed time to a waitlist entry (booking.waitlist), once the entry holds
# its offer: entry.
waitlist_offered = Signal()
