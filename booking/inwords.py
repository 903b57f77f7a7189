"""Amounts of money in words, as Polish documents write them: "tysiąc dwieście złotych 00/100".

The number itself is spelled by num2words (its Polish cardinals are right: "tysiąc dwieście", "dwa miliony");
the currency's word is chosen here, because num2words' own currency mode has had wrong Polish forms: one
"złoty", two to four "złote" (but twelve to fourteen "złotych"), otherwise "złotych". The grosze are written
as figures over a hundred, as on a cheque or an invoice.
"""
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

GROSZ = Decimal("0.01")


def zloty_form(number: int) -> str:
    """The form of "złoty" after `number` (Polish plural rules)."""
    if number == 1:
        return "złoty"
    if number % 10 in (2, 3, 4) and number % 100 not in (12, 13, 14):
        return "złote"
    return "złotych"


def amount_in_words(amount: Decimal, language: str = "pl") -> str:
    """`amount` (PLN, not negative) in words: "tysiąc dwieście złotych 00/100", or in English
    "one thousand, two hundred zlotys 00/100"."""
    amount = Decimal(amount).quantize(GROSZ, rounding=ROUND_HALF_UP)
    if amount < 0:
        raise ValueError("a negative amount")
    zlote = int(amount)
    grosze = int((amount - zlote) * 100)
    if language == "pl":
        return f"{num2words(zlote, lang='pl')} {zloty_form(zlote)} {grosze:02d}/100"
    return f"{num2words(zlote, lang='en')} {'zloty' if zlote == 1 else 'zlotys'} {grosze:02d}/100"
