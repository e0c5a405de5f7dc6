"""Every formatting for people, in French: amounts, dates, months, percentages,
counts and amounts in words.

The rest of the code never formats for people; it calls these functions.
Conventions (French administrative usage, FCFA):

- digit groups of three separated by a no-break space (U+00A0), and a
  no-break space before ``FCFA`` and ``%``, so a line never breaks inside an
  amount;
- dates as ``dd/mm/yyyy``; month names in lower case;
- a missing value (None) is shown as an em dash ``—``;
- amounts in words come from num2words (traditional spelling: "vingt et un",
  "quatre-vingts", "deux cents", "mille" invariable), followed by
  "francs CFA", with "de" after a final million/milliard
  ("un million de francs CFA").
"""

from __future__ import annotations

import math
import operator
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import polars as pl
from num2words import num2words

NBSP = "\u00a0"
"""No-break space: between digit groups, and before ``FCFA`` and ``%``."""

MISSING = "\u2014"
"""Shown in place of a missing value (em dash)."""

_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)

_PERIOD = re.compile(r"(\d{4})-(\d{2})")

# Large-number nouns in num2words' French output ("million", "milliard",
# "billion", "billiard", ...): when one ends the number, "de" comes before the
# noun that follows ("un million de francs", "deux milliards de francs").
_ILLION_NOUN = re.compile(r"\w+illi(?:on|ard)s?")


def _as_int(n: object) -> int:
    """An exact integer (int or numpy integer); refuse bools and floats."""
    if isinstance(n, bool):
        raise TypeError(f"entier attendu, reçu un booléen : {n!r}")
    try:
        return operator.index(n)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"entier attendu, reçu {type(n).__name__} : {n!r}") from None


def group_digits(n: int) -> str:
    """Digits grouped by three with no-break spaces: 1227714 -> "1 227 714"."""
    n = _as_int(n)
    return f"{n:,}".replace(",", NBSP)


def count_fr(n: int) -> str:
    """A count for people: grouped digits ("12 500")."""
    return group_digits(n)


def fcfa(n: int | None) -> str:
    """An amount in francs: 1227714 -> "1 227 714 FCFA" (no-break spaces); None -> "—"."""
    if n is None:
        return MISSING
    return f"{group_digits(n)}{NBSP}FCFA"


def date_fr(d: date | None) -> str:
    """A date (or datetime) as dd/mm/yyyy; None -> "—"."""
    if d is None:
        return MISSING
    if not isinstance(d, date):
        raise TypeError(f"date attendue, reçu {type(d).__name__} : {d!r}")
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def month_name(m: int) -> str:
    """Month name in lower case: 10 -> "octobre"."""
    m = _as_int(m)
    if not 1 <= m <= 12:
        raise ValueError(f"mois invalide : {m} (attendu de 1 à 12)")
    return _MONTHS[m - 1]


def month_title(period: str) -> str:
    """A period "YYYY-MM" as "octobre 2026"."""
    match = _PERIOD.fullmatch(period) if isinstance(period, str) else None
    if match is None:
        raise ValueError(f"période invalide : {period!r} (attendu AAAA-MM)")
    year, month = match.groups()
    return f"{month_name(int(month))} {year}"


def percent_fr(value: float | int | None, decimals: int = 1) -> str:
    """A percentage (already ×100): 87.5 -> "87,5 %" (no-break spaces); None -> "—".

    Rounded half away from zero on the decimal value as written
    (12.25 -> "12,3 %"), with a decimal comma and grouped digits.
    """
    if value is None:
        return MISSING
    if isinstance(value, bool):
        raise TypeError(f"nombre attendu, reçu un booléen : {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"pourcentage non fini : {value!r}")
    decimals = _as_int(decimals)
    if decimals < 0:
        raise ValueError(f"nombre de décimales négatif : {decimals}")
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0,0 %"
    sign = "-" if rounded < 0 else ""
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    text = sign + group_digits(int(whole))
    if frac:
        text += "," + frac
    return f"{text}{NBSP}%"


def pluralize(n: int, singular: str, plural: str) -> str:
    """A count with its noun: "1 ligne", "2 lignes", "12 500 lignes".

    French usage: 0 and 1 take the singular ("0 ligne"), 2 and more the plural.
    """
    n = _as_int(n)
    word = singular if abs(n) < 2 else plural
    return f"{group_digits(n)} {word}"


@cache
def _num2words_fr(n: int) -> str:
    return num2words(n, lang="fr")


def number_words(n: int) -> str:
    """num2words(n, lang="fr"), built from the words of its millions, thousands and
    units parts, each cached: a month's orders then cost a few hundred library
    calls instead of one per order. The result is num2words' own text (French
    joins the parts with a space; tests compare the two on a wide sweep)."""
    parts = (n - n % 1_000_000, n % 1_000_000 - n % 1000, n % 1000)
    return " ".join(_num2words_fr(p) for p in parts if p) or _num2words_fr(0)


def amount_in_words(n: int) -> str:
    """An amount in francs in French words, as written on payment orders.

    1227714 -> "un million deux cent vingt-sept mille sept cent quatorze francs CFA";
    1 -> "un franc CFA"; 0 -> "zéro franc CFA";
    2000000 -> "deux millions de francs CFA". Negative amounts raise ValueError.

    The words come from num2words (lang="fr"); its traditional spelling was
    checked against French usage (see tests/test_french.py) and is kept as is.
    """
    n = _as_int(n)
    if n < 0:
        raise ValueError(f"montant négatif, impossible à écrire en lettres : {n}")
    words = number_words(n)
    if n < 2:  # "zéro franc", "un franc"
        return f"{words} franc CFA"
    last = words.rsplit(" ", 1)[-1]
    if _ILLION_NOUN.fullmatch(last):
        return f"{words} de francs CFA"
    return f"{words} francs CFA"


# Vectorised twins of the functions above, for documents with hundreds of
# thousands of lines (rejection notices): polars expressions, same output.

def group_digits_expr(expr: pl.Expr) -> pl.Expr:
    """group_digits over a column of non-negative integers (groups of three, NBSP)."""
    reversed_digits = expr.cast(pl.String).str.reverse()
    return reversed_digits.str.extract_all(r"\d{1,3}").list.join(NBSP).str.reverse()


def fcfa_expr(expr: pl.Expr) -> pl.Expr:
    """fcfa over a column: "1 227 714 FCFA", MISSING for null."""
    return (group_digits_expr(expr) + pl.lit(f"{NBSP}FCFA")).fill_null(MISSING)


def date_fr_expr(expr: pl.Expr) -> pl.Expr:
    """date_fr over a Date column: dd/mm/yyyy, MISSING for null."""
    return expr.dt.strftime("%d/%m/%Y").fill_null(MISSING)


__all__ = [
    "MISSING", "NBSP", "amount_in_words", "count_fr", "date_fr", "date_fr_expr", "fcfa", "fcfa_expr",
    "group_digits", "group_digits_expr", "month_name", "month_title", "number_words", "percent_fr",
    "pluralize",
]
