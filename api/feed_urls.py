"""Calendar feeds: /feeds/resource/<id>.ics (public occupancy), /feeds/centre/<id>/public.ics (a centre's public
events; also as .rss and .atom) and /feeds/<token>.ics (secret-token feeds)."""
from django.urls import path

from . import feeds, syndication

app_name = "feeds"
urlpatterns = [
    path("resource/<id:pk>.ics", feeds.resource_feed, name="resource"),
    path("centre/<id:pk>/public.ics", feeds.centre_public_feed, name="centre_public"),
    path("centre/<id:pk>/public.rss", syndication.public_events_rss, name="centre_public_rss"),
    path("centre/<id:pk>/public.atom", syndication.public_events_atom, name="centre_public_atom"),
    path("<str:token>.ics", feeds.token_feed, name="token"),
]
