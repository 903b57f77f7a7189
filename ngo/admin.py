from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import AddressAgreement, Invitation, Letter, Membership, Organisation, User
from .selectors import hosted_organisations


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Centre"), {"fields": ["language", "phone",
                                                                   "awaiting_confirmation_since"]}),)
    readonly_fields = ["awaiting_confirmation_since"]
    list_display = ["username", "email", "first_name", "last_name", "language", "is_staff"]


class MembershipInline(admin.TabularInline):
    """Superusers edit memberships here. Staff only read them: people join by accepting an invitation, and staff
    remove members on the organisation's members page, where the rules apply; nor does staff get a picker of
    every account."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class InvitationInline(admin.TabularInline):
    """The organisation's invitations, to read: they are sent and revoked on its members page."""

    model = Invitation
    extra = 0
    fields = readonly_fields = ["email", "role", "invited_by", "created_at", "expires_at", "accepted_by",
                                "accepted_at", "revoked_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ngo.view_organisation")


def _status_action(status, description):
    def action(modeladmin, request, queryset):
        for organisation in queryset:
            try:
                services.set_organisation_status(organisation=organisation, actor=request.user, status=status,
                                                 reason=_("Changed in the admin"))
            except (PermissionDenied, ValidationError) as error:
                modeladmin.message_user(request, f"{organisation}: {error}", messages.ERROR)

    action.short_description = description
    action.__name__ = f"mark_{status}"
    return action


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "krs", "status", "contact_person", "email"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "krs", "contact_person"]
    readonly_fields = ["status", "status_changed_at", "status_changed_by", "status_reason", "hosting_centres",
                       "created_at"]
    inlines = [MembershipInline, InvitationInline]
    actions = [
        _status_action(Organisation.Status.VERIFIED, _("Verify the selected organisations")),
        _status_action(Organisation.Status.SUSPENDED, _("Suspend the selected organisations")),
    ]

    def get_queryset(self, request):
        """Staff see the organisations their centres host (hosting is set on the centre, by superusers)."""
        if request.user.is_superuser:
            return super().get_queryset(request)
        return super().get_queryset(request).filter(pk__in=hosted_organisations(request.user).values("pk"))

    def has_add_permission(self, request):
        # Staff register an organisation on the registration page, which names its home centre.
        return request.user.is_superuser and super().has_add_permission(request)

    @admin.display(description=_("hosting centres"))
    def hosting_centres(self, organisation):
        return ", ".join(str(centre) for centre in organisation.centres.all())


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    """Read only: staff log, hand over and return letters on the register's web page ("Letters" in the menu),
    where the rules apply; superusers may still delete a letter logged by mistake."""

    list_display = ["received_at", "centre", "organisation", "sender", "kind", "status", "collected_by_name"]
    list_filter = ["status", "kind", "centre"]
    fields = ["centre", "organisation", "received_at", "sender", "kind", "tracking_number", "description",
              "logged_by", "status", "collected_at", "collected_by", "collected_by_name", "returned_at",
              "reminded_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("organisation", "centre")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(centre__staff=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AddressAgreement)
class AddressAgreementAdmin(admin.ModelAdmin):
    """Read only, as letters: staff sign, decide, extend and end agreements on the web page ("Address agreements"
    in the menu), where the numbering and the e-mails happen."""

    list_display = ["number", "centre", "organisation", "status", "starts_on", "ends_on"]
    list_filter = ["status", "centre"]
    fields = ["number", "centre", "organisation", "registered_seat", "correspondence", "starts_on", "ends_on",
              "status", "note", "refusal_reason", "requested_by", "signed_by", "created_at", "decided_at",
              "reminded_30_at", "reminded_7_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("organisation", "centre")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(centre__staff=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
