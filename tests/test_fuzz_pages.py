"""Random values in every web form and query parameter: never a 5xx, and nothing half-written.

Hypothesis draws each form's fields from what the field reads (dates from year 1 to 9999, any integer, any text,
NUL included), starting from a valid request and spoiling a few of its fields, so that the values reach the
services and not only the form's parsing. Each example runs in its own transaction on one world made per class
(`hypothesis.extra.django.TestCase`); after each request the stored bookings and closures must still be whole, and
a refusal (4xx) must have written nothing.
"""
import os
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

from django import forms
from django.db.models import Count, F, Q
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from booking.localtime import EARLIEST, LATEST
from booking.models import Booking, BookingEvent, BookingSeries, Closure, FeedToken, Resource
from booking.recurrence import Repeat
from booking.reports import default_period
from booking.selectors import staffed_centres, visible_organisations
from ngo.models import Membership, Organisation
from tests import factories
from web.forms import (
    BookingForm,
    CancelForm,
    ClosureForm,
    FeedForm,
    InviteForm,
    MemberRoleForm,
    OrganisationForm,
    OrganisationStatusForm,
    RejectForm,
    SignUpForm,
    UsageReportForm,
)

# A modest number keeps the file under a minute; FUZZ_EXAMPLES=1000 hunts longer.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 40))


def fuzz(test):
    """A test drawing its values as it goes (`data`)."""
    return settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])(
        given(data=st.data())(test))


EXTREME_DATES = ["0001-01-01", "0001-01-03", "9999-12-31", "9999-12-25", "1969-12-31", "1970-01-01", "2999-12-31",
                 "3000-01-01"]
SPECIAL = [
    "", " ", "\x00", "a\x00b", "0", "-0", "-1", "1e309", "NaN", "inf", "0000-00-00", "2030-02-30", "2030-13-01",
    "24:00", "23:60", "99:99", "99999999999999999999999", "-99999999999999999999999", "2147483648",
    "9223372036854775808", "-9223372036854775809", "9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31T23:59:59+14:00",
    "null", "[]", "{}", "%00", "<script>alert(1)</script>", "' OR 1=1 --", "\u202e\u0301", "🙂", "Zażółć gęślą jaźń",
    "http://evil.example/", "//evil.example", "javascript:alert(1)", "\r\n", "9" * 5000, "ą" * 100_000,
    *EXTREME_DATES,
]
DATES = st.one_of(st.dates().map(date.isoformat), st.sampled_from(EXTREME_DATES))
TIMES = st.one_of(st.times().map(lambda t: t.strftime("%H:%M")), st.times().map(str),
                  st.sampled_from(["00:00", "07:00", "10:00", "11:00", "17:30", "18:00", "23:59"]))
NUMBERS = st.one_of(st.integers(-3, 20), st.integers()).map(str)
TEXT = st.text(max_size=40)  # any code point but surrogates, which no browser sends
JUNK = st.one_of(TEXT, st.sampled_from(SPECIAL), NUMBERS, DATES, TIMES,
                 st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
                 st.floats().map(str), st.sampled_from(["1000", "100000"]).map(lambda n: "x" * int(n)))


def typed(field):
    """Values of the kind `field` reads, valid and not, extremes included."""
    if isinstance(field, forms.ModelChoiceField):
        pks = [str(pk) for pk in field.queryset.values_list("pk", flat=True)]
        return st.sampled_from(pks) if pks else JUNK
    if isinstance(field, forms.ChoiceField):
        return st.sampled_from([str(value) for value, _label in field.choices])
    if isinstance(field, forms.DateField):
        return DATES
    if isinstance(field, forms.TimeField):
        return TIMES
    if isinstance(field, forms.IntegerField):
        return NUMBERS
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", "", "false"])
    if isinstance(field, forms.EmailField):
        return st.one_of(st.emails(), TEXT)
    return TEXT


