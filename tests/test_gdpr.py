"""The personal-data purge forgets nothing: every model and every text field is declared as personal or not
(ngo.gdpr.PERSONAL_DATA), and after a purge no planted name, address, text or credential of a purged organisation
or person is left anywhere in the database."""
import json
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.db import models
from django.test import Client
from django.test.utils import isolate_apps
from django.utils import timezone, translation

from api.authentication import hash_key
from booking import services
from booking.agreements import issue_agreement
from booking.certificates import issue_certificate
from booking.consultations import book_appointment
from booking.feeds import create_feed_token
from booking.models import Booking, BookingSeries, BookingStatus, DateOff, FeedToken, KeyHandover
from booking.series import Mode
from ngo import agreements as ngo_agreements
from ngo import letters as ngo_letters
from ngo import services as ngo_services
from ngo.gdpr import NO_PERSONAL_DATA, NOT_PERSONAL_FIELDS, PERSONAL_DATA, purge_personal_data, registered_models
from ngo.models import Organisation
from notifications.models import OutboxMessage
from notifications.tasks import deliver
from tests import factories
from tests.factories import at

# Free text (and files) may hold anything a person typed; a field with choices holds one of the code's values.
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.GenericIPAddressField, models.FileField)


def undecided_models(candidates):
    return sorted(model._meta.label for model in candidates
                  if model._meta.label not in PERSONAL_DATA and model._meta.label not in NO_PERSONAL_DATA)


def undeclared_fields(model, personal_fields):
    declared = set(personal_fields) | set(NOT_PERSONAL_FIELDS.get(model._meta.label, {}))
    return sorted(f.name for f in model._meta.concrete_fields
                  if isinstance(f, TEXT_FIELDS) and not f.choices and f.name not in declared)


# --- (a) nothing undecided ------------------------------------------------------------------------------------

def test_every_model_is_declared_as_holding_personal_data_or_not():
    installed = apps.get_models()
    assert {"admin.LogEntry", "sessions.Session", "api.ApiToken", "booking.FeedToken"} <= set(PERSONAL_DATA)
    assert undecided_models(installed) == []
    assert not set(PERSONAL_DATA) & set(NO_PERSONAL_DATA)
    assert all(reason.strip() for reason in NO_PERSONAL_DATA.values())
    # No stale names: a label names an installed model, or a model of an app that is not installed (django-axes).
    labels = {model._meta.label for model in installed}
    app_labels = {config.label for config in apps.get_app_configs()}
    for label in [*PERSONAL_DATA, *NO_PERSONAL_DATA, *NOT_PERSONAL_FIELDS]:
        assert label in labels or label.split(".")[0] not in app_labels, label


def test_every_text_field_of_a_model_with_personal_data_is_declared():
    for model, personal in registered_models():
        label = model._meta.label
        names = {f.name for f in model._meta.concrete_fields}
        assert set(personal.fields) <= names, label
        assert set(NOT_PERSONAL_FIELDS.get(label, {})) <= names - set(personal.fields), label
        assert all(reason.strip() for reason in NOT_PERSONAL_FIELDS.get(label, {}).values()), label
        assert undeclared_fields(model, personal.fields) == [], label
        # The purge must be able to find its rows (the admin's log is scrubbed through every other model's).
        assert label == "admin.LogEntry" or personal.organisation or personal.person or personal.login \
            or personal.find, label


@isolate_apps("ngo")
def test_a_new_model_or_field_without_a_decision_is_reported():
    class Volunteer(models.Model):
        email = models.EmailField()
        role = models.CharField(max_length=16, choices=[("member", "Member")])

        class Meta:
            app_label = "ngo"

        def __str__(self):
            return self.email

    assert undecided_models([Volunteer]) == ["ngo.Volunteer"]
    assert undeclared_fields(Volunteer, ()) == ["email"]
    assert undeclared_fields(Volunteer, ("email",)) == []
    organisation_fields = PERSONAL_DATA["ngo.Organisation"].fields
    assert undeclared_fields(Organisation, [f for f in organisation_fields if f != "status_reason"]) == \
        ["status_reason"]


# --- (b) nothing survives ---------------------------------------------------------------------------------------

NOW = at(date(2027, 1, 4), 9)
TUESDAY = date(2027, 1, 12)
ZOFIA = "Zofia-Testowa-4711"


def dump(rows_of_models):
    """Every row of the given models as text: all its fields, and a session's decoded data."""
    lines = []
    for model in rows_of_models:
        for row in model._default_manager.all():
            values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
            if model is Session:
                values["decoded"] = row.get_decoded()
            lines.append(f"{model._meta.label} {json.dumps(values, default=str, ensure_ascii=False)}")
    return "\n".join(lines)


