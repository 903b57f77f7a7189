"""The framework floor's view (`bench.framework_floor`), with the project's URLs: the URLconf of
`bench.framework_settings`, served only by the bench's gunicorn."""
from django.db import IntegrityError, transaction
from django.urls import path
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from booking.models import Booking, BookingStatus, Resource
from config.urls import urlpatterns as project_urlpatterns


class FloorView(APIView):
    """Lock the resource, insert the booking, commit: the project's default DRF classes (token authentication,
    IsAuthenticated, the JSON parser and renderer, the throttle) and every middleware apply, nothing else."""

    def post(self, request):
        data = request.data
        try:
            with transaction.atomic():
                units, requires_approval = Resource.objects.select_for_update().values_list(
                    "units", "requires_approval").get(pk=data["resource"])
                booking = Booking.objects.create(
                    resource_id=data["resource"], organisation_id=data["organisation"], created_by=request.user,
                    title=data["title"], attendees=data.get("attendees", 1), start=data["start"], end=data["end"],
                    status=BookingStatus.PENDING if requires_approval else BookingStatus.CONFIRMED,
                    exclusive=units == 1)
        except IntegrityError:  # PostgreSQL's exclusion constraint refused an overlap
            return Response({"code": "conflict"}, status=status.HTTP_409_CONFLICT)
        return Response({"id": booking.pk}, status=status.HTTP_201_CREATED)


urlpatterns = [path("bench/floor/", FloorView.as_view()), *project_urlpatterns]
