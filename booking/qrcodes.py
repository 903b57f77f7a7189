"""QR codes for the door signs: each resource's week page, as an absolute address (SITE_URL), drawn with `segno`.

The address has no language prefix: the site answers it in Polish, or in the language a visitor chose before
(web/middleware.py). The SVG scales with its box (no width or height of its own), black on white, with the
standard four-module quiet zone, at error correction level M (a scratched or partly covered sign still reads).
"""
import segno
from django.conf import settings
from django.urls import reverse
from django.utils import translation


def resource_week_url(resource) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("web:resource_week", args=[resource.pk])
    return settings.SITE_URL.rstrip("/") + path


def qr_code(url: str):
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG markup (no XML declaration), to be placed in an element that names it."""
    return qr_code(url).svg_inline(dark="#000", light="#fff", border=4, omitsize=True, svgclass="qr", lineclass=None)
