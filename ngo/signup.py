"""Getting an account: a person signs up on the site and confirms their e-mail address with a link.

- `sign_up` makes an inactive account (the login is the e-mail address) and has the confirmation link e-mailed
  (the `confirmation_requested` signal; the notifications app writes the message, and the link, only when it sends
  it, and keeps no text afterwards). Until the link is opened the account cannot log in.
- The answer is the same whatever the address: an address an account already has gets an e-mail telling its
  owner so (`signup_address_taken`) instead of a second account, and the password is hashed either way, so the
  work done is alike too. An account still awaiting confirmation is replaced by the new sign-up (its name,
  password and language; earlier links stop working): whoever reads the mailbox decides which one to confirm.
- The link is signed (django.core.signing, with the SECRET_KEY) and carries the account's id, the time it
  signed up and a hash of its password: it expires after SIGNUP_LINK_DAYS and stops working when the sign-up is
  replaced. Nothing about it is stored.
- Sign-ups and links sent again count against SIGNUP_PER_ADDRESS and SIGNUP_PER_CLIENT an hour (ngo.throttles,
  as the password reset); above them the request is refused with `too_many` and nothing is sent.
- `purge_unconfirmed` (ngo.gdpr) deletes accounts still unconfirmed after SIGNUP_UNCONFIRMED_DAYS.
"""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from .exceptions import RuleViolation
from .signals import confirmation_requested, signup_address_taken
from .throttles import within_limits

SALT = "ngo.signup.confirm"


def _fingerprint(user):
    """What a link is bound to: the sign-up it confirms (its time and password)."""
    since = user.awaiting_confirmation_since.isoformat() if user.awaiting_confirmation_since else ""
    return salted_hmac(SALT, f"{user.pk}:{since}:{user.password}").hexdigest()[:32]


def confirmation_token(user):
    """The signed token of the confirmation link of `user`, who awaits confirmation."""
    return signing.dumps([user.pk, _fingerprint(user)], salt=SALT, compress=True)


def _throttle(email, client):
    exceeded = within_limits("signup", email=email, client=client, per_address=settings.SIGNUP_PER_ADDRESS,
                             per_client=settings.SIGNUP_PER_CLIENT)
    if exceeded:
        raise RuleViolation("too_many", _("Too many sign-ups or confirmation links have been asked for from here or "
                                          "for this address. Try again in an hour."))


def _clean_email(email):
    email = (email or "").strip()
    try:
        EmailValidator()(email)
    except ValidationError:
        raise RuleViolation("invalid", _("Enter a valid e-mail address."), "email") from None
    return email


@transaction.atomic
def sign_up(*, email, password, first_name, last_name, language, client):
    """Sign a person up from the client address `client`. Returns nothing, whatever the address: the e-mail that
    goes to it says what happened. ValidationError for a weak password or a name too long (field by field),
    RuleViolation `too_many` above the hourly limits."""
    User = get_user_model()
    email = _clean_email(email)
    user = User(username=email.lower(), email=email, first_name=first_name, last_name=last_name, language=language,
                is_active=False)
    user.full_clean(exclude=["password", "username"])  # the login: an address already used is not said here
    if len(user.username) > User._meta.get_field("username").max_length:
        raise ValidationError({"email": _("This address is too long to log in with; use a shorter one.")})
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    _throttle(email, client)
    existing = (User.objects.select_for_update().filter(Q(email__iexact=email) | Q(username__iexact=email))
                .order_by("pk").first())
    if existing is None:
        user.set_password(password)
        user.awaiting_confirmation_since = timezone.now()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the same address signed up at the same moment: that sign-up sends the link
            return
        confirmation_requested.send(sender=User, user=user)
    elif existing.awaiting_confirmation_since and existing.email.lower() == email.lower():
        existing.first_name, existing.last_name, existing.language = first_name, last_name, language
        existing.set_password(password)
        existing.awaiting_confirmation_since = timezone.now()
        existing.save()
        confirmation_requested.send(sender=User, user=existing)
    else:
        make_password(password)  # the same work as a new account, so that the time taken tells nothing
        if existing.email.lower() == email.lower():
            signup_address_taken.send(sender=User, user=existing)


@transaction.atomic
def send_confirmation_again(*, email, client):
    """Send the confirmation link again to an account awaiting confirmation with `email`; nothing otherwise, with
    the same answer. RuleViolation `too_many` above the hourly limits (shared with sign-ups)."""
    email = _clean_email(email)
    _throttle(email, client)
    User = get_user_model()
    user = (User.objects.filter(email__iexact=email, awaiting_confirmation_since__isnull=False)
            .order_by("-awaiting_confirmation_since").first())
    if user is not None:
        confirmation_requested.send(sender=User, user=user)


@transaction.atomic
def confirm_email(*, token):
    """Open the confirmation link: the account becomes active. Returns (user, confirmed_now); a link opened again
    after the confirmation gives (user, False). RuleViolation `link_expired` or `link_invalid` otherwise."""
    try:
        pk, fingerprint = signing.loads(token or "", salt=SALT, max_age=settings.SIGNUP_LINK_DAYS * 86400)
    except signing.SignatureExpired:
        raise RuleViolation("link_expired", _("This confirmation link has expired. Ask for a new one below.")) \
            from None
    except (signing.BadSignature, TypeError, ValueError):
        raise RuleViolation("link_invalid", _("This confirmation link is not valid. Copy the whole link from the "
                                              "e-mail, or ask for a new one below.")) from None
    User = get_user_model()
    user = User.objects.select_for_update().filter(pk=pk).first() if isinstance(pk, int) else None
    if user is not None and user.awaiting_confirmation_since is None and user.is_active:
        return user, False
    if user is None or not isinstance(fingerprint, str) or not constant_time_compare(fingerprint, _fingerprint(user)):
        raise RuleViolation("link_invalid", _("This confirmation link no longer works: a newer one has been sent. "
                                              "Use the latest e-mail, or ask for a new link below."))
    user.is_active, user.awaiting_confirmation_since = True, None
    user.save(update_fields=["is_active", "awaiting_confirmation_since"])
    return user, True


def stored_login(typed):
    """The login as stored for what a person typed on the login form: a sign-up's login is its e-mail address in
    lower case, and people type addresses as they like. Any other login is left exactly as typed."""
    if "@" not in typed or typed == typed.lower():
        return typed
    if get_user_model().objects.filter(username=typed).exists():
        return typed
    return typed.lower()
