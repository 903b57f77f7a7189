from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from config import converters, health  # noqa: F401 (converters registers `<id:...>` for every URL file)
from ops.metrics import metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("api/", include("api.urls")),
    path("feeds/", include("api.feed_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
    prefix_default_language=False,
)

handler500 = "config.views.server_error"
