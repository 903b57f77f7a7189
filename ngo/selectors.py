from django.db.models import Case, IntegerField, Value, When

from .models import Invitation, Membership, Organisation


def is_member(user, organisation) -> bool:
    return user.is_authenticated and Membership.objects.filter(user=user, organisation=organisation).exists()


def is_coordinator(user, organisation) -> bool:
    return user.is_authenticated and Membership.objects.filter(
        user=user, organisation=organisation, role=Membership.Role.COORDINATOR,
    ).exists()


def can_manage_organisations(user) -> bool:
    """Centre staff (of any centre) and superusers have organisations to look after (those their centres host)."""
    return user.is_authenticated and (user.is_superuser or user.staffed_centres.exists())


def sole_centre():
    """The installation's centre when it has only one (every organisation's home then); None otherwise."""
    centres = list(Organisation._meta.get_field("centres").related_model.objects.all()[:2])
    return centres[0] if len(centres) == 1 else None


def hosting_centre_ids(organisation):
    """The ids of the centres hosting `organisation` (booking.Hosting, reached without importing booking)."""
    return Organisation.centres.through.objects.filter(organisation=organisation).values("centre_id")


def hosted_organisations(user):
    """The organisations `user` looks after as staff: those hosted by their centres; every one for a superuser."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    hosted = Organisation.centres.through.objects.filter(centre__staff=user).values("organisation_id")
    return Organisation.objects.filter(pk__in=hosted)


def hosts(user, organisation) -> bool:
    """Whether `user` is staff of a centre hosting `organisation` (or a superuser): who verifies, suspends and
    manages its members and logs its letters."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.staffed_centres.filter(pk__in=hosting_centre_ids(organisation)).exists()


def can_manage_members(user, organisation) -> bool:
    """The organisation's coordinators, and the staff of the centres hosting it, invite and remove its members."""
    return is_coordinator(user, organisation) or hosts(user, organisation)


def can_remove_member(user, membership) -> bool:
    """Whoever manages the members, and the member themselves (leaving the organisation)."""
    return membership.user_id == user.pk or can_manage_members(user, membership.organisation)


def members_of(organisation):
    """The organisation's memberships with their people: coordinators first, then by name."""
    return organisation.memberships.select_related("user").annotate(
        role_order=Case(When(role=Membership.Role.COORDINATOR, then=Value(0)), default=Value(1),
                        output_field=IntegerField()),
    ).order_by("role_order", "user__last_name", "user__first_name", "user__username")


def pending_invitations(organisation):
    """The organisation's invitations waiting for an answer, newest first."""
    return organisation.invitations.pending().select_related("invited_by").order_by("-created_at", "-pk")


def invitation_for(token):
    """The invitation a link's token opens, while it waits for an answer; else None."""
    return (Invitation.objects.pending().filter(token_hash=Invitation.hash_token(token or ""),
                                                organisation__removed_at__isnull=True)
            .select_related("organisation").first())


def organisations_to_review(actor):
    """The organisations `actor`'s centres host, those awaiting verification first, then the suspended ones."""
    return hosted_organisations(actor).filter(removed_at__isnull=True).annotate(
        status_order=Case(When(status=Organisation.Status.UNVERIFIED, then=Value(0)),
                          When(status=Organisation.Status.SUSPENDED, then=Value(1)),
                          default=Value(2), output_field=IntegerField()),
    ).order_by("status_order", "name")
