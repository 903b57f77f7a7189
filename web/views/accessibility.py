"""The accessibility statements (deklaracje dostępności) of the centres, which Polish law requires of every public
body's service: a page per centre, and the list of them linked from every page's footer."""
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language

from booking.models import AccessibilityStatement
from booking.selectors import centres_with_statements


def statements(request):
    return render(request, "web/accessibility_statements.html", {"centres": centres_with_statements()})


def _items(text):
    """A text kept one item a line, as the list the page shows."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def statement(request, pk):
    centre = get_object_or_404(centres_with_statements().prefetch_related("opening_hours"), pk=pk)
    statement = getattr(centre, "accessibility_statement", None)
    context = {"centre": centre, "statement": statement, "site_url": request.build_absolute_uri(reverse("web:home"))}
    if statement is not None:
        texts = statement.texts("en" if get_language() == "en" else "pl")
        context.update(
            texts=texts, non_accessible=_items(texts["non_accessible"]), exemptions=_items(texts["exemptions"]),
            Compliance=AccessibilityStatement.Compliance,
        )
    return render(request, "web/accessibility_statement.html", context)
