from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import audit, services
from .consultations import new_agenda
from .csv_import import LONGEST_DURATION
from .exceptions import RuleViolation
from .models import (
    AccessibilityStatement,
    AgreementTemplate,
    Booking,
    BookingEvent,
    BookingSeries,
    Centre,
    Closure,
    Consultant,
    ConsultationService,
    DateOff,
    DocumentDetails,
    DutyHours,
    FeedToken,
    Hosting,
    InKindCertificate,
    KeyHandover,
    LendingAgreement,
    OpeningHours,
    Resource,
    ResourceRate,
    WaitlistEntry,
)
from .rules import check_quantity
from .selectors import staffed_centres
from .series import update_series_details


class CentreScopedAdmin(admin.ModelAdmin):
    """Staff see and edit only their centres' rows; `centre_path` leads from the row to its centre."""

    centre_path = "centre"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.centre_path}__in": staffed_centres(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            if db_field.name == "centre":
                kwargs["queryset"] = staffed_centres(request.user)
            elif db_field.name == "resource":
                kwargs["queryset"] = Resource.objects.filter(centre__in=staffed_centres(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class DocumentDetailsInline(admin.StackedInline):
    """What the centre's certificates and agreements say about their issuer."""

    model = DocumentDetails
    extra = 0
    max_num = 1


class ResourceRateInline(admin.TabularInline):
    """Notional rates, each from a date on: add a row for a new rate rather than change an old one, so that the
    certificates of earlier periods keep theirs."""

    model = ResourceRate
    extra = 0


class HostingInline(admin.TabularInline):
    """The organisations a centre hosts; only superusers change them, as only they change who is staff."""

    model = Hosting
    extra = 0
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "home", "created_at"]
    readonly_fields = ["created_at"]

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return True  # a centre's staff see which organisations it hosts (CentreScopedAdmin shows them only theirs)


@admin.register(Centre)
class CentreAdmin(CentreScopedAdmin):
    """Only superusers decide who is staff: for staff the centre's staff list is read-only (and offers no picker
    of every account)."""

    centre_path = "pk"
    list_display = ["name", "city", "street", "time_zone", "closed_on_public_holidays"]
    inlines = [OpeningHoursInline, HostingInline, DocumentDetailsInline]
    filter_horizontal = ["staff"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else [*fields, "staff"]


class ResourceAdminForm(forms.ModelForm):
    DURATIONS = ["min_duration", "max_duration", "slot_length", "advance_window", "minimum_notice", "buffer"]

    class Meta:
        model = Resource
        fields = ["centre", "kind", "name", "description", "capacity", "units", "amenities", "booking_mode",
                  "requires_approval", "min_duration", "max_duration", "slot_length", "advance_window",
                  "minimum_notice", "buffer", "is_active", "occupancy_public", "needs_key"]

    def __init__(self, *args, **kwargs):
        """Durations as the CSV import bounds them: none negative, none over a century (a typed 999999999 days
        fits no database column, and an advance window of millennia overflows the calendar)."""
        super().__init__(*args, **kwargs)
        for name in self.DURATIONS:
            validators = self.fields[name].validators
            validators.append(MaxValueValidator(LONGEST_DURATION, message=_("A duration is at most 100 years.")))
            if name != "slot_length":  # the model keeps a slot at least a minute long
                validators.append(MinValueValidator(timedelta(0), message=_("A duration cannot be negative.")))

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("units") and cleaned_data.get("buffer") is not None:
            try:
                services.check_resource_units(self.instance, units=cleaned_data["units"],
                                              buffer=cleaned_data["buffer"])
            except RuleViolation as violation:
                self.add_error(violation.field, violation.message)
        return cleaned_data


@admin.register(Resource)
class ResourceAdmin(CentreScopedAdmin):
    form = ResourceAdminForm
    list_display = ["name", "centre", "kind", "booking_mode", "units", "capacity", "requires_approval", "is_active"]
    list_filter = ["centre", "kind", "is_active"]
    search_fields = ["name"]
    inlines = [ResourceRateInline]

    def save_model(self, request, obj, form, change):
        services.save_resource(obj)


@admin.register(InKindCertificate)
class InKindCertificateAdmin(CentreScopedAdmin):
    """Issued certificates are fixed: the admin shows them; staff issue them on the certificates page."""

    list_display = ["__str__", "organisation", "first_day", "last_day", "total", "issued_at", "issued_by"]
    list_filter = ["centre", "year"]
    search_fields = ["organisation__name"]
    list_select_related = ["centre", "organisation", "issued_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Closure)
class ClosureAdmin(CentreScopedAdmin):
    list_display = ["reason", "centre", "resource", "start", "end"]
    list_filter = ["centre"]


@admin.register(AccessibilityStatement)
class AccessibilityStatementAdmin(CentreScopedAdmin):
    """The statement shown at /accessibility/<centre>/: staff keep their centres' up to date."""

    list_display = ["centre", "compliance", "prepared_on", "reviewed_on"]
    fieldsets = [
        (None, {"fields": ["centre", "entity", "published_on", "updated_on"]}),
        (_("Compliance"), {"fields": ["compliance", "non_accessible_pl", "non_accessible_en", "exemptions_pl",
                                      "exemptions_en"]}),
        (_("Preparation of the statement"), {"fields": ["prepared_on", "reviewed_on", "assessment", "assessed_by"]}),
        (_("Feedback and contact"), {"fields": ["contact_name", "contact_email", "contact_phone"]}),
        (_("Architectural accessibility"), {"fields": [
            "entrances_pl", "entrances_en", "lifts_pl", "lifts_en", "toilets_pl", "toilets_en", "parking_pl",
            "parking_en", "induction_loop_pl", "induction_loop_en", "sign_language_pl", "sign_language_en"]}),
    ]


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "actor", "from_status", "to_status", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


def _export_action(file_format, content_type, description):
    def action(modeladmin, request, queryset):
        if not request.user.is_superuser:
            raise PermissionDenied
        response = HttpResponse(content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="audit-trail.{file_format}"'
        audit.WRITERS[file_format](audit.events_between().filter(pk__in=queryset.values("pk")), response)
        return response

    action.short_description = description
    action.__name__ = f"export_{file_format}"
    return action


@admin.register(BookingEvent)
class AuditTrailAdmin(admin.ModelAdmin):
    """The audit trail, for superusers: filter a period (the dates above the list), select all, export."""

    list_display = ["at", "booking", "actor", "from_status", "to_status", "reason"]
    list_select_related = ["booking__resource__centre", "actor"]
    date_hierarchy = "at"
    list_filter = ["to_status", "booking__resource__centre"]
    actions = [
        _export_action("csv", "text/csv; charset=utf-8", _("Export the audit trail of the selected changes (CSV)")),
        _export_action("json", "application/json", _("Export the audit trail of the selected changes (JSON)")),
    ]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False)


def _state_action(service, description, *, reason_required=False):
    def action(modeladmin, request, queryset):
        reason = request.POST.get("reason", "")
        done = 0
        for booking in queryset:
            try:
                service(booking=booking, actor=request.user, reason=reason)
                done += 1
            except (RuleViolation, PermissionDenied) as error:
                modeladmin.message_user(request, f"{booking}: {getattr(error, 'message', error)}", messages.ERROR)
        if done:
            modeladmin.message_user(
                request, ngettext("%(n)d booking changed.", "%(n)d bookings changed.", done) % {"n": done},
                messages.SUCCESS,
            )

    action.short_description = description
    action.__name__ = service.__name__
    return action


class BookingAdminForm(forms.ModelForm):
    class Meta:
        model = Booking
        fields = ["title", "purpose", "attendees", "public"]

    def clean_attendees(self):
        attendees = self.cleaned_data["attendees"]
        try:
            check_quantity(self.instance.resource, self.instance.quantity, attendees)
        except RuleViolation as violation:
            raise forms.ValidationError(violation.message, code=violation.code) from None
        return attendees


@admin.register(Booking)
class BookingAdmin(CentreScopedAdmin):
    """Bookings change state only through the actions, and details only through `update_booking_details`, so that
    the rules and the audit trail apply; status, time and resource are read-only here."""

    centre_path = "resource__centre"
    list_display = ["title", "resource", "organisation", "start", "end", "status", "quantity"]
    list_filter = ["status", "resource__centre", "resource__kind"]
    search_fields = ["title", "organisation__name"]
    date_hierarchy = "start"
    list_select_related = ["resource__centre", "organisation"]
    readonly_fields = ["resource", "organisation", "created_by", "series", "start", "end", "status", "sequence",
                       "quantity", "override_reason", "decision_reason", "cancellation_reason", "created_at",
                       "updated_at"]
    fields = ["title", "purpose", "attendees", "public", *readonly_fields]
    form = BookingAdminForm
    inlines = [BookingEventInline]
    action_form = ReasonActionForm
    actions = [
        _state_action(services.approve_booking, _("Approve the selected requests")),
        _state_action(services.reject_booking, _("Reject the selected requests (give a reason)")),
        _state_action(services.cancel_booking, _("Cancel the selected bookings (give a reason)")),
    ]

    def has_add_permission(self, request):
        # New bookings go through the booking form or the API, where every rule is checked.
        return False

    def save_model(self, request, obj, form, change):
        services.update_booking_details(booking=obj, actor=request.user,
                                        **{name: form.cleaned_data[name] for name in form.changed_data})


@admin.register(BookingSeries)
class BookingSeriesAdmin(CentreScopedAdmin):
    """Only the title and purpose are edited here, through `update_series_details` (the future meetings follow)."""

    centre_path = "resource__centre"
    list_display = ["title", "resource", "organisation", "rrule", "local_start"]
    readonly_fields = ["resource", "organisation", "created_by", "rrule", "local_start", "duration", "mode",
                       "skipped", "created_at"]
    fields = ["title", "purpose", *readonly_fields]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        update_series_details(series=obj, actor=request.user,
                              **{name: form.cleaned_data[name] for name in form.changed_data})


@admin.register(FeedToken)
class FeedTokenAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "scope", "created_at", "revoked_at"]
    readonly_fields = ["owner", "scope", "organisation", "centre", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(CentreScopedAdmin):
    """Who waits for which time, and the offers held: to look at. Members join, accept and leave through the
    pages and the API (booking.waitlist), so that the offer passes on."""

    centre_path = "resource__centre"
    list_display = ["title", "resource", "organisation", "start", "end", "quantity", "created_at", "offer_expires_at"]
    list_filter = ["resource__centre"]
    list_select_related = ["resource__centre", "organisation"]
    search_fields = ["title", "organisation__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(KeyHandover)
class KeyHandoverAdmin(CentreScopedAdmin):
    """Keys and cards handed over and returned (staff record them on the "Keys" page)."""

    centre_path = "booking__resource__centre"
    list_display = ["key", "booking", "taken_by", "deposit", "handed_over_on", "returned_on", "deposit_refunded"]
    list_filter = ["returned_on"]
    search_fields = ["key", "taken_by", "booking__organisation__name"]
    list_select_related = ["booking__resource__centre"]
    raw_id_fields = ["booking"]
    readonly_fields = ["handed_over_by", "returned_to"]


@admin.register(AgreementTemplate)
class AgreementTemplateAdmin(CentreScopedAdmin):
    """The text of lending agreements; its placeholders are checked when it is saved."""

    list_display = ["title", "centre", "language", "updated_at"]
    list_filter = ["centre", "language"]


@admin.register(LendingAgreement)
class LendingAgreementAdmin(CentreScopedAdmin):
    """Issued agreements are fixed: staff issue them on the documents page."""

    list_display = ["__str__", "organisation", "language", "issued_at", "issued_by"]
    list_filter = ["centre", "year"]
    search_fields = ["organisation__name"]
    list_select_related = ["centre", "organisation", "issued_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConsultationService)
class ConsultationServiceAdmin(CentreScopedAdmin):
    list_display = ["name", "centre", "kind", "appointment_length", "horizon", "topic_required", "is_active"]
    list_filter = ["centre", "kind", "is_active"]


class DutyHoursInline(admin.TabularInline):
    model = DutyHours
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "service" and not request.user.is_superuser:
            kwargs["queryset"] = ConsultationService.objects.filter(centre__in=staffed_centres(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DateOffInline(admin.TabularInline):
    model = DateOff
    extra = 0


@admin.register(Consultant)
class ConsultantAdmin(CentreScopedAdmin):
    """A consultant, their services, weekly duty hours and dates off. Saving a new one creates their agenda (the
    Resource their appointments book: `consultations.new_agenda`). The appointments themselves are not in the
    admin: their topics are for the organisation and the consultant (`selectors.topic_visibility`)."""

    list_display = ["__str__", "centre", "is_active"]
    list_filter = ["centre", "is_active"]
    raw_id_fields = ["user"]
    filter_horizontal = ["services"]
    inlines = [DutyHoursInline, DateOffInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "services" and not request.user.is_superuser:
            kwargs["queryset"] = ConsultationService.objects.filter(centre__in=staffed_centres(request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.resource = new_agenda(obj.centre, obj.user)
        super().save_model(request, obj, form, change)
