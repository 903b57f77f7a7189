"""CSV files that open safely in a spreadsheet. Every CSV the service writes goes through `writer`.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula, so a name or a title someone typed (`=HYPERLINK("http://x","y")`) would become a
link or a calculation in the staff's spreadsheet (OWASP, "CSV injection"). Such a cell gets a leading
single quote, which spreadsheets show as text.

Only text is neutralised: the numbers the service computes (int, float, Decimal) are written as they are,
so a negative figure stays a number a spreadsheet can add up. Everything else (names, titles, labels,
dates) is written as text and checked.
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


class _Writer:
    """A csv.writer whose cells never start a formula."""

    def __init__(self, out, **fmtparams):
        self._writer = csv.writer(out, **fmtparams)

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])


def writer(out, **fmtparams):
    """Like csv.writer(out, ...), with every cell through `neutralise`."""
    return _Writer(out, **fmtparams)
