"""Calendar feeds: /feeds/resource/<id>.ics (public occupancy) and /feeds/<token>.ics (secret-token feeds)."""
from django.urls import path

from . import feeds

app_name = "feeds"
urlpatterns = [
    path("resource/<id:pk>.ics", feeds.resource_feed, name="resource"),
    path("<str:token>.ics", feeds.token_feed, name="token"),
]
