"""A centre's public events as RSS 2.0 and Atom (Django's syndication framework), for the centre's own website and
residents' feed readers: what the public agenda page shows, the same selection (`upcoming_public_events`).

Like the calendar feeds (`api/feeds.py`): no login, the FEED_RATE throttle, public caching for 15 minutes, and an
ETag of the body, so that an unchanged feed answers 304.
"""
import hashlib

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from booking.formatting import span_label
from booking.ical import booking_uid
from booking.models import Centre
from booking.selectors import upcoming_public_events

from .feeds import PUBLIC_MAX_AGE, throttled


class PublicEventsRss(Feed):
    feed_type = Rss201rev2Feed

    def get_object(self, request, pk):
        return get_object_or_404(Centre, pk=pk)

    def title(self, centre):
        return _("%(centre)s: public events") % {"centre": centre.name}

    def link(self, centre):
        return reverse("web:public_agenda", args=[centre.pk])

    def description(self, centre):
        return _("Open events at %(centre)s, %(address)s.") % {"centre": centre.name, "address": centre.address}

    def items(self, centre):
        return upcoming_public_events(centre, now=timezone.now())

    def item_title(self, booking):
        return booking.title

    def item_description(self, booking):
        # Feed readers read the description as HTML: the organisation's words go in escaped.
        centre = booking.resource.centre
        return escape(" · ".join((span_label(booking.start, booking.end, centre.tz), booking.resource.name,
                                  booking.organisation.name)))

    def item_link(self, booking):
        return f"{reverse('web:public_agenda', args=[booking.resource.centre_id])}#event-{booking.pk}"

    def item_guid(self, booking):
        return booking_uid(booking)

    item_guid_is_permalink = False

    def item_author_name(self, booking):
        return booking.organisation.name

    def item_pubdate(self, booking):
        return booking.created_at

    def item_updateddate(self, booking):
        return booking.updated_at


class PublicEventsAtom(PublicEventsRss):
    feed_type = Atom1Feed
    subtitle = PublicEventsRss.description


def _cached(feed):
    """`feed` answering 304 to a client holding its current body, cached publicly like the calendar feeds."""

    @require_safe
    @throttled
    def view(request, pk):
        response = feed(request, pk=pk)
        etag = f'W/"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        response = get_conditional_response(request, etag=etag, response=response)
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response

    return view


public_events_rss = _cached(PublicEventsRss())
public_events_atom = _cached(PublicEventsAtom())
