from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Letter, Membership, Organisation, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Centre"), {"fields": ["language", "phone"]}),)
    list_display = ["username", "email", "first_name", "last_name", "language", "is_staff"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


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
    readonly_fields = ["status", "status_changed_at", "status_changed_by", "status_reason", "created_at"]
    inlines = [MembershipInline]
    actions = [
        _status_action(Organisation.Status.VERIFIED, _("Verify the selected organisations")),
        _status_action(Organisation.Status.SUSPENDED, _("Suspend the selected organisations")),
    ]


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["received_at", "organisation", "sender", "collected_at"]
    list_filter = ["organisation"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["logged_by"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            letter = services.log_letter(organisation=obj.organisation, actor=request.user, sender=obj.sender,
                                         description=obj.description, received_at=obj.received_at)
            obj.pk, obj.logged_by = letter.pk, letter.logged_by
