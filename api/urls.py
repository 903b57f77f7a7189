from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter()
router.include_root_view = False
router.register("centres", views.CentreViewSet, basename="centre")
router.register("resources", views.ResourceViewSet, basename="resource")
router.register("bookings", views.BookingViewSet, basename="booking")
router.register("series", views.SeriesViewSet, basename="series")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("feeds", views.FeedViewSet, basename="feed")
router.register("waitlist", views.WaitlistViewSet, basename="waitlist")
router.register("consultations", views.ConsultationServiceViewSet, basename="consultation")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("certificates", views.CertificateViewSet, basename="certificate")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("letters", views.LetterViewSet, basename="letter")
router.register("address-agreements", views.AddressAgreementViewSet, basename="address-agreement")

urlpatterns = [
    path("v1/auth/token/", views.TokenView.as_view(), name="token"),
    path("v1/invitations/accept/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", views.not_found),  # anything else under /api/, newlines in the path included
]
