"""Forms of the web pages. They only read and shape input; the services decide what is allowed."""
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from booking.exceptions import RuleViolation
from booking.localtime import booking_span, closure_span
from booking.models import BookingSeries, Centre, FeedToken, Resource
from booking.recurrence import Repeat, describe, rrule_for
from booking.rules import MAX_ATTENDEES, TITLE_MAX_LENGTH
from booking.series import Recurrence, dates_in_order
from booking.wording import attendees_unasked, quantity_text, words
from ngo.models import Letter, Membership, Organisation, User
from ngo.signup import stored_login

from .templatetags.web_extras import span_label


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class RadioGroup(forms.RadioSelect):
    """Radio buttons under a legend; the error summary links to the first of them."""

    def id_for_label(self, id_, index="0"):
        return super().id_for_label(id_, index)


class RefusalMixin:
    """Puts a service's refusal (RuleViolation) next to the field it is about."""

    #: RuleViolation.field -> this form's field
    field_map = {}

    def add_violation(self, violation):
        field = self.field_map.get(violation.field, violation.field)
        self.add_error(field if field in self.fields else None,
                       forms.ValidationError(violation.message, code=violation.code))


class BookingForm(RefusalMixin, forms.Form):
    """A booking request. The time fields depend on the resource: slots, whole days or nights.

    It reads the input and nothing more: the title, the numbers and the organisation are checked by the booking
    rules (`services.book`), as for the API. The widgets' `required`, `maxlength`, `min` and `max` only spare
    people a round trip.
    """

    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Organisation"),
                                          empty_label=None)
    title = forms.CharField(label=_("Title"), required=False,
                            widget=forms.TextInput(attrs={"required": True, "maxlength": TITLE_MAX_LENGTH}))
    purpose = forms.CharField(label=_("Purpose (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    attendees = forms.IntegerField(label=_("How many people will come?"), initial=1,
                                   widget=forms.NumberInput(attrs={"min": 1}))
    quantity = forms.IntegerField(initial=1, widget=forms.NumberInput(attrs={"min": 1}))  # labelled by the kind
    public = forms.BooleanField(label=_("Show the title in the public calendar"), required=False)

    REPEAT_FIELDS = ("repeat", "ends", "until", "count", "mode")  # slot resources only

    #: What a link may fill in (`prefill`): the nearest free times offered after a refusal keep what was typed.
    PREFILL_FIELDS = ("organisation", "title", "purpose", "attendees", "quantity", "public", "date", "start_time",
                      "end_time")

    #: Up to this many organisations to choose from are shown as radio buttons, all in sight; more (staff) in a list.
    MOST_RADIOS = 6

    def __init__(self, *args, resource, organisations, choices, prefill=None, last_used=None, **kwargs):
        """`organisations` are those the person may name (as in the API); `choices` those the list offers;
        `last_used` the one they booked for last, which is preselected and said so.
        `prefill` (a query dict) fills in the unbound form: each value that its field accepts."""
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        self.organisation_radios = 1 < len(choices) <= self.MOST_RADIOS
        if self.organisation_radios:
            organisation.widget = RadioGroup()
        if len(choices) > 1:
            organisation.help_text = _("The booking is made for the organisation chosen here.")
            if last_used is not None:
                organisation.help_text = _("The booking is made for the organisation chosen here. Chosen: "
                                           "%(name)s, which you booked for last.") % {"name": last_used.name}
        self.resource = resource
        self.tz = resource.centre.tz
        self.conflicts = []
        self.suggestions = []  # the nearest free times after a refusal: [{"when", "query"}]
        self.conflict_message = ""
        self.can_wait = False  # a taken single time: the conflict offers to join the waitlist for it
        self.series_dates = []  # a checked or refused series: [{"when", "refusal"}], shown on the form
        self.series_refused = False
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].widget.choices = [(organisation.pk, str(organisation)) for organisation in choices]
        kind = words(resource.kind)  # the questions and examples fit a room, a locker, a bed...
        self.fields["title"].help_text = kind.title_help
        if resource.units == 1:
            del self.fields["quantity"]
        else:
            self.fields["quantity"].label = kind.how_many
            self.fields["quantity"].widget.attrs["max"] = resource.units
            self.fields["quantity"].help_text = _("At most %(quantity)s.") % {
                "quantity": quantity_text(resource.kind, resource.units)}
        if not kind.asks_attendees:
            del self.fields["attendees"]
        elif resource.capacity:
            self.fields["attendees"].help_text = _("At most %(capacity)d.") % {"capacity": resource.capacity}
        mode = resource.booking_mode
        if mode == Resource.BookingMode.SLOTS:
            step = int(resource.slot_length.total_seconds())
            self.time_fields = ["date", "start_time", "end_time"]
            self.fields["date"] = forms.DateField(label=_("Date"), widget=DateInput())
            self.fields["start_time"] = forms.TimeField(label=_("From"), widget=TimeInput(attrs={"step": step}))
            self.fields["end_time"] = forms.TimeField(label=_("Until"), widget=TimeInput(attrs={"step": step}))
            self.field_map = {"start": "start_time", "end": "end_time"}
        else:
            self.time_fields = ["start_date", "end_date"]
            if mode == Resource.BookingMode.DAYS:
                first, last = _("First day"), _("Last day")
            else:
                first, last = _("Check-in date"), _("Check-out date")
            self.fields["start_date"] = forms.DateField(label=first, widget=DateInput())
            self.fields["end_date"] = forms.DateField(label=last, widget=DateInput())
            self.field_map = {"start": "start_date", "end": "end_date"}
        self._prefill(prefill or {})
        if mode == Resource.BookingMode.SLOTS:
            self._add_repeat_fields()
        self.order_fields(["organisation", *self.time_fields])

    def _prefill(self, query):
        for name in self.PREFILL_FIELDS:
            if name in query and name in self.fields:
                try:
                    self.initial[name] = self.fields[name].clean(query[name])
                except forms.ValidationError:
                    pass  # a link gone stale or edited by hand: that field starts empty

    def suggest(self, slots):
        """Offer `slots` (`availability.nearest_free_slots`) as links that fill in the form with what was typed."""
        data = self.cleaned_data
        keep = {name: data[name] for name in ("title", "purpose", "attendees", "quantity") if data.get(name)}
        keep["organisation"] = data["organisation"].pk
        if data.get("public"):
            keep["public"] = "on"
        self.suggestions = [
            {"when": span_label(start, end, self.tz),
             "query": urlencode({**keep, "date": start.date().isoformat(), "start_time": f"{start:%H:%M}",
                                 "end_time": f"{end:%H:%M}"})}
            for start, end in slots]

    def _add_repeat_fields(self):
        """The optional 'Repeat' part: how often, until when, and what to do with dates that cannot be booked."""
        self.fields["repeat"] = forms.ChoiceField(
            label=_("How often"), required=False, widget=RadioGroup, initial="",
            choices=[("", _("Does not repeat")), *Repeat.choices])
        first_day = self._chosen_date()
        if first_day:
            monthly = capfirst(describe(rrule_for(Repeat.MONTHLY, first_day, count=1), first_day))
            self.fields["repeat"].choices = [(value, monthly if value == Repeat.MONTHLY else label)
                                             for value, label in self.fields["repeat"].choices]
        self.fields["ends"] = forms.ChoiceField(
            label=_("Ends"), required=False, widget=RadioGroup, initial="until",
            choices=[("until", _("On a date")), ("count", _("After a number of meetings"))])
        self.fields["until"] = forms.DateField(label=_("Date of the last meeting"), required=False,
                                               widget=DateInput())
        self.fields["count"] = forms.IntegerField(label=_("Number of meetings"), required=False, min_value=1)
        self.fields["mode"] = forms.ChoiceField(
            label=_("Dates that cannot be booked"), required=False, widget=RadioGroup,
            initial=BookingSeries.Mode.ALL_OR_NOTHING,
            choices=[(BookingSeries.Mode.ALL_OR_NOTHING, _("Book none of the meetings")),
                     (BookingSeries.Mode.SKIP_CONFLICTS, _("Book the others and tell me which were skipped"))])

    def _chosen_date(self):
        try:
            return self.fields["date"].clean(self["date"].value())
        except forms.ValidationError:
            return None

    @property
    def repeats(self):
        return "repeat" in self.fields

    @property
    def checking(self):
        """Whether "Check the dates" was pressed: the series' dates are shown and nothing is booked."""
        return "check" in self.data


    def time_bound_fields(self):
        return [self[name] for name in self.time_fields]

    def repeat_bound_fields(self):
        return [self[name] for name in self.REPEAT_FIELDS if name in self.fields]

    def other_bound_fields(self):
        return [self[name] for name in self.fields
                if name not in self.time_fields and name not in self.REPEAT_FIELDS and name != "organisation"]

    def clean(self):
        data = super().clean()
        try:
            if self.resource.booking_mode == Resource.BookingMode.SLOTS:
                data["start"], data["end"] = booking_span(self.resource, data["date"], start_time=data["start_time"],
                                                          end_time=data["end_time"])
            else:
                data["start"], data["end"] = booking_span(self.resource, data["start_date"], data["end_date"])
        except KeyError:
            pass  # a time field is missing or invalid: its own error says so
        except RuleViolation as violation:
            self.add_violation(violation)
        if self.repeats:
            self._clean_repeat(data)
        return data

    def booking_request(self):
        """What `services.book` is asked, from the cleaned form."""
        data = self.cleaned_data
        rrule = data.get("rrule")
        quantity = data.get("quantity", 1)
        attendees = data["attendees"] if "attendees" in self.fields else attendees_unasked(self.resource.kind,
                                                                                              quantity)
        return {
            "organisation": data["organisation"], "start": data["start"], "end": data["end"],
            "title": data["title"], "purpose": data["purpose"], "attendees": attendees,
            "quantity": quantity, "public": data["public"],
            "recurrence": Recurrence(rrule, data["mode"]) if rrule else None,
        }

    def show_conflict(self, conflict, conflicts):
        """A taken time: `conflicts` are `selectors.visible_conflicts` of the refusal."""
        self.conflict_message = conflict.message
        self.conflicts = [{"when": span_label(c["start"], c["end"], self.tz), "title": c["title"]} for c in conflicts]

    def show_series_dates(self, bookings, skipped, *, refused=False):
        """The dates of a checked or refused series in time order, each with why it cannot be booked."""
        self.series_refused = refused
        self.series_dates = [{"when": span_label(start, end, self.tz), "refusal": refusal.message if refusal else ""}
                             for start, end, refusal in dates_in_order(bookings, skipped)]

    def _clean_repeat(self, data):
        """`rrule` from the repeat choices when the booking repeats (None when it does not)."""
        data["rrule"] = None
        repeat = data.get("repeat")
        if not repeat:
            if self.checking:
                self.add_error("repeat", _("Choose how often the meetings repeat to check their dates."))
            return
        if data.get("ends") == "count":
            ends = {"count": data.get("count")}
            if ends["count"] is None and "count" not in self.errors:
                self.add_error("count", _("Say how many meetings there are."))
        else:
            ends = {"until": data.get("until")}
            if ends["until"] is None:
                if "until" not in self.errors:
                    self.add_error("until", _("Give the date of the last meeting."))
            elif data.get("date") and ends["until"] < data["date"]:
                self.add_error("until", _("The last meeting cannot be before the first."))
        data["mode"] = data.get("mode") or BookingSeries.Mode.ALL_OR_NOTHING
        if "date" in data and not self.errors:
            data["rrule"] = rrule_for(repeat, data["date"], **ends)

    def refuse_series(self, refusal):
        """A series refused as a whole (SeriesRuleViolation or SeriesConflict): why, by "Repeat", and its dates."""
        self.add_error("repeat", forms.ValidationError(refusal.message, code=refusal.code))
        self.show_series_dates([], refusal.occurrences)

    def add_violation(self, violation):
        if violation.field == "recurrence" and self.repeats:
            ends = "count" if self.cleaned_data.get("ends") == "count" else "until"
            field = ends if violation.code in {"too_many_occurrences", "series_too_long"} else "repeat"
            self.add_error(field, forms.ValidationError(violation.message, code=violation.code))
        elif violation.code == "closed" and "date" in self.fields:
            self.add_error("date", forms.ValidationError(violation.message, code=violation.code))
        else:
            super().add_violation(violation)


