"""Who may see what. Every list the API, the pages and the feeds show starts from one of these."""
from datetime import timedelta
from functools import cached_property

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Case, F, Min, Q, Value, When
from django.utils.translation import gettext as _

from ngo.exceptions import NotPermitted
from ngo.models import Membership, Organisation
from ngo.selectors import is_member

from .localtime import week_of
from .models import (
    ACTIVE_STATUSES,
    Appointment,
    Booking,
    BookingSeries,
    BookingStatus,
    Centre,
    Consultant,
    ConsultationService,
    Hosting,
    InKindCertificate,
    LendingAgreement,
    Resource,
    WaitlistEntry,
)

PUBLIC_AGENDA_DAYS = 92  # how far ahead the public agenda and its RSS/Atom feeds look
PUBLIC_AGENDA_LIMIT = 200  # events at most on the agenda page and in its feeds


def is_centre_staff(user, centre) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return centre.staff.filter(pk=user.pk).exists()


def staffed_centres(user):
    if not user.is_authenticated:
        return Centre.objects.none()
    if user.is_superuser:
        return Centre.objects.all()
    return Centre.objects.filter(staff=user)


def centres_with_statements():
    """The centres, each with its accessibility statement (`centre.accessibility_statement`, missing where none)."""
    return Centre.objects.select_related("accessibility_statement").order_by("name")


def find_centre(reference):
    """A centre by id, short name or full name (case-insensitive); ValidationError when none or several."""
    reference = str(reference).strip()
    query = Q(short_name__iexact=reference) | Q(name__iexact=reference)
    if reference.isdigit():
        query |= Q(pk=int(reference))
    centres = list(Centre.objects.filter(query)[:2])
    if len(centres) != 1:
        message = _("No centre is called “%(ref)s”.") if not centres else _("“%(ref)s” names more than one centre.")
        raise ValidationError(message % {"ref": reference}, code="unknown_centre")
    return centres[0]


def visible_resources(user):
    """Active resources for everyone; inactive ones also for their centre's staff. Consultants' agendas are not
    among them: they are booked as consultations (`consultations.py`), not from the resource pages."""
    resources = Resource.objects.exclude(kind=Resource.Kind.CONSULTANT)
    if user.is_authenticated and user.is_superuser:
        return resources
    return resources.filter(Q(is_active=True) | Q(centre__in=staffed_centres(user)))


def member_organisation_ids(user):
    return Membership.objects.filter(user=user).values("organisation_id")


def organisation_bookings(user):
    """The bookings of the organisations `user` belongs to ("our bookings"), whoever made them."""
    return Booking.objects.filter(organisation_id__in=member_organisation_ids(user)).exclude(
        status=BookingStatus.OFFERED)


def visible_bookings(user):
    """Members see their organisations' bookings, staff their centres', a superuser all."""
    if not user.is_authenticated:
        return Booking.objects.none()
    # An offer held for the waitlist is not a booking yet: its organisation sees it as its waitlist entry.
    bookings = Booking.objects.exclude(status=BookingStatus.OFFERED)
    if user.is_superuser:
        return bookings
    return bookings.filter(
        Q(organisation_id__in=member_organisation_ids(user))
        | Q(resource__centre_id__in=Centre.objects.filter(staff=user).values("pk"))
    )


def visible_waitlist_entries(user):
    """Waitlist entries, seen by the same people as bookings: members their organisations', staff their centres'."""
    if not user.is_authenticated:
        return WaitlistEntry.objects.none()
    if user.is_superuser:
        return WaitlistEntry.objects.all()
    return WaitlistEntry.objects.filter(
        Q(organisation_id__in=member_organisation_ids(user))
        | Q(resource__centre_id__in=Centre.objects.filter(staff=user).values("pk"))
    )


def organisation_waitlist(user):
    """The waitlist entries of the organisations `user` belongs to ("our bookings"), by start."""
    return WaitlistEntry.objects.filter(organisation_id__in=member_organisation_ids(user)).select_related(
        "resource__centre", "organisation").order_by("start", "pk")


