"""French formatting for people: exact strings, written by hand.

Expected amounts in words follow traditional French spelling as used on
administrative documents: "vingt et un", "soixante et onze", "quatre-vingts"
(s when it ends the number or precedes million/milliard) but
"quatre-vingt-un" and "quatre-vingt mille", "deux cents" but "deux cent un"
and "deux cent mille", "mille" invariable, "un million" / "deux millions",
"de" after a final million/milliard.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ramu_cli import french
from ramu_cli.french import (
    NBSP,
    amount_in_words,
    count_fr,
    date_fr,
    fcfa,
    group_digits,
    month_name,
    month_title,
    percent_fr,
    pluralize,
)


def test_nbsp_is_the_no_break_space():
    assert NBSP == "\u00a0"


# --- digits and amounts -----------------------------------------------------

@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, "1\u00a0000"),
        (1500, "1\u00a0500"),
        (-1500, "-1\u00a0500"),
        (-999, "-999"),
        (1227714, "1\u00a0227\u00a0714"),
        (1000000000, "1\u00a0000\u00a0000\u00a0000"),
    ],
)
def test_group_digits(n, expected):
    assert group_digits(n) == expected


def test_count_fr_groups_digits():
    assert count_fr(12500) == "12\u00a0500"
    assert count_fr(3) == "3"


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1227714, "1\u00a0227\u00a0714\u00a0FCFA"),
        (0, "0\u00a0FCFA"),
        (500, "500\u00a0FCFA"),
        (-1500, "-1\u00a0500\u00a0FCFA"),
        (None, "\u2014"),
    ],
)
def test_fcfa(n, expected):
    assert fcfa(n) == expected


@pytest.mark.parametrize("bad", [1.5, 2.0, "1000", True])
def test_amounts_refuse_non_integers(bad):
    with pytest.raises(TypeError):
        fcfa(bad)
    with pytest.raises(TypeError):
        amount_in_words(bad)


def test_numpy_integers_are_accepted():
    np = pytest.importorskip("numpy")
    assert fcfa(np.int64(2500)) == "2\u00a0500\u00a0FCFA"
    assert amount_in_words(np.int64(80)) == "quatre-vingts francs CFA"


# --- dates and months -------------------------------------------------------

def test_date_fr():
    assert date_fr(date(2026, 3, 1)) == "01/03/2026"
    assert date_fr(date(2026, 12, 31)) == "31/12/2026"
    assert date_fr(datetime(2026, 3, 1, 23, 59)) == "01/03/2026"
    assert date_fr(None) == "\u2014"


def test_date_fr_refuses_strings():
    with pytest.raises(TypeError):
        date_fr("2026-03-01")


@pytest.mark.parametrize(
    ("m", "expected"),
    [(1, "janvier"), (2, "février"), (3, "mars"), (4, "avril"), (5, "mai"),
     (6, "juin"), (7, "juillet"), (8, "août"), (9, "septembre"),
     (10, "octobre"), (11, "novembre"), (12, "décembre")],
)
def test_month_name(m, expected):
    assert month_name(m) == expected


@pytest.mark.parametrize("bad", [0, 13, -1])
def test_month_name_out_of_range(bad):
    with pytest.raises(ValueError):
        month_name(bad)


def test_month_title():
    assert month_title("2026-10") == "octobre 2026"
    assert month_title("2026-02") == "février 2026"
    assert month_title("2027-08") == "août 2027"


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "10/2026", "2026-10-01", ""])
def test_month_title_invalid(bad):
    with pytest.raises(ValueError):
        month_title(bad)


# --- percentages ------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (87.5, {}, "87,5\u00a0%"),
        (100, {}, "100,0\u00a0%"),
        (0, {}, "0,0\u00a0%"),
        (12.25, {}, "12,3\u00a0%"),  # half away from zero, as written
        (87.46, {}, "87,5\u00a0%"),
        (33.333, {"decimals": 2}, "33,33\u00a0%"),
        (87.5, {"decimals": 0}, "88\u00a0%"),
        (-5, {}, "-5,0\u00a0%"),
        (-0.04, {}, "0,0\u00a0%"),  # no negative zero
        (1234.5, {}, "1\u00a0234,5\u00a0%"),
        (None, {}, "\u2014"),
    ],
)
def test_percent_fr(value, kwargs, expected):
    assert percent_fr(value, **kwargs) == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_percent_fr_refuses_non_finite(bad):
    with pytest.raises(ValueError):
        percent_fr(bad)


# --- counts with nouns ------------------------------------------------------

@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0 ligne"),
        (1, "1 ligne"),
        (2, "2 lignes"),
        (12500, "12\u00a0500 lignes"),
    ],
)
def test_pluralize(n, expected):
    assert pluralize(n, "ligne", "lignes") == expected


def test_pluralize_irregular_plural():
    assert pluralize(3, "prestataire rejeté", "prestataires rejetés") == "3 prestataires rejetés"


# --- amounts in words -------------------------------------------------------

@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "zéro franc CFA"),
        (1, "un franc CFA"),
        (2, "deux francs CFA"),
        (17, "dix-sept francs CFA"),
        (21, "vingt et un francs CFA"),
        (22, "vingt-deux francs CFA"),
        (61, "soixante et un francs CFA"),
        (70, "soixante-dix francs CFA"),
        (71, "soixante et onze francs CFA"),
        (77, "soixante-dix-sept francs CFA"),
        (80, "quatre-vingts francs CFA"),
        (81, "quatre-vingt-un francs CFA"),
        (90, "quatre-vingt-dix francs CFA"),
        (91, "quatre-vingt-onze francs CFA"),
        (99, "quatre-vingt-dix-neuf francs CFA"),
        (100, "cent francs CFA"),
        (101, "cent un francs CFA"),
        (180, "cent quatre-vingts francs CFA"),
        (200, "deux cents francs CFA"),
        (201, "deux cent un francs CFA"),
        (1000, "mille francs CFA"),
        (1001, "mille un francs CFA"),
        (1200, "mille deux cents francs CFA"),
        (2000, "deux mille francs CFA"),
        (80000, "quatre-vingt mille francs CFA"),
        (200000, "deux cent mille francs CFA"),
        (280000, "deux cent quatre-vingt mille francs CFA"),
        (1000000, "un million de francs CFA"),
        (1000001, "un million un francs CFA"),
        (1080000, "un million quatre-vingt mille francs CFA"),
        (2000000, "deux millions de francs CFA"),
        (2300000, "deux millions trois cent mille francs CFA"),
        (21000000, "vingt et un millions de francs CFA"),
        (80000000, "quatre-vingts millions de francs CFA"),
        (200000000, "deux cents millions de francs CFA"),
        (1227714, "un million deux cent vingt-sept mille sept cent quatorze francs CFA"),
        (1000000000, "un milliard de francs CFA"),
        (2000000000, "deux milliards de francs CFA"),
        (1001000000, "un milliard un million de francs CFA"),
        (1000000500, "un milliard cinq cents francs CFA"),
    ],
)
def test_amount_in_words(n, expected):
    assert amount_in_words(n) == expected


def test_amount_in_words_refuses_negative():
    with pytest.raises(ValueError):
        amount_in_words(-1)


def test_amount_in_words_uses_num2words(monkeypatch):
    """The words come from the kept library, not from tables of our own."""
    calls = []

    def fake(n, lang):
        calls.append((n, lang))
        return "trois"

    monkeypatch.setattr(french, "num2words", fake)
    assert amount_in_words(3) == "trois francs CFA"
    assert calls == [(3, "fr")]


# Spelling invariants over a wide range, so a num2words upgrade that changes
# its French would be caught even outside the hand-written cases.
_MULTIPLIER = r"deux|trois|quatre|cinq|six|sept|huit|neuf"
_NOUN_OR_END = r"(?:millions?|milliards?|billions?|francs?|de)"


def _check_spelling(n: int) -> None:
    text = amount_in_words(n)
    assert re.fullmatch(r"[a-zé\- ]+ (?:de )?francs? CFA", text), text
    words = text.split(" ")
    for i, word in enumerate(words):
        prev = words[i - 1] if i > 0 else ""
        nxt = words[i + 1] if i + 1 < len(words) else ""
        ends_group = re.fullmatch(_NOUN_OR_END, nxt) is not None
        # "quatre-vingts" exactly when it ends a group ("quatre-vingt mille").
        if word == "quatre-vingts":
            assert ends_group, text
        if word == "quatre-vingt":
            assert not ends_group, text
        # "deux cents" when it ends a group, "deux cent un", "deux cent mille".
        if word == "cents":
            assert ends_group and re.fullmatch(_MULTIPLIER, prev), text
        if word == "cent" and re.fullmatch(_MULTIPLIER, prev):
            assert not ends_group, text
        # "mille" is invariable and never "un mille" for 1000 itself.
        assert word != "milles", text
        if word == "mille" and prev == "un":
            assert i >= 2 and words[i - 2] in ("et", "cent", "cents"), text
    # "de" exactly when the amount is a positive multiple of a million.
    assert (" de francs" in text) == (n > 0 and n % 1_000_000 == 0), text
    # singular only for 0 and 1
    assert (" franc CFA" in text) == (n < 2), text


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_amount_in_words_spelling_invariants(n):
    _check_spelling(n)


def test_amount_in_words_spelling_sweep():
    """Every amount below 2 000, every thousand below 1 000 000, every million below 1 000 000 000."""
    for n in range(2000):
        _check_spelling(n)
    for n in range(0, 1_000_000, 1000):
        _check_spelling(n)
    for n in range(0, 1_000_000_000, 1_000_000):
        _check_spelling(n)


def test_number_words_is_num2words_on_a_wide_sweep():
    """The cached split (millions, thousands, units) gives num2words' own text."""
    import random

    from num2words import num2words

    from ramu_cli.french import number_words

    rng = random.Random(2026)
    numbers = list(range(0, 3000))
    numbers += [k * 1000 + j for k in range(0, 1000, 7) for j in (0, 1, 80, 100, 200, 201)]
    numbers += [k * 1_000_000 + j for k in (1, 2, 80, 100, 200, 201, 999, 1000, 2000)
                for j in (0, 1, 1000, 80_000, 200_000, 201_000, 999_999)]
    numbers += [rng.randrange(0, 10**12) for _ in range(3000)]
    for n in numbers:
        assert number_words(n) == num2words(n, lang="fr"), n
