"""REST API v1 (DESIGN §4). Views pick what the caller may see, hand over to the services and shape the answer.

A caller who may not see an object gets 404: every detail route looks objects up in the caller's
visible queryset (booking.selectors), so another organisation's booking does not even exist for them.
"""
import re

from django.contrib.auth import authenticate, get_user_model
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes, schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from booking import services, waitlist
from booking.availability import resource_availability
from booking.consultations import book_appointment, cancel_appointment
from booking.documents import agreement_file_name, agreement_pdf, certificate_file_name, certificate_pdf
from booking.duty import free_times
from booking.feeds import create_feed_token, revoke_feed_token
from booking.models import Centre, Closure, FeedToken
from booking.selectors import (
    OccupancyAccess,
    offered_consultations,
    staffed_centres,
    title_visibility,
    topic_visibility,
    visible_appointments,
    visible_bookings,
    visible_certificates,
    visible_lending_agreements,
    visible_organisations,
    visible_resources,
    visible_series,
    visible_waitlist_entries,
)
from booking.series import approve_series, cancel_series, reject_series, update_series_details
from config.converters import ID_PATTERN
from config.replicas import replica_for
from ngo import services as ngo_services
from ngo.agreements import (
    approve_agreement,
    change_end,
    create_agreement,
    refuse_agreement,
    request_agreement,
    visible_agreements,
)
from ngo.exceptions import NotPermitted
from ngo.letters import collect_letters, log_letter, register_letters, return_letter, visible_letters
from ngo.models import Letter
from ngo.selectors import pending_invitations

from . import serializers as s
from .authentication import HashedTokenAuthentication, issue_token
from .filters import BookingFilter, ResourceFilter
from .models import ApiToken
from .schema import BOOKING_CREATE_EXAMPLES

DRY_RUN = OpenApiParameter(
    "dry_run", OpenApiTypes.BOOL, description=_("Answer which dates would be booked and which refused, and write "
                                                "nothing."),
)


class ApiViewSet(viewsets.GenericViewSet):
    def answer(self, serializer_class, instance, status_code=status.HTTP_200_OK, **context):
        serializer = serializer_class(instance, context={**self.get_serializer_context(), **context})
        return Response(serializer.data, status=status_code)

    def input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- Centres and resources (anyone) ----------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary=_("Centres with their opening hours and upcoming closures")),
    retrieve=extend_schema(summary=_("One centre")),
)
class CentreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    permission_classes = [AllowAny]
    serializer_class = s.CentreSerializer

    def get_queryset(self):
        upcoming = Closure.objects.filter(end__gt=timezone.now()).order_by("start", "pk")
        return Centre.objects.order_by("name", "pk").prefetch_related(
            "opening_hours", Prefetch("closures", queryset=upcoming, to_attr="upcoming_closures"))


