"""`<id:pk>` in URL patterns: a database id, at most 18 digits.

`<int:pk>` takes any number of digits, and a number too large for the database's integer columns makes SQLite
raise OverflowError (a 500) instead of finding nothing. Eighteen digits always fit a bigint; a longer number is
no URL at all, so the visitor gets a 404. Imported by config/urls.py, which registers it for every URL file.
"""
from django.urls import converters, register_converter

ID_PATTERN = r"[0-9]{1,18}"


class IdConverter(converters.IntConverter):
    regex = ID_PATTERN


register_converter(IdConverter, "id")
