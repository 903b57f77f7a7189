"""XLSX sheets whose cells hold what the service meant: numbers as numbers, text as text, never a formula.

openpyxl reads a string that starts with `=` as a formula and `#N/A` as an error value, and refuses control
characters, so a name someone typed could become a calculation or break the download. `append` writes every
string as text; one that a spreadsheet would run as a formula if retyped (`csvsafe.FORMULA_STARTS`) also gets
Excel's quote prefix, so editing the cell keeps it text. Control characters XML cannot hold are dropped.

Number formats are Excel's codes, which the spreadsheet shows in its own locale: `#,##0.00` is "1 234,50" in
Polish Excel and "1,234.50" in English; the built-in date format 14 is the system's short date (31.12.2025).
"""
from datetime import date
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles.numbers import BUILTIN_FORMATS

from .csvsafe import FORMULA_STARTS

WHOLE = BUILTIN_FORMATS[3]  # #,##0
DECIMAL = BUILTIN_FORMATS[4]  # #,##0.00
SHORT_DATE = BUILTIN_FORMATS[14]  # the spreadsheet's own short date


def _clean(value):
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def append(sheet, row):
    """Append `row` to `sheet`: int, float and Decimal as numbers, dates as dates, None as empty, the rest as
    text."""
    values = [value if value is None or isinstance(value, (int, float, Decimal, date)) else _clean(str(value))
              for value in row]
    sheet.append(values)
    for value, cell in zip(values, sheet[sheet.max_row], strict=False):
        if isinstance(value, str):
            cell.data_type = "s"
            cell.quotePrefix = value.startswith(FORMULA_STARTS)
        elif isinstance(value, date):
            cell.number_format = SHORT_DATE
        elif isinstance(value, int):
            cell.number_format = WHOLE
        elif isinstance(value, (float, Decimal)):
            cell.number_format = DECIMAL
