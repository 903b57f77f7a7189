"""Lending agreements (umowa użyczenia): what an organisation may use at a centre, in the centre's own words.

Staff edit the text in the admin (`AgreementTemplate`, one per centre and language) as Django template text with
the named placeholders below; `check_agreement_template` refuses, when it is saved, a text that does not parse,
uses a tag other than `if`, `for`, `with` and comments (no `load`, `include`, `url`...), or names a placeholder
that does not exist. Issuing renders the text with the organisation's current long-term lendings (active
bookings by whole days that have not ended) and the centre's details, keeps that text and numbers the agreement
per centre and year.
"""
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode, WithNode
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from ngo.exceptions import NotPermitted, RuleViolation

from .localtime import local_day
from .models import ACTIVE_STATUSES, AgreementTemplate, Booking, Centre, DocumentDetails, LendingAgreement, Resource
from .selectors import is_centre_staff

PLACEHOLDERS = {"organisation", "krs", "centre", "unit_name", "address", "signatory_name", "signatory_role",
                "number", "date", "rules", "resources"}
ALLOWED_NODES = (TextNode, VariableNode, ForNode, IfNode, WithNode, CommentNode)
ENGINE = Engine(autoescape=False)  # the text goes into the PDF's HTML escaped as a whole (`linebreaks`)


def _names(expression, known):
    if isinstance(expression, FilterExpression) and hasattr(expression.var, "lookups") and expression.var.lookups:
        name = expression.var.lookups[0]
        if name not in known:
            yield name


def check_agreement_template(body):
    """Raise ValidationError unless `body` parses and uses only the allowed tags and placeholders."""
    try:
        template = ENGINE.from_string(body)
    except TemplateSyntaxError as error:
        raise ValidationError(_("The text does not parse: %(error)s") % {"error": error}, code="syntax") from None
    nodes = template.nodelist.get_nodes_by_type(Node)
    refused = sorted({type(node).__name__ for node in nodes if not isinstance(node, ALLOWED_NODES)})
    if refused:
        raise ValidationError(_("Only {%% if %%}, {%% for %%} and {%% with %%} tags may be used here (found: "
                                "%(tags)s).") % {"tags": ", ".join(refused)}, code="tag")
    known = set(PLACEHOLDERS) | {"forloop"}
    for node in nodes:
        if isinstance(node, ForNode):
            known.update(node.loopvars)
        elif isinstance(node, WithNode):
            known.update(node.extra_context)
    unknown = sorted({name for node in nodes if isinstance(node, VariableNode)
                      for name in _names(node.filter_expression, known)})
    if unknown:
        raise ValidationError(_("Unknown placeholders: %(names)s. Use: %(known)s.") % {
            "names": ", ".join(unknown), "known": ", ".join(sorted(PLACEHOLDERS))}, code="placeholder")


def long_term_lendings(centre, organisation, now):
    """The organisation's active bookings by whole days at `centre` that have not ended."""
    return (Booking.objects.filter(resource__centre=centre, organisation=organisation,
                                   resource__booking_mode=Resource.BookingMode.DAYS, status__in=ACTIVE_STATUSES,
                                   end__gt=now).select_related("resource").order_by("start", "pk"))


def issue_agreement(*, actor, centre, organisation, language="pl", now=None) -> LendingAgreement:
    now = now or timezone.now()
    if not is_centre_staff(actor, centre):
        raise NotPermitted("not_centre_staff", _("Only the centre's staff issue its agreements."))
    template = AgreementTemplate.objects.filter(centre=centre, language=language).first()
    if template is None:
        raise RuleViolation("no_template", _("The centre has no agreement text in this language yet: add one in "
                                             "the admin."), "language")
    details = DocumentDetails.objects.filter(centre=centre).first()
    tz = centre.tz
    year = local_day(now, tz).year
    with override(language), transaction.atomic():
        Centre.objects.select_for_update().filter(pk=centre.pk).first()  # one number at a time per centre
        last = LendingAgreement.objects.filter(centre=centre, year=year).aggregate(last=Max("number"))["last"]
        number = (last or 0) + 1
        prefix = f"{centre.short_name}/" if centre.short_name else ""
        resources = [{"name": booking.resource.name, "kind": booking.resource.get_kind_display(),
                      "first_day": date_format(local_day(booking.start, tz), "j E Y"),
                      "last_day": date_format(local_day(booking.end, tz) - timedelta(days=1), "j E Y"),
                      "quantity": booking.quantity}
                     for booking in long_term_lendings(centre, organisation, now)]
        issuer = {"centre": centre.name, "unit_name": details.unit_name if details else centre.name,
                  "address": details.address if details else centre.address,
                  "signatory_name": details.signatory_name if details else "",
                  "signatory_role": details.signatory_role if details else "", "city": centre.city}
        text = ENGINE.from_string(template.body).render(Context({
            "organisation": organisation.name, "krs": organisation.krs, "centre": centre.name,
            "unit_name": issuer["unit_name"], "address": issuer["address"],
            "signatory_name": issuer["signatory_name"], "signatory_role": issuer["signatory_role"],
            "number": f"{prefix}UU/{number}/{year}", "date": date_format(local_day(now, tz), "j E Y"),
            "rules": details.general_rules if details else "", "resources": resources}))
        return LendingAgreement.objects.create(
            centre=centre, organisation=organisation, year=year, number=number, language=language,
            title=template.title, text=text, issuer=issuer, issued_by=actor, issued_at=now)