class CancelForm(RefusalMixin, forms.Form):
    """Members may say why they cancel; staff cancelling another organisation's booking must (the service checks)."""

    reason = forms.CharField(label=_("Why is it cancelled? (you may leave this empty)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, reason_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:
            field = self.fields["reason"]
            field.label = _("Reason for the cancellation")
            field.help_text = _("The organisation reads it in the cancellation e-mail.")
            field.widget.attrs["required"] = True


class RejectForm(RefusalMixin, forms.Form):
    """The reason is required by the service (`reject_booking`, `reject_series`), as for the API."""

    reason = forms.CharField(label=_("Reason for rejection"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def cleaned_reason(self):
        """The reason as given: any text is read, and the service refuses a blank one."""
        return self.cleaned_data["reason"] if self.is_valid() else ""


class EmailLanguageForm(RefusalMixin, forms.Form):
    language = forms.ChoiceField(label=_("Language of your e-mails"), choices=User.Language.choices,
                                 widget=RadioGroup)


class OrganisationForm(RefusalMixin, forms.ModelForm):
    """An organisation being registered, with its home centre (preselected when there is only one)."""

    # Not required here: the service takes the only centre when there is one, and otherwise asks for it.
    centre = forms.ModelChoiceField(queryset=Centre.objects.order_by("name"), label=_("Centre"), required=False,
                                    empty_label=_("Choose a centre"),
                                    help_text=_("Its staff verify the organisation and look after it."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        centres = list(self.fields["centre"].queryset[:2])
        if len(centres) == 1:
            self.initial["centre"] = centres[0]

    class Meta:
        model = Organisation
        fields = ["name", "kind", "krs", "contact_person", "email", "phone", "description"]
        labels = {"krs": _("KRS number (registered NGOs only)"), "phone": _("Phone (optional)"),
                  "description": _("What the organisation does (optional)")}
        help_texts = {"krs": _("10 digits, for example 0000123456.")}
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "krs": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                   "email": forms.EmailInput(attrs={"autocomplete": "email"}),
                   "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"})}


class OrganisationStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Organisation.Status.choices)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class InviteForm(RefusalMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class SignUpForm(forms.Form):
    """An account made from an invitation link. The e-mail address is the one the invitation went to."""

    first_name = forms.CharField(label=_("First name"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    username = forms.CharField(label=_("Login"), max_length=150,
                               help_text=_("Letters, digits and @ . + - _ only; you will log in with it."),
                               widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}))
    email = forms.EmailField(label=_("E-mail address"), disabled=True, required=False,
                             help_text=_("The address the invitation was sent to."))
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("At least 8 characters, not only digits, not a common password."))
    password2 = forms.CharField(label=_("The password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data

    def add_account_errors(self, error):
        """The account's refusal (a taken login, a weak password) next to its field."""
        fields = {"password": "password1"}
        errors = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
        for name, messages in errors.items():
            field = fields.get(name, name)
            self.add_error(field if field in self.fields else None, messages)


class LoginForm(AuthenticationForm):
    """Django's login form; an e-mail address as login is found however it is capitalised."""

    def clean_username(self):
        return stored_login(self.cleaned_data["username"])


class AccountSignUpForm(RefusalMixin, SignUpForm):
    """An account made on the sign-up page, without an invitation: the login is the e-mail address."""

    username = None
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             help_text=_("You will log in with it. We send a link there to confirm it is yours."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}))
    language = forms.ChoiceField(label=_("Language of your e-mails"), choices=User.Language.choices,
                                 widget=RadioGroup)
    field_order = ["first_name", "last_name", "email", "password1", "password2", "language"]


class ConfirmationAgainForm(RefusalMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}))


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class FeedForm(RefusalMixin, forms.Form):
    """What a new calendar feed shows: `person`, `organisation:<id>` or `centre:<id>`."""

    what = forms.ChoiceField(label=_("What the calendar shows"))
    name = forms.CharField(label=_("Name (optional)"), max_length=100, required=False,
                           help_text=_("For example: phone, office computer."))

    def __init__(self, *args, organisations, centres, consultant=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations}
        self.centres = {str(c.pk): c for c in centres}
        choices = [(f"organisation:{pk}", _("Bookings of %(name)s") % {"name": o.name})
                   for pk, o in self.organisations.items()]
        choices.append(("person", _("Bookings I made")))
        if consultant:
            choices.append(("consultant", _("My consultation appointments")))
        choices += [(f"centre:{pk}", _("All bookings of %(name)s (staff)") % {"name": c.name})
                    for pk, c in self.centres.items()]
        self.fields["what"].choices = choices

    def clean(self):
        data = super().clean()
        kind, _sep, pk = data.get("what", "").partition(":")
        data["scope"] = {"organisation": FeedToken.Scope.ORGANISATION, "centre": FeedToken.Scope.CENTRE,
                         "consultant": FeedToken.Scope.CONSULTANT}.get(kind, FeedToken.Scope.PERSON)
        data["organisation"] = self.organisations.get(pk) if kind == "organisation" else None
        data["centre"] = self.centres.get(pk) if kind == "centre" else None
        return data


