"""The API's JSON parser: DRF's, refusing JSON nested deeper than any request needs.

Python's decoder recurses once per level, so `[[[[...]]]]` a few thousand levels deep raises RecursionError
(a 500), and a few hundred levels parse but can exhaust the stack later, in validation or when an error is
rendered. Both are a 400 `parse_error` here, for every endpoint at once.
"""
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32  # the deepest request body of the API is three levels deep


def deeper_than(data, limit):
    """Whether lists and objects in `data` nest more than `limit` levels (counted without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep() from None
        if deeper_than(data, MAX_DEPTH):
            raise too_deep()
        return data


def too_deep():
    return ParseError(_("JSON parse error - nested more than %(limit)d levels deep.") % {"limit": MAX_DEPTH})
