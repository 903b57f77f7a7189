"""Calendar feeds: /feeds/resource/<id>.ics and /feeds/<token>.ics (filled in by the feeds work)."""
app_name = "feeds"
urlpatterns = []
