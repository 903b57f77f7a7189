"""The longest booking each mode allows is stored, and every calendar feed and e-mail that carries it still renders.

Every path bounds a booking's span (booking.rules.longest_span): one opening day of slots, BOOKING_MAX_DAYS days,
BOOKING_MAX_NIGHTS nights. Within those bounds nothing that shows a booking may fail.
"""
from datetime import datetime, timedelta

import pytest
from django.conf import settings

from booking.exceptions import RuleViolation
from booking.feeds import create_feed_token, resource_feed_url, token_feed_url
from booking.models import FeedToken, Resource
from booking.rules import is_open_day
from booking.services import approve_booking, cancel_booking
from notifications.tasks import remind
from tests import factories
from tests.factories import at
from tests.test_feeds import fetch
from tests.test_ical import events_of
from tests.test_notifications import html_of, invitation_of


def as_instant(moment, tz):
    """An event's start or end as an aware instant (all-day events start at the local midnight)."""
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment, datetime.min.time(), tzinfo=tz)


def longest(centre, mode, first_day):
    """A resource of `mode` and the longest [start, end) it can be booked for from `first_day`."""
    if mode == Resource.BookingMode.SLOTS:
        resource = factories.make_resource(centre, name="Sala szkoleniowa")
        return resource, at(first_day, 7), at(first_day, 18)  # the whole of a Tuesday's opening hours
    kind = Resource.Kind.LOCKER if mode == Resource.BookingMode.DAYS else Resource.Kind.ACCOMMODATION
    resource = factories.make_resource(centre, kind=kind, booking_mode=mode, capacity=None,
                                       advance_window=timedelta(days=60))
    if mode == Resource.BookingMode.DAYS:
        return resource, at(first_day, 0), at(first_day + timedelta(days=settings.BOOKING_MAX_DAYS), 0)
    nights = settings.BOOKING_MAX_NIGHTS
    while not is_open_day(resource, first_day + timedelta(days=nights), list(centre.opening_hours.all())):
        nights -= 1  # check-out falls on an open day
    check_in, check_out = centre.check_in_time, centre.check_out_time
    return resource, at(first_day, check_in.hour, check_in.minute), \
        at(first_day + timedelta(days=nights), check_out.hour, check_out.minute)


@pytest.mark.parametrize("mode", Resource.BookingMode.values)
def test_the_longest_booking_of_each_mode_shows_in_every_feed_and_email(
        client, mode, member, staff_user, centre, organisation, open_day, mailoutbox,
        django_capture_on_commit_callbacks):
    resource, start, end = longest(centre, mode, open_day)
    with pytest.raises(RuleViolation) as refusal:  # one day, one night or one slot more is too long
        factories.make_booking(actor=member, resource=resource, organisation=organisation, start=start,
                               end=end + (timedelta(minutes=30) if mode == Resource.BookingMode.SLOTS
                                          else timedelta(days=1)))
    assert refusal.value.code in {"too_long", "outside_opening_hours"}

    with django_capture_on_commit_callbacks(execute=True):
        booking = factories.make_booking(actor=member, resource=resource, organisation=organisation, start=start,
                                         end=end, title="Najdłuższa rezerwacja")
        approve_booking(booking=booking, actor=staff_user)
        remind(now=start - timedelta(days=1))
    feeds = [resource_feed_url(resource)]
    for scope, owner, target in ((FeedToken.Scope.ORGANISATION, member, {"organisation": organisation}),
                                 (FeedToken.Scope.PERSON, member, {}),
                                 (FeedToken.Scope.CENTRE, staff_user, {"centre": centre})):
        feeds.append(token_feed_url(create_feed_token(owner=owner, scope=scope, **target)[1]))
    uid = f"booking-{booking.pk}@127.0.0.1"
    tz = centre.tz

    for url in feeds:
        response = fetch(client, url)
        assert response.status_code == 200, url
        _summary, event_start, event_end, status, _sequence = events_of(response.content)[uid]
        assert (as_instant(event_start, tz), as_instant(event_end, tz), status) == (start, end, "CONFIRMED")

    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=booking, actor=member)
    for url in feeds:
        response = fetch(client, url)
        assert response.status_code == 200, url
        assert events_of(response.content)[uid][3] == "CANCELLED"

    kinds = [mail.subject for mail in mailoutbox]
    assert len(mailoutbox) == 5, kinds  # request (member, staff), confirmed, reminder, cancelled
    for mail in mailoutbox:
        assert "Najdłuższa rezerwacja" in mail.subject and html_of(mail)
        part, calendar = invitation_of(mail)
        if part is not None:
            [event] = calendar.events
            assert (as_instant(event.start, tz), as_instant(event.end, tz)) == (start, end)