@extend_schema_view(
    list=extend_schema(summary=_("Resources: rooms, desks, lockers, beds, equipment"), parameters=[
        OpenApiParameter("available_from", OpenApiTypes.DATETIME, description=_(
            "With available_to: only resources free for the whole interval. Without an offset it is read in the "
            "time zone of the `centre` filter's centre, or the site's.")),
        OpenApiParameter("available_to", OpenApiTypes.DATETIME, description=_(
            "End of the interval of available_from, at most 92 days after it.")),
        OpenApiParameter("min_capacity", OpenApiTypes.INT,
                         description=_("Resources holding at least this many people.")),
    ]),
    retrieve=extend_schema(summary=_("One resource")),
)
class ResourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    permission_classes = [AllowAny]
    serializer_class = s.ResourceSerializer
    filterset_class = ResourceFilter

    def get_queryset(self):
        return visible_resources(self.request.user).select_related("centre").order_by("centre_id", "kind", "name", "pk")

    @extend_schema(
        summary=_("Free and busy intervals of a resource"),
        description=_("Busy intervals show a title only where the caller may see it (public bookings, "
                      "their organisations' bookings, their centres' bookings for staff). Where the centre keeps "
                      "a resource's occupancy private, only its staff and members of verified organisations may "
                      "ask; others get 403 with the code `occupancy_not_public`."),
        parameters=[s.AvailabilityQuerySerializer],
        responses=s.AvailabilitySerializer,
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def availability(self, request, pk=None):
        with replica_for(request):  # config/replicas.py
            resource = self.get_object()
            OccupancyAccess(request.user).require(resource)
            query = s.AvailabilityQuerySerializer(data=request.query_params,
                                                  context={"time_zone": resource.centre.tz})
            query.is_valid(raise_exception=True)
            when = query.validated_data
            availability = resource_availability(resource, when["start"], when["end"],
                                                 title_visible=title_visibility(request.user))
            return self.answer(s.AvailabilitySerializer, availability)


# --- Bookings (members, staff) ---------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary=_("Bookings: members see their organisations', staff their centres'"), parameters=[
        OpenApiParameter("start", OpenApiTypes.DATETIME, description=_(
            "Bookings that end after this time (without an offset: the site's time zone).")),
        OpenApiParameter("end", OpenApiTypes.DATETIME, description=_(
            "Bookings that start before this time (without an offset: the site's time zone).")),
    ]),
    retrieve=extend_schema(summary=_("One booking with its history"), responses=s.BookingDetailSerializer),
)
class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.BookingSerializer
    filterset_class = BookingFilter

    def get_queryset(self):
        bookings = visible_bookings(self.request.user).order_by("start", "pk")
        if self.action == "list":
            return bookings
        return bookings.prefetch_related("events")

    def get_serializer_class(self):
        return s.BookingSerializer if self.action == "list" else s.BookingDetailSerializer

    @extend_schema(
        summary=_("Book a resource for an organisation"),
        description=_("Confirmed at once, or pending until staff approve it where the resource requires approval. "
                      "A broken rule answers 400 with the rule's code; a taken time 409 with the conflicts: send the "
                      "same request (without `recurrence`) to `POST /api/v1/waitlist/` to wait for it."),
        request=s.BookingCreateSerializer,
        parameters=[DRY_RUN],
        responses={
            201: PolymorphicProxySerializer(
                component_name="CreatedBookingOrSeries", resource_type_field_name=None,
                serializers=[s.BookingDetailSerializer, s.SeriesSerializer],
            ),
            200: OpenApiResponse(s.DryRunSerializer, description=_(
                "With `?dry_run=1`: the dates that would be booked or refused; nothing is written.")),
            400: OpenApiResponse(s.SeriesRefusalSerializer, description=_(
                "A broken rule; with a `recurrence`, also the dates that cannot be booked.")),
            409: OpenApiResponse(s.SeriesConflictSerializer, description=_(
                "The time is taken; with a `recurrence`, also the dates that cannot be booked.")),
        },
        examples=BOOKING_CREATE_EXAMPLES,
    )
    def create(self, request):
        dry_run = request.query_params.get("dry_run", "").lower() in {"1", "true", "yes"}
        result = services.book(actor=request.user, dry_run=dry_run, **self.input(s.BookingCreateSerializer))
        if result.dry_run:
            return self.answer(s.DryRunSerializer, {
                "dry_run": True, "mode": result.series and result.series.mode,
                "rrule": result.series and result.series.rrule, "refused": result.refused,
                "occurrences": s.occurrence_reports(result.bookings, result.skipped, request.user),
            })
        if result.series is not None:
            return self.answer(s.SeriesSerializer, result.series, status.HTTP_201_CREATED)
        return self.answer(s.BookingDetailSerializer, result.booking, status.HTTP_201_CREATED)

    @extend_schema(summary=_("Cancel a booking"), request=s.CancelSerializer, responses=s.BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = self.input(s.CancelSerializer)
        booking = services.cancel_booking(booking=self.get_object(), actor=request.user, reason=data["reason"])
        return self.answer(s.BookingDetailSerializer, booking)

    @extend_schema(summary=_("Approve a pending booking (staff of its centre)"), request=s.ReasonSerializer,
                   responses=s.BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = self.input(s.ReasonSerializer)
        booking = services.approve_booking(booking=self.get_object(), actor=request.user, reason=data["reason"])
        return self.answer(s.BookingDetailSerializer, booking)

    @extend_schema(summary=_("Reject a pending booking (staff of its centre)"), request=s.RejectSerializer,
                   responses=s.BookingDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = self.input(s.RejectSerializer)
        booking = services.reject_booking(booking=self.get_object(), actor=request.user, reason=data["reason"])
        return self.answer(s.BookingDetailSerializer, booking)


# --- Series (members, staff) ----------------------------------------------------------------

@extend_schema_view(retrieve=extend_schema(summary=_("One booking series with its meetings")))
class SeriesViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """A recurring booking. Members see their organisations' series, staff their centres'."""

    serializer_class = s.SeriesSerializer

    def get_queryset(self):
        return visible_series(self.request.user).order_by("pk")

    @extend_schema(summary=_("Change the title or purpose of every future meeting of a series"),
                   request=s.SeriesDetailsSerializer, responses=s.SeriesSerializer)
    def partial_update(self, request, pk=None):
        series = self.get_object()
        data = self.input(s.SeriesDetailsSerializer)
        update_series_details(series=series, actor=request.user, title=data.get("title"),
                                              purpose=data.get("purpose"))
        series.refresh_from_db()
        return self.answer(s.SeriesSerializer, series)

    @extend_schema(summary=_("Cancel a series, or its meetings from a date on"), request=s.SeriesCancelSerializer,
                   responses=s.SeriesSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        series = self.get_object()
        data = self.input(s.SeriesCancelSerializer)
        cancel_series(series=series, actor=request.user, reason=data["reason"],
                                      from_date=data.get("from"))
        return self.answer(s.SeriesSerializer, series)

    @extend_schema(summary=_("Approve every pending meeting of a series (staff of its centre)"),
                   request=s.ReasonSerializer, responses=s.SeriesSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        series = self.get_object()
        data = self.input(s.ReasonSerializer)
        approve_series(series=series, actor=request.user, reason=data["reason"])
        return self.answer(s.SeriesSerializer, series)

    @extend_schema(summary=_("Reject every pending meeting of a series (staff of its centre)"),
                   request=s.RejectSerializer, responses=s.SeriesSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        series = self.get_object()
        data = self.input(s.RejectSerializer)
        reject_series(series=series, actor=request.user, reason=data["reason"])
        return self.answer(s.SeriesSerializer, series)


# --- Organisations (members, coordinators, staff) --------------------------------------------

USER_ID = OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The member's id."))
INVITATION_ID = OpenApiParameter("invitation_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                 description=_("The invitation's id."))


@extend_schema_view(
    list=extend_schema(summary=_("Organisations: members see theirs, staff those their centres host")),
    retrieve=extend_schema(summary=_("One organisation")),
)
class OrganisationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.OrganisationSerializer

    def get_queryset(self):
        return visible_organisations(self.request.user).prefetch_related("centres").order_by("name", "pk")

    @extend_schema(summary=_("Register an organisation"),
                   description=_("It starts unverified, with the caller as its coordinator, until staff verify it."),
                   responses={201: s.OrganisationSerializer})
    def create(self, request):
        organisation = ngo_services.register_organisation(actor=request.user, **self.input(s.OrganisationSerializer))
        return self.answer(s.OrganisationSerializer, organisation, status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary=_("The organisation's members"), responses=s.MemberSerializer(many=True))
    @extend_schema(
        methods=["POST"], summary=_("Invite a person by e-mail (coordinators, staff of the hosting centres)"),
        description=_("Sends an invitation to the address; the person joins only by accepting it, logged in (the "
                      "link in the e-mail, or `POST /invitations/accept/`). The answer is 202 and the same whether "
                      "or not the address has an account. A pending invitation to the same address is replaced."),
        request=s.InviteSerializer, responses={202: s.InvitationSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def members(self, request, pk=None):
        organisation = self.get_object()
        if request.method == "POST":
            invitation = ngo_services.invite_member(organisation=organisation, actor=request.user,
                                                    **self.input(s.InviteSerializer))
            return self.answer(s.InvitationSerializer, invitation, status.HTTP_202_ACCEPTED)
        page = self.paginate_queryset(organisation.memberships.select_related("user").order_by("created_at", "pk"))
        return self.get_paginated_response(s.MemberSerializer(page, many=True).data)

    @extend_schema(methods=["PATCH"], summary=_("Change a member's role (coordinators, staff of the hosting centres)"),
                   parameters=[USER_ID], request=s.MemberRoleSerializer, responses=s.MemberSerializer)
    @extend_schema(methods=["DELETE"], summary=_("Remove a member (coordinators, staff), or leave (the member)"),
                   parameters=[USER_ID], request=None, responses={204: None})
    @action(detail=True, methods=["patch", "delete"], url_path=rf"members/(?P<user_id>{ID_PATTERN})",
            filter_backends=[])
    def member(self, request, pk=None, user_id=None):
        organisation = self.get_object()
        membership = get_object_or_404(organisation.memberships.select_related("organisation", "user"),
                                       user_id=user_id)
        if request.method == "PATCH":
            membership = ngo_services.set_member_role(membership=membership, actor=request.user,
                                                      **self.input(s.MemberRoleSerializer))
            return self.answer(s.MemberSerializer, membership)
        ngo_services.remove_member(membership=membership, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary=_("Invitations waiting for an answer (coordinators, staff of the hosting centres)"),
                   responses=s.InvitationSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def invitations(self, request, pk=None):
        organisation = self.get_object()
        ngo_services.require_member_manager(request.user, organisation)
        page = self.paginate_queryset(pending_invitations(organisation))
        return self.get_paginated_response(s.InvitationSerializer(page, many=True).data)

    @extend_schema(summary=_("Revoke an invitation (coordinators, staff of the hosting centres)"),
                   parameters=[INVITATION_ID], request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=rf"invitations/(?P<invitation_id>{ID_PATTERN})",
            filter_backends=[])
    def revoke_invitation(self, request, pk=None, invitation_id=None):
        organisation = self.get_object()
        ngo_services.require_member_manager(request.user, organisation)
        invitation = get_object_or_404(organisation.invitations.select_related("organisation"), pk=invitation_id)
        ngo_services.revoke_invitation(invitation=invitation, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary=_("Verify or suspend an organisation (staff)"), request=s.OrganisationStatusSerializer,
                   responses=s.OrganisationSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def verify(self, request, pk=None):
        data = self.input(s.OrganisationStatusSerializer)
        organisation = ngo_services.set_organisation_status(organisation=self.get_object(), actor=request.user,
                                                            status=data["status"], reason=data["reason"])
        return self.answer(s.OrganisationSerializer, organisation)


class InvitationAcceptView(APIView):
    """The person signed in accepts an invitation sent to them."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary=_("Accept an invitation (the person invited, signed in)"),
                   request=s.AcceptInvitationSerializer, responses=s.MemberSerializer,
                   description=_("The token is the end of the link in the invitation e-mail. A link works once; one "
                                 "used, revoked or expired is refused with `invitation_invalid`."))
    def post(self, request):
        serializer = s.AcceptInvitationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = ngo_services.accept_invitation(actor=request.user, **serializer.validated_data)
        return Response(s.MemberSerializer(membership).data)


# --- Waitlist (members, staff) ---------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary=_("Waitlist entries: members see their organisations', staff their centres'")),
    retrieve=extend_schema(summary=_("One waitlist entry")),
    destroy=extend_schema(summary=_("Leave the waitlist"), description=_(
        "An offer the entry held passes to the next organisation waiting.")),
)
class WaitlistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    """Waiting for a taken time: when it frees, the first organisation waiting whose request fits gets an offer by
    e-mail, held for WAITLIST_OFFER_HOURS (12 unless configured), then passed to the next."""

    serializer_class = s.WaitlistEntrySerializer

    def get_queryset(self):
        return visible_waitlist_entries(self.request.user).order_by("start", "pk")

    @extend_schema(summary=_("Join the waitlist for a taken time"),
                   description=_("Exactly the interval and quantity given. Only for a time that is taken: a free "
                                 "time answers 400 `time_is_free`; any other booking rule answers as a booking "
                                 "would. An organisation waits for at most WAITLIST_MAX_PER_ORGANISATION times "
                                 "(10 unless configured)."),
                   request=s.WaitlistEntryCreateSerializer, responses={201: s.WaitlistEntrySerializer})
    def create(self, request):
        entry = waitlist.join_waitlist(actor=request.user, **self.input(s.WaitlistEntryCreateSerializer))
        return self.answer(s.WaitlistEntrySerializer, entry, status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        waitlist.leave_waitlist(actor=self.request.user, entry=instance)

    @extend_schema(summary=_("Accept the offer: book the freed time"),
                   description=_("Books through the same rules as `POST /api/v1/bookings/`: a rule may still refuse "
                                 "it (400 with the reason), and then the offer stays held until it lapses. Without "
                                 "an offer, or after it lapsed: 400 `no_offer`."),
                   request=None, responses={201: s.BookingDetailSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        result = waitlist.accept_offer(actor=request.user, entry=self.get_object())
        return self.answer(s.BookingDetailSerializer, result.booking, status.HTTP_201_CREATED)


# --- Calendar feeds (members, staff) ---------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary=_("My calendar feeds (without their secret URLs)")),
    retrieve=extend_schema(summary=_("One of my calendar feeds")),
    destroy=extend_schema(summary=_("Revoke a calendar feed")),
)
class FeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    serializer_class = s.FeedSerializer

    def get_queryset(self):
        return FeedToken.objects.filter(owner_id=self.request.user.pk, revoked_at__isnull=True) \
            .order_by("-created_at", "-pk")

    @extend_schema(summary=_("Create a calendar feed"),
                   description=_("The answer carries the secret URL; it is never shown again."),
                   request=s.FeedCreateSerializer, responses={201: s.NewFeedSerializer})
    def create(self, request):
        feed, raw_token = create_feed_token(owner=request.user, **self.input(s.FeedCreateSerializer))
        return self.answer(s.NewFeedSerializer, feed, status.HTTP_201_CREATED, raw_token=raw_token)

    def perform_destroy(self, instance):
        revoke_feed_token(feed=instance, actor=self.request.user)


# --- The correspondence register ------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary=_("Letters: staff see their centres' registers, members their organisations'"),
                       parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=Letter.Status.values),
                                   OpenApiParameter("organisation", OpenApiTypes.INT)]),
    retrieve=extend_schema(summary=_("One letter")),
)
class LetterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.LetterSerializer

    def get_queryset(self):
        return visible_letters(self.request.user).order_by("-received_at", "-pk")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        status_, organisation = self.request.query_params.get("status"), self.request.query_params.get("organisation")
        # Given means given: an empty value is refused as the schema says, not read as "any".
        if status_ is not None:
            if status_ not in Letter.Status.values:
                raise ValidationError({"status": [_("Choose one of: %(values)s.")
                                                  % {"values": ", ".join(Letter.Status.values)}]})
            queryset = queryset.filter(status=status_)
        if organisation is not None:
            if not re.fullmatch(r"[0-9]{1,12}", organisation):
                raise ValidationError({"organisation": [_("An organisation's id is a number.")]})
            queryset = queryset.filter(organisation=organisation)
        return queryset

    @extend_schema(summary=_("Log a letter (staff of a centre hosting the organisation)"),
                   request=s.LetterCreateSerializer, responses={201: s.LetterSerializer})
    def create(self, request):
        data = self.input(s.LetterCreateSerializer)
        if not visible_organisations(request.user).filter(pk=data["organisation"].pk).exists():
            raise NotFound()
        letter = log_letter(actor=request.user, **data)
        return self.answer(s.LetterSerializer, letter, status.HTTP_201_CREATED)

    @extend_schema(summary=_("Mark waiting letters collected (staff)"),
                   description=_("All the letters or none; each must be in one of your centres' registers."),
                   request=s.LetterCollectSerializer, responses=s.LetterSerializer(many=True))
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def collect(self, request):
        data = self.input(s.LetterCollectSerializer)
        letters = list(register_letters(request.user).select_related("organisation").filter(pk__in=data["letters"]))
        if len(letters) != len(set(data["letters"])):
            raise NotFound()
        member = None
        if data["member"] is not None:
            member = get_object_or_404(get_user_model(), pk=data["member"],
                                       memberships__organisation__in={letter.organisation_id for letter in letters})
        letters = collect_letters(actor=request.user, letters=letters, member=member, name=data["name"],
                                  when=data["collected_at"])
        return Response(s.LetterSerializer(letters, many=True, context=self.get_serializer_context()).data)

    @extend_schema(summary=_("The letter went back to its sender (staff)"), request=None,
                   responses=s.LetterSerializer)
    @action(detail=True, methods=["post"], url_path="return", filter_backends=[])
    def return_to_sender(self, request, pk=None):
        letter = self.get_object()  # members see their letters, and are refused by the service
        return self.answer(s.LetterSerializer, return_letter(actor=request.user, letter=letter))


# --- Address agreements ----------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary=_("Address agreements: staff see their centres', members their organisations'")),
    retrieve=extend_schema(summary=_("One address agreement")),
)
class AddressAgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.AddressAgreementSerializer

    def get_queryset(self):
        return visible_agreements(self.request.user).order_by("-starts_on", "-pk")

    def _visible_organisation(self, organisation):
        if not visible_organisations(self.request.user).filter(pk=organisation.pk).exists():
            raise NotFound()

    @extend_schema(summary=_("Sign an agreement (staff of a centre hosting the organisation)"),
                   request=s.AddressAgreementCreateSerializer, responses={201: s.AddressAgreementSerializer})
    def create(self, request):
        data = self.input(s.AddressAgreementCreateSerializer)
        self._visible_organisation(data["organisation"])
        if data["centre"] is None:
            data["centre"] = staffed_centres(request.user).filter(
                hosted_organisations=data["organisation"]).order_by("pk").first()
            if data["centre"] is None:
                raise NotPermitted("not_centre_staff", _("Only the centre's staff manage its address agreements."))
        data["starts_on"] = data["starts_on"] or timezone.localdate()
        agreement = create_agreement(actor=request.user, **data)
        return self.answer(s.AddressAgreementSerializer, agreement, status.HTTP_201_CREATED)

    @extend_schema(summary=_("Ask for the centre's address (the organisation's coordinators)"),
                   request=s.AddressAgreementCreateSerializer, responses={201: s.AddressAgreementSerializer})
    @action(detail=False, methods=["post"], url_path="request", filter_backends=[], pagination_class=None)
    def ask(self, request):
        data = self.input(s.AddressAgreementCreateSerializer)
        self._visible_organisation(data["organisation"])
        agreement = request_agreement(actor=request.user, **data)
        return self.answer(s.AddressAgreementSerializer, agreement, status.HTTP_201_CREATED)

    @extend_schema(summary=_("Approve a request (staff): it is numbered"), request=None,
                   responses=s.AddressAgreementSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        return self.answer(s.AddressAgreementSerializer,
                           approve_agreement(actor=request.user, agreement=self.get_object()))

    @extend_schema(summary=_("Refuse a request (staff), with the reason"), request=s.ReasonSerializer,
                   responses=s.AddressAgreementSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def refuse(self, request, pk=None):
        agreement = self.get_object()
        reason = self.input(s.ReasonSerializer).get("reason", "")
        return self.answer(s.AddressAgreementSerializer,
                           refuse_agreement(actor=request.user, agreement=agreement, reason=reason))

    @extend_schema(summary=_("Extend or end an agreement (staff): its new last day"),
                   request=s.AgreementEndSerializer, responses=s.AddressAgreementSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def end(self, request, pk=None):
        agreement = self.get_object()
        ends_on = self.input(s.AgreementEndSerializer)["ends_on"]
        return self.answer(s.AddressAgreementSerializer,
                           change_end(actor=request.user, agreement=agreement, ends_on=ends_on))


# --- Authentication --------------------------------------------------------------------------

class TokenView(APIView):
    """Sign in with username and password for a token; DELETE signs the token out."""

    authentication_classes = [HashedTokenAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(summary=_("Get an API token"), request=s.TokenRequestSerializer, responses=s.TokenSerializer,
                   auth=[], description=_("Send it as `Authorization: Token <token>`. It works for "
                                          "API_TOKEN_TTL_DAYS days (30 unless configured); an expired token is "
                                          "refused with 401 and the code `token_expired`. Throttled per address. After "
                                          "LOGIN_FAILURE_LIMIT wrong passwords (5 unless configured) for one username "
                                          "or from one address, every login there is refused with 429 and the code "
                                          "`locked_out` for LOGIN_LOCKOUT_MINUTES (15) after the last try."))
    def post(self, request):
        serializer = s.TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request._request, **serializer.validated_data)
        if user is None:
            raise ValidationError({"password": [_("Wrong username or password.")]}, code="invalid_credentials")
        return Response(s.TokenSerializer({"token": issue_token(user)}).data)

    @extend_schema(summary=_("Revoke the token this request is signed with"), request=None, responses={204: None},
                   description=_("Signs this token out; other tokens of the person stay valid."))
    def delete(self, request):
        if isinstance(request.auth, ApiToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
@schema(None)
def not_found(request):
    """Unknown paths under /api/ answer in the API's error shape too."""
    raise NotFound()


# --- Consultations ----------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary=_("Consultation services: IT help, legal advice, NGO counselling")),
    retrieve=extend_schema(summary=_("One consultation service")),
)
class ConsultationServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    permission_classes = [AllowAny]
    serializer_class = s.ConsultationServiceSerializer

    def get_queryset(self):
        return offered_consultations()

    @extend_schema(
        summary=_("Free appointment times of a service, soonest first"),
        description=_("From now to the service's horizon: the consultants' duty hours, less dates off, closures, "
                      "public holidays and booked appointments."),
        parameters=[s.FreeTimesQuerySerializer],
        responses=s.FreeTimeSerializer(many=True),
    )
    @action(detail=True, url_path="free-times", filter_backends=[], pagination_class=None)
    def free_times(self, request, pk=None):
        service = self.get_object()
        query = s.FreeTimesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        times = free_times(service, day=query.validated_data.get("day"))
        wanted = query.validated_data.get("consultant")
        rows = [{"start": time.start, "end": time.end,
                 "consultants": [{"id": person.pk, "name": person.name} for person in time.consultants]}
                for time in times if wanted is None or any(person.pk == wanted for person in time.consultants)]
        return Response(s.FreeTimeSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(summary=_("Appointments: your organisations', your own as a consultant, your centres' as "
                                 "staff (topics only where you may read them)")),
    retrieve=extend_schema(summary=_("One appointment")),
)
class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.AppointmentSerializer

    def get_queryset(self):
        return visible_appointments(self.request.user).order_by("booking__start", "pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "topic_visible": topic_visibility(self.request.user)}

    @extend_schema(
        summary=_("Book a consultation appointment"),
        description=_("At one of the free times, with the named consultant or whoever is free. A broken rule "
                      "answers 400 with the rule's code (`not_on_duty`, `topic_required`, `device_required`, "
                      "`too_far_ahead`, ...); a taken time 409."),
        request=s.AppointmentCreateSerializer,
        responses={201: s.AppointmentSerializer, 400: s.ErrorSerializer, 409: s.ConflictErrorSerializer},
    )
    def create(self, request):
        appointment = book_appointment(actor=request.user, **self.input(s.AppointmentCreateSerializer))
        appointment = self.get_queryset().get(pk=appointment.pk)
        return self.answer(s.AppointmentSerializer, appointment, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Cancel an appointment"),
        description=_("Its organisation's members before it starts, its consultant, or the centre's staff (saying "
                      "why); both sides get the cancellation e-mail."),
        request=s.CancelSerializer,
        responses={200: s.AppointmentSerializer, 400: s.ErrorSerializer, 403: s.ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        appointment = self.get_object()
        cancel_appointment(actor=request.user, appointment=appointment, **self.input(s.CancelSerializer))
        return self.answer(s.AppointmentSerializer, self.get_queryset().get(pk=appointment.pk))


# --- In-kind certificates -------------------------------------------------------------------

class JsonErrorsNegotiation(BaseContentNegotiation):
    """The PDF download answers a PDF whatever the client accepts (`Accept: application/pdf` included), and a
    refusal in the API's one JSON error shape."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(summary=_("In-kind certificates: members see their organisations', staff their centres'")),
    retrieve=extend_schema(summary=_("One certificate with its figures")),
)
class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.CertificateSerializer

    def get_queryset(self):
        return visible_certificates(self.request.user).select_related("replaces").order_by("-issued_at", "-pk")

    @extend_schema(summary=_("The certificate as a PDF (A4), in Polish or English"),
                   parameters=[OpenApiParameter("lang", OpenApiTypes.STR, enum=["pl", "en"],
                                                description=_("Language of the document; by default the one it "
                                                              "was issued in."))],
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, content_negotiation_class=JsonErrorsNegotiation)
    def pdf(self, request, pk=None):
        certificate = self.get_object()
        language = request.query_params.get("lang") or certificate.language
        if language not in ("pl", "en"):
            raise ValidationError({"lang": [_("Choose pl or en.")]})
        return HttpResponse(certificate_pdf(certificate, language), content_type="application/pdf", headers={
            "Content-Disposition": content_disposition_header(True, certificate_file_name(certificate, language))})



@extend_schema_view(
    list=extend_schema(summary=_("Lending agreements: members see their organisations', staff their centres'")),
    retrieve=extend_schema(summary=_("One lending agreement with its text")),
)
class AgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.AgreementSerializer

    def get_queryset(self):
        return visible_lending_agreements(self.request.user).order_by("-issued_at", "-pk")

    @extend_schema(summary=_("The agreement as a PDF (A4)"), responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, content_negotiation_class=JsonErrorsNegotiation)
    def pdf(self, request, pk=None):
        agreement = self.get_object()
        return HttpResponse(agreement_pdf(agreement), content_type="application/pdf", headers={
            "Content-Disposition": content_disposition_header(True, agreement_file_name(agreement))})
