"""Staff logins for the centres: the "Centre staff" group and what it may do in the admin, and the service
the `create_centre_staff` command calls."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

STAFF_GROUP = "Centre staff"
# What the "Centre staff" group may do in the admin; the admin itself limits staff to their centres.
STAFF_PERMISSIONS = [
    ("booking", ["centre", "openinghours", "resource", "closure", "booking", "bookingseries", "bookingevent",
                 "accessibilitystatement", "consultationservice", "consultant", "dutyhours", "dateoff"]),
    ("ngo", ["organisation", "membership", "letter", "addressagreement"]),
]
# ... and what they may only look at: the outgoing e-mails (what was sent, what failed and why), and who waits for
# which time (members leave the waitlist themselves).
STAFF_VIEW_PERMISSIONS = [("notifications", "view_outboxmessage"), ("booking", "view_waitlistentry")]


def centre_staff_group():
    group, _created = Group.objects.get_or_create(name=STAFF_GROUP)
    for app_label, models in STAFF_PERMISSIONS:
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label,
                                                          content_type__model__in=models))
    for app_label, codename in STAFF_VIEW_PERMISSIONS:
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    return group


@transaction.atomic
def create_centre_staff(*, username, centres, email="", first_name="", last_name="", password=None):
    """Create a staff login for `centres` (admin access, the "Centre staff" group), or add an existing
    user to those centres' staff. Returns (user, created). A new user without `password` gets an
    unusable one and sets theirs through the password reset."""
    if not centres:
        raise ValidationError(_("Name at least one centre."), code="no_centre")
    if email:
        validate_email(email)
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.full_clean(exclude=["password"])
        if password:
            validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
    elif password:
        raise ValidationError(_("%(username)s already exists; their password is left as it is.")
                              % {"username": username}, code="user_exists")
    user.is_staff = True
    user.save()
    user.groups.add(centre_staff_group())
    for centre in centres:
        centre.staff.add(user)
    return user, created
