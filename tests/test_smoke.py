from booking.models import Booking


def test_empty_database_has_no_bookings(db):
    assert Booking.objects.count() == 0
