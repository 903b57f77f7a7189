from django.dispatch import Signal

# Sent inside the transaction that changes an organisation's status: organisation, actor.
organisation_status_changed = Signal()
# Sent inside the transaction that invites someone: invitation, token (the raw token, for the link in the e-mail;
# only its hash is stored).
invitation_sent = Signal()
# Sent inside the transaction that logs a letter: letter.
letter_received = Signal()
# Sent inside the transaction that changes an address agreement: agreement, event ("requested", "approved",
# "refused", "extended", "ended"), actor.
address_agreement_changed = Signal()
# Sent inside the transaction that purges personal data (ngo.gdpr): organisation_ids, user_ids. Apps that
# keep personal data about those organisations or people scrub it in their receivers.
organisations_purged = Signal()
# Sent when a person's password is changed or disabled, however it happens (ngo.models.User.save), not when
# only its hash is upgraded: user. Their sessions end by themselves (the session keeps a hash of the password);
# apps that issue other credentials revoke them.
password_changed = Signal()
# Sent inside a transaction when someone asks for a password reset link (ngo.password_reset), before anyone looked
# for an account with the address: email, language (of the page it was asked on).
password_reset_requested = Signal()
# Sent inside the transaction of a sign-up (ngo.signup): user, the new account awaiting confirmation, or an
# account awaiting it signed up for again or asked for a new link. Its e-mail carries the confirmation link.
confirmation_requested = Signal()
# Sent inside the transaction of a sign-up with an address that an account already has (ngo.signup): user, that
# account. Its owner is told, so that the page need not say it.
signup_address_taken = Signal()