def visible_series(user):
    """Booking series, seen by the same people as their bookings."""
    if not user.is_authenticated:
        return BookingSeries.objects.none()
    if user.is_superuser:
        return BookingSeries.objects.all()
    return BookingSeries.objects.filter(
        Q(organisation_id__in=member_organisation_ids(user))
        | Q(resource__centre_id__in=Centre.objects.filter(staff=user).values("pk"))
    )


def approval_requests(centres):
    """The requests awaiting the staff of `centres`, oldest first: a row per single booking and a row per series
    (its pending meetings are one request), as `{"series_id", "booking_id", "requested_at"}` (booking_id 0 for a
    series). One grouped query, to be paginated and then loaded by `requests_to_approve`."""
    pending = Booking.objects.filter(status=BookingStatus.PENDING, resource__centre__in=centres)
    return pending.values(
        "series_id", booking_id=Case(When(series__isnull=True, then=F("pk")), default=Value(0)),
    ).annotate(requested_at=Min("created_at"), first_pk=Min("pk")).order_by("requested_at", "first_pk")


def requests_to_approve(rows):
    """The bookings and series of `approval_requests` rows, in the rows' order, in one query.

    A series carries its pending meetings, by start, in `meetings`.
    """
    rows = list(rows)
    series_ids = {row["series_id"] for row in rows if row["series_id"]}
    booking_ids = [row["booking_id"] for row in rows if not row["series_id"]]
    bookings = Booking.objects.filter(
        Q(pk__in=booking_ids) | Q(series_id__in=series_ids, status=BookingStatus.PENDING),
    ).select_related("resource__centre", "organisation", "created_by", "series__resource__centre",
                     "series__organisation", "series__created_by").order_by("start", "pk")
    singles, series = {}, {}
    for booking in bookings:
        if booking.series_id in series_ids:
            if booking.series_id not in series:
                series[booking.series_id] = booking.series
                booking.series.meetings = []
            series[booking.series_id].meetings.append(booking)
        else:
            singles[booking.pk] = booking
    requests = []
    for row in rows:
        request = series.get(row["series_id"]) if row["series_id"] else singles.get(row["booking_id"])
        if request is not None:  # decided between the two queries
            request.requested_at = row["requested_at"]
            requests.append(request)
    return requests


