"""Who may see what. Every list the API, the pages and the feeds show starts from one of these."""
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db.models import Case, F, Min, Q, Value, When
from django.utils.translation import gettext as _

from ngo.exceptions import NotPermitted
from ngo.models import Membership, Organisation
from ngo.selectors import is_member

from .localtime import week_of
from .models import (
    ACTIVE_STATUSES,
    Booking,
    BookingSeries,
    BookingStatus,
    Centre,
    Hosting,
    InKindCertificate,
    LendingAgreement,
    Resource,
)


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
    """Active resources for everyone; inactive ones also for their centre's staff."""
    if user.is_authenticated and user.is_superuser:
        return Resource.objects.all()
    return Resource.objects.filter(Q(is_active=True) | Q(centre__in=staffed_centres(user)))


def member_organisation_ids(user):
    return Membership.objects.filter(user=user).values("organisation_id")


def organisation_bookings(user):
    """The bookings of the organisations `user` belongs to ("our bookings"), whoever made them."""
    return Booking.objects.filter(organisation_id__in=member_organisation_ids(user))


def visible_bookings(user):
    """Members see their organisations' bookings, staff their centres', a superuser all."""
    if not user.is_authenticated:
        return Booking.objects.none()
    if user.is_superuser:
        return Booking.objects.all()
    return Booking.objects.filter(
        Q(organisation_id__in=member_organisation_ids(user))
        | Q(resource__centre_id__in=Centre.objects.filter(staff=user).values("pk"))
    )


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


def can_book_for(actor, organisation, centre) -> bool:
    """Members book for their organisation; a centre's staff also for the organisations the centre hosts."""
    if is_member(actor, organisation):
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


def visible_agreements(user):
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
