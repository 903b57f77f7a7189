"""Member and staff web pages (filled in by the web pages work)."""
app_name = "booking"
urlpatterns = []
