"""PDF documents (in-kind certificates; lending agreements) from HTML templates, with WeasyPrint.

The templates are pages' business, so they live with the pages (web/templates/documents/); this module only
renders one by name, in a language, to an accessible PDF: tagged (PDF/UA-1, which also embeds every font, here
DejaVu from Debian's fonts-dejavu-core), with the title and language in its metadata and the centre's name and
the document's number in the margin of every page (CSS @page boxes in the template).
WeasyPrint needs Debian's libpango-1.0-0, libpangoft2-1.0-0 and libharfbuzz-subset0 (.ci/run, Dockerfile).
"""
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

PDF_VARIANT = "pdf/ua-1"


def render_pdf(template_name, context, *, language) -> bytes:
    from weasyprint import HTML  # imported on use: loading pango costs a tenth of a second

    with translation.override(language):
        html = render_to_string(template_name, {**context, "language": language})
    return HTML(string=html).write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)


def certificate_context(certificate, language):
    content = certificate.content
    lines = [{**line, "quantity": Decimal(line["quantity"]),
              "rate": Decimal(line["rate"]) if line["rate"] is not None else None,
              "value": Decimal(line["value"]) if line["value"] is not None else None}
             for line in content["lines"]]
    return {"certificate": certificate, "content": content, "lines": lines, "total": Decimal(content["total"]),
            "total_in_words": content["total_in_words"].get(language) or content["total_in_words"]["pl"],
            "first_day": date.fromisoformat(content["first_day"]), "last_day": date.fromisoformat(content["last_day"])}


def certificate_pdf(certificate, language=None) -> bytes:
    """The certificate as issued, in `language` (by default the one it was issued in)."""
    language = language or certificate.language
    return render_pdf("documents/in_kind_certificate.html", certificate_context(certificate, language),
                      language=language)


def certificate_file_name(certificate, language=None):
    with translation.override(language or certificate.language):
        word = _("certificate")
    return f"{slugify(word)}-{certificate.number}-{certificate.year}-{slugify(certificate.organisation.name)}.pdf"


def agreement_pdf(agreement) -> bytes:
    return render_pdf("documents/lending_agreement.html", {"agreement": agreement, "issuer": agreement.issuer},
                      language=agreement.language)


def agreement_file_name(agreement):
    with translation.override(agreement.language):
        word = _("agreement")
    return f"{slugify(word)}-{agreement.number}-{agreement.year}-{slugify(agreement.organisation.name)}.pdf"