def draw_form(data, form, base=None):
    """The fields of `form` (an unbound form, made as its view makes it): `base` where given (else a typed value),
    then up to three fields spoiled (another typed value, junk, or left out), and perhaps a field nobody asked for."""
    base = base or {}
    values = {name: base[name] if name in base else data.draw(typed(field), label=name)
              for name, field in form.fields.items()}
    values.update({name: value for name, value in base.items() if name not in values})
    for name in data.draw(st.sets(st.sampled_from(sorted(values)), max_size=3), label="spoiled"):
        value = data.draw(st.one_of(typed(form.fields[name]) if name in form.fields else TEXT, JUNK, st.none()),
                          label=f"spoiled {name}")
        if value is None:
            del values[name]
        else:
            values[name] = value
    extra = data.draw(st.dictionaries(st.sampled_from(["check", "format", "next", "page", "id"]) | TEXT, JUNK,
                                      max_size=2), label="extra")
    return {**extra, **values}


class FuzzTestCase(TestCase):
    """The world: a centre with a room (slots), lockers (days) and beds (nights); a verified organisation with its
    coordinator and a member, a pending booking, a pending series, and an organisation awaiting verification."""

    @classmethod
    def setUpTestData(cls):
        cls.staff = factories.make_user("anna")
        cls.member = factories.make_user("jan")
        cls.coordinator = factories.make_user("kasia")
        factories.make_user("ewa")
        cls.centre = factories.make_centre("Centrum Aktywizacji Społecznej", staff=[cls.staff])
        cls.room = factories.make_resource(cls.centre, name="Sala spotkań", capacity=12)
        cls.lockers = factories.make_resource(cls.centre, Resource.Kind.LOCKER, name="Szafki", units=3,
                                              requires_approval=False)
        cls.beds = factories.make_resource(cls.centre, Resource.Kind.ACCOMMODATION, name="Pokój 1", units=4)
        cls.organisation = factories.make_organisation("Aktywni Seniorzy", members=[cls.member],
                                                       coordinators=[cls.coordinator], centres=[cls.centre])
        cls.newcomer = factories.make_organisation("Nowa Grupa", status=Organisation.Status.UNVERIFIED,
                                                   centres=[cls.centre])
        cls.day = factories.next_open_weekday(1, weeks_ahead=2, centre=cls.centre)
        cls.booking = factories.make_booking(resource=cls.room, organisation=cls.organisation, actor=cls.member,
                                             day=cls.day, hour=8)
        cls.series_booking = factories.make_series(
            resource=cls.room, organisation=cls.organisation, actor=cls.member, day=cls.day, hour=15,
            rrule="FREQ=WEEKLY;COUNT=3").bookings[0]
        cls.users = {"anonymous": None, "member": cls.member, "coordinator": cls.coordinator, "staff": cls.staff}

    # --- helpers ----------------------------------------------------------------------------

    def as_user(self, name):
        user = self.users[name]
        if user is not None:
            self.client.force_login(user)
        return user

    def counts(self):
        return {model.__name__: model.objects.count()
                for model in (Booking, BookingEvent, BookingSeries, Closure, Organisation, Membership, FeedToken)}

    def request(self, method, path, data=None):
        """Send it, and check the answer: no 5xx, whole bookings and closures, and a refusal that wrote nothing."""
        before = self.counts()
        response = getattr(self.client, method)(path, data or {})
        assert response.status_code < 500, (response.status_code, path, data)
        if response.status_code >= 400:
            assert self.counts() == before, (response.status_code, path, data)
        self.assert_nothing_half_written()
        return response

    def assert_nothing_half_written(self):
        outside = Q(start__lt=EARLIEST) | Q(end__gte=LATEST) | Q(start__gte=F("end"))
        assert not Booking.objects.filter(outside).exists()
        assert not Booking.objects.annotate(event_count=Count("events")).filter(event_count=0).exists()
        assert not Booking.objects.filter(Q(title="") | Q(attendees__lt=1) | Q(quantity__lt=1)
                                          | Q(quantity__gt=F("resource__units"))).exists()
        assert not BookingSeries.objects.annotate(booking_count=Count("bookings")).filter(booking_count=0).exists()
        assert not Closure.objects.filter(outside | Q(reason="")).exists()

    def booking_form(self, resource):
        organisations = visible_organisations(self.member)
        return BookingForm(resource=resource, organisations=organisations, choices=list(organisations))

    def booking_base(self, resource):
        day = self.day + timedelta(days=7)
        base = {"organisation": str(self.organisation.pk), "title": "Zebranie", "attendees": "3", "quantity": "1"}
        if resource.booking_mode == Resource.BookingMode.SLOTS:
            return {**base, "date": day.isoformat(), "start_time": "10:00", "end_time": "11:00", "repeat": "",
                    "ends": "until", "until": "", "count": "", "mode": BookingSeries.Mode.ALL_OR_NOTHING}
        return {**base, "start_date": day.isoformat(), "end_date": (day + timedelta(days=1)).isoformat()}

    # --- the member's pages ---------------------------------------------------------------

    @fuzz
    def test_booking_form(self, data):
        resource = data.draw(st.sampled_from([self.room, self.lockers, self.beds]), label="resource")
        base = self.booking_base(resource)
        if data.draw(st.booleans(), label="repeats") and "repeat" in base:
            base.update(repeat=data.draw(st.sampled_from(Repeat.values)), until=(self.day + timedelta(days=60))
                        .isoformat())
        self.as_user("member")
        self.request("post", f"/en/resources/{resource.pk}/book/", draw_form(data, self.booking_form(resource), base))

    @fuzz
    def test_booking_form_opened_from_a_slot(self, data):
        resource = data.draw(st.sampled_from([self.room, self.lockers, self.beds]), label="resource")
        soon = st.datetimes(min_value=datetime.combine(self.day, time(6)), max_value=datetime.combine(
            self.day + timedelta(days=400), time(20)))
        moment = st.one_of(soon, st.datetimes()).map(lambda value: value.strftime("%Y-%m-%dT%H:%M")) | JUNK
        self.as_user("member")
        self.request("get", f"/en/resources/{resource.pk}/book/",
                     {"start": data.draw(moment, label="start"), "end": data.draw(moment, label="end")})

    @fuzz
    def test_week_pages(self, data):
        path = data.draw(st.sampled_from([f"/en/resources/{self.room.pk}/", f"/resources/{self.lockers.pk}/",
                                          f"/en/resources/{self.beds.pk}/", f"/en/centres/{self.centre.pk}/week/"]))
        self.as_user(data.draw(st.sampled_from(sorted(self.users)), label="user"))
        self.request("get", path, {"date": data.draw(st.one_of(DATES, JUNK), label="date")})

    @fuzz
    def test_lists_and_their_pages(self, data):
        user, path = data.draw(st.sampled_from([
            ("member", "/en/bookings/"), ("staff", "/en/staff/requests/"), ("staff", "/en/staff/organisations/"),
            ("member", "/en/subscriptions/"), ("member", "/en/organisations/"),
            ("coordinator", f"/en/organisations/{self.organisation.pk}/members/")]))
        self.as_user(user)
        self.request("get", path, {"page": data.draw(st.one_of(NUMBERS, JUNK), label="page"),
                                   "past_page": data.draw(st.one_of(NUMBERS, JUNK), label="past_page")})

    @fuzz
    def test_feed_form(self, data):
        user = self.as_user(data.draw(st.sampled_from(["member", "staff"]), label="user"))
        form = FeedForm(organisations=Organisation.objects.filter(members=user),
                        centres=staffed_centres(user))
        self.request("post", "/en/subscriptions/", draw_form(data, form, {"name": "Telefon"}))

    @fuzz
    def test_organisation_registration(self, data):
        self.as_user("member")
        base = {"name": "Klub Szachowy", "kind": Organisation.Kind.INFORMAL_GROUP, "krs": "",
                "contact_person": "Jan Kowalski", "email": "klub@example.org"}
        self.request("post", "/en/organisations/register/", draw_form(data, OrganisationForm(), base))

    @fuzz
    def test_members_invite_and_role(self, data):
        self.as_user(data.draw(st.sampled_from(["coordinator", "staff"]), label="user"))
        members = f"/en/organisations/{self.organisation.pk}/members/"
        if data.draw(st.booleans(), label="invite"):
            base = {"email": data.draw(st.sampled_from(["ewa@example.org", "jan@example.org", "EWA@EXAMPLE.ORG"])),
                    "role": "member"}
            self.request("post", members, draw_form(data, InviteForm(), base))
        else:
            self.request("post", f"{members}{self.member.pk}/role/", draw_form(data, MemberRoleForm()))

    @fuzz
    def test_accepting_an_invitation_with_a_new_account(self, data):
        token = data.draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=60),
                          label="token")
        base = {"first_name": "Ewa", "last_name": "Nowak", "username": "ewa", "password1": "Dluga-fraza-47",
                "password2": "Dluga-fraza-47"}
        self.request("post", f"/en/invitations/{token}/", draw_form(data, SignUpForm(), base))

    @fuzz
    def test_cancel(self, data):
        self.as_user(data.draw(st.sampled_from(["member", "staff"]), label="user"))
        path = data.draw(st.sampled_from([f"/en/bookings/{self.booking.pk}/cancel/",
                                          f"/en/bookings/{self.series_booking.pk}/cancel/",
                                          f"/en/bookings/{self.series_booking.pk}/cancel-following/"]))
        self.request("post", path, draw_form(data, CancelForm(), {"reason": "Choroba"}))

    # --- the staff's pages ----------------------------------------------------------------

    @fuzz
    def test_reject(self, data):
        self.as_user("staff")
        path = data.draw(st.sampled_from([f"/en/staff/requests/{self.booking.pk}/reject/",
                                          f"/en/staff/series/{self.series_booking.series_id}/reject/"]))
        self.request("post", path, draw_form(data, RejectForm(), {"reason": "Sala zajęta"}))

    @fuzz
    def test_organisation_status(self, data):
        self.as_user("staff")
        organisation = data.draw(st.sampled_from([self.newcomer, self.organisation]), label="organisation")
        self.request("post", f"/en/staff/organisations/{organisation.pk}/status/",
                     draw_form(data, OrganisationStatusForm(), {"status": "verified"}))

    @fuzz
    def test_closure_form(self, data):
        self.as_user("staff")
        centres = staffed_centres(self.staff)
        form = ClosureForm(centres=centres, resources=Resource.objects.filter(centre__in=centres))
        day = self.day + timedelta(days=14)
        base = {"centre": str(self.centre.pk), "resource": "", "start_date": day.isoformat(), "start_time": "12:00",
                "end_date": day.isoformat(), "end_time": "18:00", "reason": "Remont"}
        self.request("post", "/en/staff/closures/", draw_form(data, form, base))

    @fuzz
    def test_usage_report(self, data):
        self.as_user("staff")
        form = UsageReportForm(QueryDict(), centres=staffed_centres(self.staff), default_period=default_period)
        base = {"centre": str(self.centre.pk), "first_day": "2030-01-01", "last_day": "2030-03-31",
                "format": data.draw(st.sampled_from(["", "csv", "xlsx"]), label="format")}
        self.request("get", "/en/staff/report/", draw_form(data, form, base))

    # --- the account pages ----------------------------------------------------------------

    @fuzz
    def test_login(self, data):
        self.as_user(data.draw(st.sampled_from(["anonymous", "member"]), label="user"))
        fields = {"username": data.draw(st.one_of(st.just("jan"), JUNK), label="username"),
                  "password": data.draw(st.one_of(st.just("jan"), JUNK), label="password"),
                  "next": data.draw(st.one_of(st.just("/en/bookings/"), JUNK), label="next")}
        next_page = data.draw(JUNK, label="?next")
        self.request(data.draw(st.sampled_from(["get", "post"]), label="method"),
                     f"/en/accounts/login/?next={quote(next_page)}", fields)

    @fuzz
    def test_password_reset(self, data):
        if data.draw(st.booleans(), label="request"):
            email = data.draw(st.one_of(st.just("jan@example.org"), st.emails(), JUNK), label="email")
            self.request("post", "/en/accounts/password-reset/", {"email": email})
        else:
            uid, token = data.draw(JUNK.filter(bool), label="uid"), data.draw(JUNK.filter(bool), label="token")
            path = f"/en/accounts/reset/{quote(uid, safe='')}/{quote(token, safe='')}/"
            self.request(data.draw(st.sampled_from(["get", "post"]), label="method"), path,
                         {"new_password1": data.draw(JUNK), "new_password2": data.draw(JUNK)})

    @fuzz
    def test_language_switch_and_logout(self, data):
        self.as_user(data.draw(st.sampled_from(["anonymous", "member"]), label="user"))
        path = data.draw(st.sampled_from(["/language/", "/en/accounts/logout/"]), label="path")
        self.request("post", path, {"language": data.draw(st.one_of(st.sampled_from(["pl", "en"]), JUNK)),
                                    "next": data.draw(st.one_of(st.just("/en/bookings/"), JUNK))})