def planted_in(text, planted):
    return sorted(value for value in planted if value.lower() in text.lower())


@pytest.fixture
def purged(client, member, organisation, staff_user, room, django_user_model):
    """An organisation that left six years ago, with distinctive strings in everything that may hold personal
    data: its record, its coordinator's account, bookings with reasons, a series with a refused date, a letter,
    calendar feeds, an API token, a session, the e-mails, the admin's log (and failed logins, with django-axes).
    Jan belongs to it and to another organisation: he stays."""
    zofia = factories.make_user("zofia4711", first_name=ZOFIA, last_name="Nazwisko-4711",
                                phone="+48 600 471 102")  # e-mail zofia4711@example.org
    club = factories.make_organisation(f"Klub {ZOFIA}", members=[member], coordinators=[zofia], krs="0000004711",
                                       kind=Organisation.Kind.REGISTERED_NGO, phone="+48 600 471 101",
                                       description=f"Prowadzi {ZOFIA}", status_reason=f"Sprawdzone u {ZOFIA}",
                                       centres=[room.centre])
    Organisation.objects.filter(pk=club.pk).update(contact_person=f"Pani {ZOFIA}", email="klub4711@example.org")
    birthday = factories.make_booking(actor=zofia, resource=room, organisation=club, day=TUESDAY, hour=9, hours=2,
                                      title=f"Urodziny {ZOFIA}", purpose="Rodzina Nazwisko-4711", attendees=8,
                                      now=NOW)
    services.approve_booking(booking=birthday, actor=staff_user, reason=f"Zgoda dla {ZOFIA}")
    Booking.objects.filter(pk=birthday.pk).update(override_reason=f"Wyjatek dla {ZOFIA}")
    choir = factories.make_booking(actor=zofia, resource=room, organisation=club, day=TUESDAY, hour=13,
                                   title="Chor Nazwisko-4711", now=NOW)
    services.cancel_booking(booking=choir, actor=staff_user, reason=f"Odwolane na prosbe {ZOFIA}", now=NOW)
    series = factories.make_series(actor=zofia, resource=room, organisation=club, day=TUESDAY, hour=10,
                                   rrule="FREQ=WEEKLY;COUNT=3", title=f"Spotkania {ZOFIA}",
                                   purpose="Plan Nazwisko-4711", mode=Mode.SKIP_CONFLICTS, now=NOW).series
    assert series.skipped  # the first Tuesday is Zofia's birthday party
    series.skipped[0]["detail"] = f"Klub {ZOFIA} ma juz rezerwacje."
    series.save(update_fields=["skipped"])
    factories.make_waitlist_entry(actor=zofia, resource=room, organisation=club, day=TUESDAY, hour=9,
                                  title=f"Czekamy {ZOFIA}", purpose="Lista Nazwisko-4711", now=NOW)
    it_help = factories.make_consultation_service(room.centre)
    factories.make_consultant(room.centre, [it_help])
    book_appointment(actor=zofia, service=it_help, organisation=club, start=at(TUESDAY, 11), now=NOW,
                     topic=f"Porada dla {ZOFIA}", device="Laptop Nazwisko-4711")
    zofia_consults = factories.make_consultant(room.centre, [it_help], user=zofia)
    DateOff.objects.create(consultant=zofia_consults, first_day=TUESDAY, last_day=TUESDAY, reason=f"Urlop {ZOFIA}")
    letter = ngo_letters.log_letter(organisation=club, actor=staff_user, sender="Nadawca-4711",
                                    description=f"Pismo do {ZOFIA}")
    ngo_letters.collect_letters(actor=staff_user, letters=[letter], name=f"{ZOFIA} Nazwisko-4711")
    agreement = ngo_agreements.create_agreement(actor=staff_user, centre=room.centre, organisation=club,
                                                starts_on=TUESDAY, note=f"Podpisała {ZOFIA}")
    ngo_services.invite_member(organisation=club, actor=zofia, email="siostra-zofii-4711@example.org")
    issue_certificate(actor=staff_user, centre=room.centre, organisation=club, project=f"Urodziny {ZOFIA}",
                      first_day=timezone.localdate() - timedelta(days=30), last_day=timezone.localdate())
    factories.make_agreement_template(room.centre)
    issue_agreement(actor=staff_user, centre=room.centre, organisation=club)
    KeyHandover.objects.create(booking=birthday, key="Klucz-4711", taken_by=f"Pani {ZOFIA}",
                               handed_over_on=timezone.localdate())
    person_feed, _raw = create_feed_token(owner=zofia, scope=FeedToken.Scope.PERSON, name="Kalendarz-4711")
    club_feed, _raw = create_feed_token(owner=member, scope=FeedToken.Scope.ORGANISATION, organisation=club,
                                        name="Klub-4711")
    token = client.post("/api/v1/auth/token/", {"username": "zofia4711", "password": "zofia4711"},
                        content_type="application/json").json()["token"]
    client.force_login(zofia)
    session = client.session
    session["note"] = f"Szkic {ZOFIA}"
    session.save()
    for message in OutboxMessage.objects.all():  # as the worker does once the bookings' transactions commit
        deliver(message.pk)
    admin = django_user_model.objects.create_superuser("admin", "admin@example.org", "admin")
    LogEntry.objects.log_actions(admin.pk, [club], CHANGE, [{"added": {
        "name": "membership", "object": f"zofia4711 @ Klub {ZOFIA} (Coordinator)"}}])
    for obj in [zofia, birthday, series, letter, agreement, person_feed]:
        LogEntry.objects.log_actions(admin.pk, [obj], ADDITION, [{"added": {}}])
    planted = [ZOFIA, "Nazwisko-4711", "zofia4711", "klub4711@example.org", "+48 600 471 101", "+48 600 471 102",
               "0000004711", "Nadawca-4711", "Kalendarz-4711", "Klub-4711", "siostra-zofii-4711",
               person_feed.token_hash, club_feed.token_hash, hash_key(token)]
    if apps.is_installed("axes"):
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        seen = {"ip_address": "10.47.11.47", "user_agent": "Agent-4711", "http_accept": "*/*", "path_info": "/"}
        AccessAttempt.objects.create(username="Zofia4711@example.org", get_data="", post_data="username=zofia4711",
                                     failures_since_start=3, **seen)
        AccessFailureLog.objects.create(username="zofia4711", **seen)
        AccessLog.objects.create(username="zofia4711", **seen)
        planted += ["10.47.11.47", "Agent-4711"]
    Organisation.objects.filter(pk=club.pk).update(removed_at=timezone.now() - timedelta(days=6 * 366))
    return club, zofia, token, planted


