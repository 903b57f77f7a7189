"""CSV files that open safely in a spreadsheet. Every CSV the service writes goes through `writer`.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula, so a name or a title someone typed (`=HYPERLINK("http://x","y")`) would become a
link or a calculation in the staff's spreadsheet (OWASP, "CSV injection"). Such a cell gets a leading
single quote, which spreadsheets show as text.

Only text is neutralised: the numbers the service computes (int, float, Decimal) are written as they are,
so a negative figure stays a number a spreadsheet can add up. Everything else (names, titles, labels,
dates) is written as text and checked. `writer(out, decimal_separator=",")` writes fractions with a decimal
comma, for spreadsheets in locales that read "1,25" as a number.
"""
import csv
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """`value` as a cell: numbers and None unchanged, text prefixed with `'` when it would start a formula."""
    if value is None or isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number(value, decimal_separator):
    if decimal_separator != "." and isinstance(value, (float, Decimal)):
        return str(value).replace(".", decimal_separator)
    return value


class _Writer:
    """A csv.writer whose cells never start a formula."""

    def __init__(self, out, decimal_separator=".", **fmtparams):
        self._writer = csv.writer(out, **fmtparams)
        self._decimal_separator = decimal_separator

    def writerow(self, row):
        return self._writer.writerow([_number(neutralise(cell), self._decimal_separator) for cell in row])


def writer(out, *, decimal_separator=".", **fmtparams):
    """Like csv.writer(out, ...), with every cell through `neutralise` and fractions written with
    `decimal_separator`."""
    return _Writer(out, decimal_separator, **fmtparams)