class ClosureForm(RefusalMixin, forms.Form):
    """A closure: whole days given as dates (both included), or a part of a day with times. When it falls on
    bookings, the page lists them and asks (`decision`) whether they are cancelled, with a reason, or kept;
    `seen` carries the ids of the bookings shown, so that nothing is decided about bookings staff did not see."""

    CANCEL, KEEP = "cancel", "keep"

    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"), empty_label=None)
    resource = forms.ModelChoiceField(queryset=None, label=_("Resource"), required=False,
                                      empty_label=_("The whole centre"))
    start_date = forms.DateField(label=_("First day"), widget=DateInput())
    end_date = forms.DateField(label=_("Last day"), widget=DateInput(), help_text=_("This day is included."))
    start_time = forms.TimeField(label=_("From (time, optional)"), required=False, widget=TimeInput())
    end_time = forms.TimeField(label=_("Until (time, optional)"), required=False, widget=TimeInput(),
                               help_text=_("Leave both times empty to close whole days. With times, the closure "
                                           "runs from the first day at the first time to the last day at the "
                                           "second."))
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             help_text=_("Shown in the calendar, for example: renovation."))
    decision = forms.ChoiceField(label=_("What happens to these bookings"), required=False, widget=RadioGroup,
                                 choices=[(CANCEL, _("Cancel them and tell each organisation by e-mail")),
                                          (KEEP, _("Keep them: they stay in the calendar, marked as inside the "
                                                   "closure"))])
    cancellation_reason = forms.CharField(
        label=_("Reason for the cancellation"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}), help_text=_("The organisations read it in the e-mail."))
    seen = forms.CharField(required=False, widget=forms.HiddenInput)
    field_map = {"start": "start_date", "end": "end_date", "bookings": "decision"}
    CLOSURE_FIELDS = ("centre", "resource", "start_date", "end_date", "start_time", "end_time", "reason")

    def __init__(self, *args, centres, resources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["resource"].queryset = resources
        self.fields["resource"].label_from_instance = lambda resource: str(resource)
        self.hit = []  # the bookings the closure falls on, once the service has said so
        self.question = ""

    def closure_bound_fields(self):
        return [self[name] for name in self.CLOSURE_FIELDS]

    def clean_seen(self):
        """The ids of the bookings shown; anything else (such as "¹", a digit to isdigit() but not to int(), or
        a number past the database's integers) reads as none shown."""
        ids = [pk for pk in self.cleaned_data["seen"].split(",") if pk]
        return [int(pk) for pk in ids] if all(pk.isascii() and pk.isdigit() and len(pk) <= 18 for pk in ids) else []

    def clean(self):
        data = super().clean()
        times = data.get("start_time"), data.get("end_time")
        if (times[0] is None) != (times[1] is None) and not {"start_time", "end_time"} & set(self.errors):
            missing = "end_time" if times[1] is None else "start_time"
            self.add_error(missing, _("Give both times, or leave both empty for whole days."))
        centre = data.get("centre")
        if centre and data.get("start_date") and data.get("end_date") and not self.errors:
            try:
                data["start"], data["end"] = closure_span(centre.tz, data["start_date"], data["end_date"], *times)
            except RuleViolation as violation:
                self.add_violation(violation)
        return data

    def closure_request(self):
        """What `services.create_closure` is asked, from the cleaned form."""
        data = self.cleaned_data
        decision = data["decision"]
        return {"centre": data["centre"], "resource": data["resource"], "start": data["start"], "end": data["end"],
                "reason": data["reason"], "cancel_bookings": {self.CANCEL: True, self.KEEP: False}.get(decision),
                "cancellation_reason": data["cancellation_reason"],
                "expected_bookings": data["seen"] if decision else None}

    def ask_about(self, refusal):
        """The closure falls on bookings (ClosureHitsBookings): list them, and ask what becomes of them or say what
        is missing from the answer."""
        self.hit = [{"booking": booking, "when": span_label(booking.start, booking.end, booking.resource.centre.tz)}
                    for booking in refusal.bookings]
        data = self.data.copy()
        data["seen"] = ",".join(str(booking.pk) for booking in refusal.bookings)
        self.data = data
        if refusal.code == "closure_hits_bookings":
            self.question = refusal.message
        else:
            self.add_violation(refusal)


# Far enough for any report or search, near enough that a local midnight is a valid date-time in every database.
DAYS_IN_RANGE = [MinValueValidator(date(2000, 1, 1)), MaxValueValidator(date(2099, 12, 31))]


class UsageReportForm(forms.Form):
    """Which centre and which days (both included) the usage report covers."""

    LONGEST = timedelta(days=731)

    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"), empty_label=None)
    first_day = forms.DateField(label=_("From"), widget=DateInput(), validators=DAYS_IN_RANGE)
    last_day = forms.DateField(label=_("Until"), widget=DateInput(), validators=DAYS_IN_RANGE,
                               help_text=_("This day is included."))

    def __init__(self, query, *, centres, default_period):
        """`query` as the page got it: without a centre, the first of `centres`; without either day, the
        centre's `default_period(centre)` (a pair of dates)."""
        data = {"centre": centres.values_list("pk", flat=True).first(), **query.dict()}
        super().__init__(data)
        self.fields["centre"].queryset = centres
        if "first_day" not in data and "last_day" not in data:
            try:
                centre = self.fields["centre"].clean(data["centre"])
            except forms.ValidationError:
                return  # the centre's error is shown; the days stay empty
            data["first_day"], data["last_day"] = default_period(centre)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and first > last:
            self.add_error("last_day", _("The period ends before it starts."))
        elif first and last and last - first > self.LONGEST:
            self.add_error("last_day", _("A report covers at most two years."))
        return data


class FreeRoomForm(forms.Form):
    """When, where and for how many people a free room is looked for (the centre's local time)."""

    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"), empty_label=None)
    date = forms.DateField(label=_("Date"), widget=DateInput(), validators=DAYS_IN_RANGE)
    start_time = forms.TimeField(label=_("From"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Until"), widget=TimeInput())
    people = forms.IntegerField(label=_("Number of people"), min_value=1, max_value=MAX_ATTENDEES, initial=1)

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres

    def clean(self):
        data = super().clean()
        start_time, end_time = data.get("start_time"), data.get("end_time")
        if start_time and end_time and end_time <= start_time:
            self.add_error("end_time", _("The end must be later than the start."))
        elif not self.errors:
            tz = data["centre"].tz
            data["start"] = datetime.combine(data["date"], start_time, tzinfo=tz)
            data["end"] = datetime.combine(data["date"], end_time, tzinfo=tz)
        return data


# --- Consultations ----------------------------------------------------------------------------------------------

class FreeTimesFilter(forms.Form):
    """Which free appointment times to list: one day, one consultant (both optional)."""

    day = forms.TypedChoiceField(label=_("Day"), required=False, coerce=date.fromisoformat, empty_value=None)
    consultant = forms.TypedChoiceField(label=_("Consultant"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, days, consultants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [("", _("Any day"))] + [(day.isoformat(), date_format(day, "l, j E"))
                                                               for day in days]
        self.fields["consultant"].choices = [("", _("Anyone free"))] + [(person.pk, person.name)
                                                                         for person in consultants]


class AppointmentForm(RefusalMixin, forms.Form):
    """An appointment request; the topic and device are checked by `consultations.book_appointment`."""

    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Organisation"),
                                          empty_label=None)
    topic = forms.CharField(label=_("What is it about?"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("Only your organisation, the consultant and the centre's staff read it "
                                        "(legal advice: only your organisation and the consultant)."))
    device = forms.CharField(label=_("Which device or system?"), required=False, max_length=200,
                             help_text=_("For example: laptop with Windows 11, the organisation's website."))

    def __init__(self, *args, organisations, service, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if service.topic_required:
            self.fields["topic"].widget.attrs["required"] = True
        if service.asks_device:
            self.fields["device"].widget.attrs["required"] = True
        else:
            del self.fields["device"]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("done", _("Done")), ("no_show", _("Did not come"))])


class AppointmentCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class CertificateForm(forms.Form):
    """What an in-kind certificate covers: whose use, where, which days (both included), which project."""

    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"), empty_label=None)
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    first_day = forms.DateField(label=_("From"), widget=DateInput(), validators=DAYS_IN_RANGE)
    last_day = forms.DateField(label=_("Until"), widget=DateInput(), validators=DAYS_IN_RANGE,
                               help_text=_("This day is included. Only what has already taken place counts."))
    project = forms.CharField(label=_("Project or purpose (optional)"), max_length=200, required=False,
                              help_text=_("Only bookings whose title or purpose mentions it."))
    language = forms.ChoiceField(label=_("Language of the certificate"),
                                 choices=[("pl", _("Polish")), ("en", _("English"))], initial="pl")

    def __init__(self, *args, centres, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["organisation"].queryset = organisations.order_by("name")

    def add_violation(self, violation):
        self.add_error(violation.field if violation.field in self.fields else None, violation.message)


class RenewForm(forms.Form):
    """Until which day (included) a lending is renewed."""

    last_day = forms.DateField(label=_("Renew until"), widget=DateInput(), validators=DAYS_IN_RANGE,
                               help_text=_("This day is included. The renewal starts when the current booking ends."))

    def add_violation(self, violation):
        self.add_error(violation.field if violation.field in self.fields else None, violation.message)


class KeyHandoverForm(forms.Form):
    """A key or card handed over for a booking."""

    booking = forms.ModelChoiceField(queryset=None, label=_("Booking"))
    key = forms.CharField(label=_("Key or card number"), max_length=50)
    taken_by = forms.CharField(label=_("Taken by"), max_length=200, help_text=_("The person who took it."))
    deposit = forms.DecimalField(label=_("Deposit (PLN, optional)"), required=False, min_value=0, max_digits=8,
                                 decimal_places=2)

    def __init__(self, *args, bookings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["booking"].queryset = bookings
        self.fields["booking"].label_from_instance = self.booking_label

    @staticmethod
    def booking_label(booking):
        when = span_label(booking.start, booking.end, booking.resource.centre.tz)
        return f"{booking.resource.name}: {booking.organisation.name}, {when}"

    def add_violation(self, violation):
        self.add_error(violation.field if violation.field in self.fields else None, violation.message)


class AgreementForm(forms.Form):
    """Which organisation's lending agreement, at which centre, in which language."""

    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"), empty_label=None)
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    language = forms.ChoiceField(label=_("Language of the agreement"),
                                 choices=[("pl", _("Polish")), ("en", _("English"))], initial="pl")

    def __init__(self, *args, centres, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["organisation"].queryset = organisations.order_by("name")

    def add_violation(self, violation):
        self.add_error(violation.field if violation.field in self.fields else None, violation.message)


# --- The correspondence register ---------------------------------------------------------------------

class OrganisationInput(forms.TextInput):
    """A text box that suggests the organisations from a `<datalist>` (typed by name or KRS number)."""

    def __init__(self, datalist_id):
        super().__init__(attrs={"list": datalist_id, "autocomplete": "off"})


class LetterStackForm(forms.Form):
    """What a stack of letters shares: the centre (when the staff member has several) and the day it came."""

    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"), empty_label=None)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput(), validators=DAYS_IN_RANGE)

    def __init__(self, *args, centres, today, **kwargs):
        super().__init__(*args, initial={"centre": centres.first(), "received_on": today}, **kwargs)
        self.fields["centre"].queryset = centres
        self.only_centre = centres.first() if centres.count() == 1 else None
        self.several_centres = self.only_centre is None
        if not self.several_centres:
            self.fields["centre"].widget = forms.HiddenInput()
            self.fields["centre"].required = False

    def clean_centre(self):
        return self.cleaned_data["centre"] or self.only_centre


class LetterForm(RefusalMixin, forms.Form):
    """One letter of the stack. A row left empty is skipped."""

    organisation = forms.CharField(label=_("Organisation (name or KRS)"), max_length=300,
                                   widget=OrganisationInput("letter-organisations"))
    sender = forms.CharField(label=_("Sender"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Letter.Kind.choices, initial=Letter.Kind.ORDINARY)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=40, required=False,
                                      help_text=_("Registered letters, parcels, court or office."))
    description = forms.CharField(label=_("Note"), max_length=300, required=False)


LetterFormSet = forms.formset_factory(LetterForm, extra=5, max_num=50, absolute_max=50)


class LetterFilterForm(forms.Form):
    """Which letters the register shows (all fields optional)."""

    STATUS_CHOICES = [("", _("Any")), *Letter.Status.choices, ("to_return", _("to return (waiting too long)"))]

    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"), required=False, empty_label=_("Any"))
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"), required=False,
                                          empty_label=_("Any"))
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    received_from = forms.DateField(label=_("Received from"), widget=DateInput(), required=False,
                                    validators=DAYS_IN_RANGE)
    received_until = forms.DateField(label=_("Received until"), widget=DateInput(), required=False,
                                     validators=DAYS_IN_RANGE, help_text=_("This day is included."))

    def __init__(self, query, *, centres, organisations):
        super().__init__(query)
        self.fields["centre"].queryset = centres
        self.fields["organisation"].queryset = organisations
        self.several_centres = centres.count() > 1
        if not self.several_centres:
            del self.fields["centre"]

    def clean(self):
        data = super().clean()
        first, last = data.get("received_from"), data.get("received_until")
        if first and last and first > last:
            self.add_error("received_until", _("The period ends before it starts."))
        return data


class CollectForm(RefusalMixin, forms.Form):
    """Who collected the chosen letters, and when (the centre's local time)."""

    field_map = {"collected_at": "collected_on"}

    letters = forms.ModelMultipleChoiceField(queryset=None, label=_("Letters"),
                                             error_messages={"required": _("Choose the letters that were "
                                                                           "collected.")})
    collected_by = forms.CharField(label=_("Collected by"), max_length=200,
                                   widget=forms.TextInput(attrs={"list": "letter-collectors", "autocomplete": "off"}),
                                   help_text=_("A member of the organisation (suggested as you type), or any "
                                               "name."))
    collected_on = forms.DateField(label=_("Date collected"), widget=DateInput(), validators=DAYS_IN_RANGE)
    collected_time = forms.TimeField(label=_("Time collected"), widget=TimeInput())

    def __init__(self, *args, letters, now, **kwargs):
        super().__init__(*args, initial={"collected_on": now.date(), "collected_time": now.time().replace(
            second=0, microsecond=0)}, **kwargs)
        self.fields["letters"].queryset = letters


# --- Address agreements ------------------------------------------------------------------------------

class AddressAgreementForm(RefusalMixin, forms.Form):
    """A new agreement signed by staff, or an organisation's request (without the organisation: it is the page's)."""

    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"), empty_label=None)
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    registered_seat = forms.BooleanField(label=_("Registered seat (the address in KRS)"), required=False,
                                         initial=True)
    correspondence = forms.BooleanField(label=_("Correspondence (letters come to the centre)"), required=False,
                                        initial=True)
    starts_on = forms.DateField(label=_("From"), widget=DateInput(), validators=DAYS_IN_RANGE)
    ends_on = forms.DateField(label=_("Until"), widget=DateInput(), validators=DAYS_IN_RANGE, required=False,
                              help_text=_("This day is included. Leave empty for no end date."))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, centres, organisations=None, today, **kwargs):
        super().__init__(*args, initial={"starts_on": today, "centre": centres.first()}, **kwargs)
        self.fields["centre"].queryset = centres
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations

    def clean(self):
        data = super().clean()
        first, last = data.get("starts_on"), data.get("ends_on")
        if first and last and first > last:
            self.add_error("ends_on", _("The agreement ends before it starts."))
        return data


class AddressAgreementEndForm(forms.Form):
    ends_on = forms.DateField(label=_("Last day"), widget=DateInput(), validators=DAYS_IN_RANGE, required=False,
                              help_text=_("A later day extends the agreement, an earlier one ends it; empty: no "
                                          "end date."))