def test_the_purge_leaves_no_planted_personal_data_anywhere(purged, client, member, organisation):
    club, zofia, token, planted = purged
    # Every model that holds personal data holds some of the planted strings, in its registered fields.
    for model, personal in registered_models():
        rows = model._default_manager.all()
        texts = [json.dumps([getattr(row, name) for name in personal.fields]
                            + ([row.get_decoded()] if model is Session else []), default=str, ensure_ascii=False)
                 for row in rows]
        assert any(planted_in(text, planted) for text in texts), f"nothing planted in {model._meta.label}"
    everything = list(apps.get_models())
    assert planted_in(dump(everything), planted) == sorted(planted)
    statistics = list(Booking.objects.filter(organisation=club).order_by("start")
                      .values_list("resource", "start", "end", "status", "attendees"))
    skipped_dates = [(o["start"], o["code"]) for o in BookingSeries.objects.get(organisation=club).skipped]
    assert client.get("/bookings/").status_code == 200
    assert client.get("/api/v1/bookings/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    jans_browser = Client()
    jans_browser.force_login(member)

    with translation.override("en"):
        report = purge_personal_data(years=5)

    assert [pk for pk, _name, _removed in report.organisations] == [club.pk] and report.people == 1
    assert planted_in(dump(everything), planted) == []
    # What the purged people see: their session and their API token no longer open anything.
    assert client.get("/bookings/").status_code == 302
    assert client.get("/api/v1/bookings/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    # The statistics stay: the same bookings at the same times, and the series' refused dates with their codes.
    assert list(Booking.objects.filter(organisation=club).order_by("start")
                .values_list("resource", "start", "end", "status", "attendees")) == statistics
    assert sorted(row[3] for row in statistics) == [BookingStatus.CANCELLED, BookingStatus.CONFIRMED,
                                                    BookingStatus.CONFIRMED,  # the consultation
                                                    BookingStatus.PENDING, BookingStatus.PENDING]
    assert [(o["start"], o["code"]) for o in BookingSeries.objects.get(organisation=club).skipped] == skipped_dates
    # The admin's log still says who changed what and when.
    assert LogEntry.objects.count() == 7 and set(LogEntry.objects.values_list("object_repr", flat=True)) == \
        {"(removed)"}
    # Jan, still in another organisation, keeps his account, his login and his other organisation.
    member.refresh_from_db()
    assert (member.username, member.email, member.is_active) == ("jan", "jan@example.org", True)
    assert list(member.organisations.all()) == [organisation]
    assert jans_browser.get("/bookings/").status_code == 200
