from django.dispatch import Signal

# Sent inside the transaction that changes an organisation's status: organisation, actor.
organisation_status_changed = Signal()
# Sent inside the transaction that invites someone: invitation, token (the raw token, for the link in the e-mail;
# only its hash is stored).
invitation_sent = Signal()
# Sent inside the transaction that logs a letter: letter.
letter_received = Signal()
# Sent inside the transaction that purges personal data (ngo.gdpr): organisation_ids, user_ids. Apps that
# keep personal data about those organisations or people scrub it in their receivers.
organisations_purged = Signal()