def visible_organisations(user):
    """Members see their organisations; staff also those their centres host (they look after them)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    hosted = Hosting.objects.filter(centre__staff=user).values("organisation_id")
    return Organisation.objects.filter(Q(pk__in=member_organisation_ids(user)) | Q(pk__in=hosted))


def can_book_for(actor, organisation, centre, *, actor_is_member=None) -> bool:
    """Members book for their organisation; a centre's staff also for the organisations the centre hosts.
    `actor_is_member`, when the caller has read it already, saves asking `is_member` again."""
    if is_member(actor, organisation) if actor_is_member is None else actor_is_member:
        return True
    return is_centre_staff(actor, centre) and (
        actor.is_superuser or Hosting.objects.filter(centre=centre, organisation=organisation).exists())


def bookable_organisations(actor, centre):
    """The organisations `actor` books for at `centre`: their own, and for the centre's staff those it hosts; none
    that has left the centre. (What the booking form offers; the booking rules decide all the same.)"""
    organisations = Organisation.objects.filter(removed_at__isnull=True)
    if actor.is_authenticated and actor.is_superuser:
        return organisations
    own = Q(pk__in=member_organisation_ids(actor))
    if is_centre_staff(actor, centre):
        return organisations.filter(own | Q(pk__in=Hosting.objects.filter(centre=centre).values("organisation_id")))
    return organisations.filter(own)


def last_booked_organisation(user, organisations):
    """Of `organisations`, the one `user` booked for most recently (their latest booking's), or None: what the
    booking form preselects for someone in several organisations."""
    by_pk = {organisation.pk: organisation for organisation in organisations}
    if not user.is_authenticated or not by_pk:
        return None
    latest = Booking.objects.filter(created_by=user, organisation_id__in=by_pk).order_by(
        "-created_at", "-pk").values_list("organisation_id", flat=True).first()
    return by_pk.get(latest)


def title_visibility(user):
    """A function telling whether `user` may read a booking's title: public ones, and those they may see.

    Computed once per request, so that checking many bookings costs no further queries.
    """
    if not user.is_authenticated:
        return lambda booking: booking.public
    if user.is_superuser:
        return lambda booking: True
    organisation_ids = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    centre_ids = set(user.staffed_centres.values_list("pk", flat=True))
    return lambda booking: (
        booking.public or booking.organisation_id in organisation_ids or booking.resource.centre_id in centre_ids
    )


def public_face(booking):
    """What a page or feed for everyone shows of `booking`, as `(title, organisation name)`: both where the
    organisation made the booking public, else `(None, None)` (the page says "Booking" instead). The one rule for
    the reception screen, the public agenda and its feeds; it is `title_visibility`'s rule for someone not logged in.
    """
    if title_visibility(AnonymousUser())(booking):
        return booking.title, booking.organisation.name
    return None, None


def published_bookings(centre):
    """The bookings that `centre` shows to everyone by name (public agenda, its feeds): marked public by their
    organisation, of the centre's active resources whose occupancy it publishes. Any status: callers choose."""
    resources = OccupancyAccess(AnonymousUser()).filter(Resource.objects.filter(centre=centre, is_active=True))
    return Booking.objects.filter(resource__in=resources, public=True)


def upcoming_public_events(centre, *, now, days=PUBLIC_AGENDA_DAYS, limit=PUBLIC_AGENDA_LIMIT):
    """The public agenda: confirmed public bookings at `centre` not yet over, starting within `days`, by start; at
    most `limit`, with their resource and organisation loaded (one query)."""
    return list(published_bookings(centre).filter(
        status=BookingStatus.CONFIRMED, end__gt=now, start__lt=now + timedelta(days=days),
    ).select_related("resource__centre", "organisation").order_by("start", "pk")[:limit])


def visible_conflicts(actor, bookings):
    """The bookings in the way of a request, by start, as `{"start", "end", "title"}` with the title only where
    `actor` may see it: what the API and the pages show of a refusal."""
    visible = title_visibility(actor)
    return [{"start": booking.start, "end": booking.end, "title": booking.title if visible(booking) else None}
            for booking in sorted(bookings, key=lambda booking: (booking.start, booking.pk or 0))]


class OccupancyAccess:
    """Whose occupancy (when it is busy, and so when free) `user` may see: every resource with `occupancy_public`;
    a resource whose centre keeps it private only for its centre's staff and for members of a verified
    organisation, who book and need its free times (they still read only their own bookings' titles, by
    `title_visibility`). Anyone else sees its opening hours and closures, not its bookings.

    Call it with a resource, or `filter` a queryset of resources down to those. Public resources cost no query;
    the first private one costs one or two, once per request.
    """

    def __init__(self, user):
        self.user = user

    @cached_property
    def _everywhere(self):
        user = self.user
        return user.is_authenticated and (user.is_superuser or Membership.objects.filter(
            user=user, organisation__status=Organisation.Status.VERIFIED).exists())

    @cached_property
    def _centre_ids(self):
        return frozenset(staffed_centres(self.user).values_list("pk", flat=True))

    def __call__(self, resource):
        return resource.occupancy_public or self._everywhere or resource.centre_id in self._centre_ids

    def require(self, resource):
        """Refuse (NotPermitted, `occupancy_not_public`) to show who booked `resource` when, if the actor may not."""
        if not self(resource):
            raise NotPermitted("occupancy_not_public", _("The centre does not publish when this resource is booked."))

    def filter(self, resources):
        if self._everywhere:
            return resources
        return resources.filter(Q(occupancy_public=True) | Q(centre__in=staffed_centres(self.user)))


def add_other_bookings_that_week(user, pending):
    """Set `others_that_week` on each pending request: its organisation's other active bookings in the same local
    week that `user` may see, for staff to weigh the request (one query)."""
    weeks = {}
    condition = Q(pk__in=[])
    for booking in pending:
        tz = booking.resource.centre.tz
        weeks[booking.pk] = week_of(booking.start, tz)
        start, end = weeks[booking.pk]
        condition |= Q(organisation_id=booking.organisation_id, start__lt=end, end__gt=start)
    others = list(visible_bookings(user).filter(condition, status__in=ACTIVE_STATUSES)
                  .select_related("resource__centre").order_by("start"))
    for booking in pending:
        start, end = weeks[booking.pk]
        booking.others_that_week = [other for other in others if other.pk != booking.pk
                                    and other.organisation_id == booking.organisation_id
                                    and other.start < end and other.end > start]


# --- Consultations ----------------------------------------------------------------------------------------------

def offered_consultations():
    """The consultation services offered now, with their centres, by centre and name."""
    return ConsultationService.objects.filter(is_active=True).select_related("centre").order_by(
        "centre__name", "name", "pk")


def own_consultant_roles(user):
    """The consultant roles of `user` (one per centre where they give consultations)."""
    if not user.is_authenticated:
        return Consultant.objects.none()
    return Consultant.objects.filter(user=user, is_active=True).select_related("centre", "resource", "user")


def visible_appointments(user):
    """Appointments seen by the people who see their bookings, and by the consultant whose agenda holds them."""
    if not user.is_authenticated:
        return Appointment.objects.none()
    appointments = Appointment.objects.select_related(
        "booking__resource__centre", "booking__organisation", "service__centre", "consultant__user")
    if user.is_superuser:
        return appointments
    return appointments.filter(Q(booking__in=visible_bookings(user)) | Q(consultant__user=user))


def topic_visibility(user):
    """A function telling whether `user` may read an appointment's topic (and device): the organisation's members,
    the consultant, and the centre's staff, except for legal advice, whose topics only the organisation and the
    consultant read (superusers included in neither by rank). Computed once per request."""
    if not user.is_authenticated:
        return lambda appointment: False
    organisation_ids = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    centre_ids = set(staffed_centres(user).values_list("pk", flat=True))

    def visible(appointment):
        if appointment.booking.organisation_id in organisation_ids or appointment.consultant.user_id == user.pk:
            return True
        return not appointment.service.topic_confidential and appointment.service.centre_id in centre_ids

    return visible


def visible_certificates(user):
    """In-kind certificates: members see their organisations', staff their centres', a superuser all."""
    if not user.is_authenticated:
        return InKindCertificate.objects.none()
    certificates = InKindCertificate.objects.select_related("centre", "organisation")
    if user.is_superuser:
        return certificates
    return certificates.filter(Q(organisation_id__in=member_organisation_ids(user))
                               | Q(centre_id__in=Centre.objects.filter(staff=user).values("pk")))


def certificate_organisations(user):
    """The organisations staff may issue certificates for: those their centres host or that booked there."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    centres = Centre.objects.filter(staff=user).values("pk")
    return Organisation.objects.filter(
        Q(pk__in=Hosting.objects.filter(centre__in=centres).values("organisation_id"))
        | Q(pk__in=Booking.objects.filter(resource__centre__in=centres).values("organisation_id")))


def organisation_certificates(user):
    """The certificates of the organisations `user` belongs to (their page)."""
    return InKindCertificate.objects.filter(organisation_id__in=member_organisation_ids(user)).select_related(
        "centre", "organisation")


def visible_lending_agreements(user):
    """Lending agreements: members see their organisations', staff their centres', a superuser all."""
    if not user.is_authenticated:
        return LendingAgreement.objects.none()
    agreements = LendingAgreement.objects.select_related("centre", "organisation")
    if user.is_superuser:
        return agreements
    return agreements.filter(Q(organisation_id__in=member_organisation_ids(user))
                             | Q(centre_id__in=Centre.objects.filter(staff=user).values("pk")))


def organisation_agreements(user):
    """The lending agreements of the organisations `user` belongs to (their page)."""
    return LendingAgreement.objects.filter(organisation_id__in=member_organisation_ids(user)).select_related(
        "centre", "organisation")
