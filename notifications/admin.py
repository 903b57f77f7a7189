from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking.selectors import staffed_centres
from ngo.selectors import hosted_organisations

from .models import OutboxMessage
from .tasks import publish


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The outbox as staff see it: what went out, what waits, and what was given up (filter by status)."""

    list_display = ["created_at", "recipient", "kind", "language", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["recipient", "subject"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "recipient", "reply_to", "kind", "language", "subject", "status", "attempts", "last_error", "booking",
        "organisation", "person", "created_at", "queued_at", "sent_at", "body_text", "calendar_method",
    ]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        """Staff read the e-mails about their centres' bookings, and those about the organisations their centres
        host and their letters; not the invitations, whose links let anyone join."""
        messages = super().get_queryset(request)
        if request.user.is_superuser:
            return messages
        return messages.exclude(kind=OutboxMessage.Kind.INVITATION).filter(
            Q(booking__resource__centre__in=staffed_centres(request.user))
            | Q(booking__isnull=True, organisation__in=hosted_organisations(request.user)))

    @admin.action(description=_("Send the selected unsent e-mails again"), permissions=["change"])
    def send_again(self, request, queryset):
        with transaction.atomic():
            ids = list(queryset.exclude(status=OutboxMessage.Status.SENT).values_list("pk", flat=True))
            OutboxMessage.objects.filter(pk__in=ids).update(status=OutboxMessage.Status.PENDING, attempts=0)
            transaction.on_commit(lambda: publish(ids))
        self.message_user(request, ngettext("%(count)d e-mail queued again.", "%(count)d e-mails queued again.",
                                            len(ids)) % {"count": len(ids)}, messages.SUCCESS)
