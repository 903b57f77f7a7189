from .models import Membership


def is_member(user, organisation) -> bool:
    return user.is_authenticated and Membership.objects.filter(user=user, organisation=organisation).exists()


def is_coordinator(user, organisation) -> bool:
    return user.is_authenticated and Membership.objects.filter(
        user=user, organisation=organisation, role=Membership.Role.COORDINATOR,
    ).exists()


def can_manage_organisations(user) -> bool:
    """Centre staff (of any centre) and superusers verify organisations and log their letters."""
    return user.is_authenticated and (user.is_superuser or user.staffed_centres.exists())
