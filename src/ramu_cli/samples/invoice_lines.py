"""Invoice lines: the faults of one line, its act, quantity and price.

A clean invoice's lines draw their own fault at LINE_FAULT_RATES
(`draw_line_labels`); an invoice fault is carried by all its lines. Then:
acts in `acts.assign_acts` (R05, R06, R07), quantities in `draw_quantities`
(A02), prices in `draw_prices` (A01), repeated lines in `repeat_first_lines`
(R09), unreadable cells in `make_unreadable` (R14).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ramu_cli.samples.acts import Acts, assign_acts
from ramu_cli.samples.batch import Batch
from ramu_cli.samples.faults import INVOICE_FAULT_RATES, LABEL, LINE_FAULT_RATES
from ramu_cli.samples.invoice_heads import Heads

# Prices billed for codes outside the nomenclature (R05).
PRICE_LADDER = np.array([500, 1000, 1500, 2000, 2500, 3000, 5000, 7500, 10000, 15000])
NO_QUANTITY_LIMIT = 99


@dataclass
class Lines:
    """One entry per line of a chunk."""

    inv: np.ndarray                # the line's invoice (index into Heads)
    start: np.ndarray              # per invoice: the row of its first line
    line_no: np.ndarray
    label: np.ndarray              # fault label (faults.LABEL)
    t: np.ndarray                  # service day, as an index into the tariff window
    lv: np.ndarray                 # provider level
    act: np.ndarray                # index into acts.codes, then acts.unknown (R05)
    known_act: np.ndarray          # act in the nomenclature (as drawn, before R09 copies)
    ka: np.ndarray                 # act index clipped into the nomenclature
    qty: np.ndarray
    unit: np.ndarray
    empty_ben: np.ndarray          # R14: beneficiary id left empty
    bad_date: np.ndarray           # R14: service date written unreadably


def draw_lines(batch: Batch, rng: np.random.Generator, heads: Heads, n_lines: int) -> Lines:
    """The lines of the chunk's invoices with their faults, acts, quantities and prices."""
    n_inv = heads.label.size
    inv = np.repeat(np.arange(n_inv), heads.size)
    start = np.concatenate([[0], np.cumsum(heads.size)[:-1]])
    line_no = np.arange(n_lines) - start[inv] + 1
    label = draw_line_labels(rng, heads.label[inv].copy(), line_no, start[inv])
    t = heads.service[inv] - batch.acts.w0
    lv = heads.level[inv]
    act = _draw_acts(batch, rng, heads, inv, label, t, lv)
    acts = batch.acts
    known_act = act < len(acts.codes)
    ka = np.minimum(act, len(acts.codes) - 1)
    lines = Lines(inv=inv, start=start, line_no=line_no, label=label, t=t, lv=lv, act=act,
                  known_act=known_act, ka=ka, qty=np.zeros(0, np.int64), unit=np.zeros(0, np.int64),
                  empty_ben=np.zeros(n_lines, bool), bad_date=np.zeros(n_lines, bool))
    lines.qty = draw_quantities(rng, acts, lines)
    lines.unit = draw_prices(rng, acts, lines)
    repeat_first_lines(lines)
    make_unreadable(rng, lines)
    return lines


def draw_line_labels(rng: np.random.Generator, line_label: np.ndarray, line_no: np.ndarray,
                     first_row: np.ndarray) -> np.ndarray:
    """Line faults on the lines of clean invoices; R09 only on a line after the first,
    whose first line is itself priced and readable."""
    clean_inv = line_label == LABEL["OK"]
    scale = 1.0 / (1 - sum(INVOICE_FAULT_RATES.values()))
    first = line_no == 1
    frac_first = max(first.mean(), 1e-9)
    codes = list(LINE_FAULT_RATES)
    for is_first in (True, False):
        sel = np.flatnonzero(clean_inv & (first == is_first))
        rates = np.array([LINE_FAULT_RATES[c] * scale for c in codes])
        if is_first:
            rates[codes.index("R09")] = 0.0
        else:
            rates[codes.index("R09")] /= max(1 - frac_first, 1e-9)
        p = np.concatenate([[max(0.0, 1 - rates.sum())], rates])
        chosen = rng.choice(p.size, sel.size, p=p / p.sum())
        line_label[sel] = np.array([LABEL["OK"]] + [LABEL[c] for c in codes])[chosen]
    # R09 copies the invoice's first line: it must itself be priced and readable.
    first_label = line_label[first_row]
    bad = (line_label == LABEL["R09"]) & ~np.isin(first_label, [LABEL["OK"], LABEL["A01"], LABEL["A02"]])
    line_label[bad] = LABEL["OK"]
    return line_label


def _draw_acts(batch: Batch, rng: np.random.Generator, heads: Heads, inv: np.ndarray,
               label: np.ndarray, t: np.ndarray, lv: np.ndarray) -> np.ndarray:
    """Each line's act; accidental duplicates (R09 is injected on purpose only) are redrawn."""
    acts, providers = batch.acts, batch.providers
    n_lines, n_inv = inv.size, heads.label.size
    l_sex, l_age = heads.sex[inv], heads.age[inv]
    no_free = np.isin(label, [LABEL["R02"], LABEL["R03"], LABEL["R11"]])
    act = np.zeros(n_lines, np.int64)
    assign_acts(acts, rng, np.arange(n_lines), label, act, lv, t, l_sex, l_age, no_free)
    bkey = np.where(heads.known_ben, heads.ben, -(np.arange(n_inv) + 1))[inv] + n_inv + 1
    skip = np.isin(label, [LABEL["R09"], LABEL["R14"]])
    for _ in range(8):
        key = ((bkey * (providers.registered + providers.unknown) + heads.prov[inv]) * acts.n_days + t) \
            * (len(acts.codes) + len(acts.unknown)) + act
        key = np.where(skip, -1 - np.arange(n_lines), key)
        _, first_ix = np.unique(key, return_index=True)
        dup = np.ones(n_lines, bool)
        dup[first_ix] = False
        redo = np.flatnonzero(dup)
        if redo.size == 0:
            break
        assign_acts(acts, rng, redo, label, act, lv, t, l_sex, l_age, no_free)
    else:
        label[redo] = LABEL["R09"]
    return act


def draw_quantities(rng: np.random.Generator, acts: Acts, lines: Lines) -> np.ndarray:
    """Quantities by category, within the act's limit; A02 (made here): above it."""
    n_lines, ka, t = lines.act.size, lines.ka, lines.t
    cat = np.array(acts.categories, object)[acts.cat_ix[ka, t]]
    maxq = np.where(lines.known_act, acts.max_qty[ka, t], 0)
    cap = np.where(maxq > 0, maxq, NO_QUANTITY_LIMIT)
    qty = np.ones(n_lines, np.int64)
    qty = np.where(cat == "MEDICINE", 1 + rng.binomial(2, 0.2, n_lines), qty)
    qty = np.where(cat == "HOSPITAL_DAY", 1 + rng.poisson(2.5, n_lines), qty)
    qty = np.where(np.isin(cat, ["PROCEDURE", "DENTAL"]), 1 + rng.poisson(0.4, n_lines), qty)
    qty = np.minimum(qty, cap)
    m = lines.label == LABEL["A02"]
    return np.where(m, cap + 1 + rng.poisson(0.7, n_lines), qty)


def draw_prices(rng: np.random.Generator, acts: Acts, lines: Lines) -> np.ndarray:
    """Unit prices at the tariff of the level (some discounts); A01 (made here): above it."""
    n_lines, ka, t, lv = lines.act.size, lines.ka, lines.t, lines.lv
    price = np.where(lines.known_act, acts.price[ka, lv, t], -1)
    any_level = acts.price[ka, :, t].max(axis=1)
    price = np.where(price < 0, np.where(any_level >= 0, any_level, 2500), price)
    price = np.where(~lines.known_act, PRICE_LADDER[rng.integers(0, PRICE_LADDER.size, n_lines)], price)
    unit = price.copy()
    discount = (lines.label == LABEL["OK"]) & (price >= 200) & (rng.random(n_lines) < 0.03)
    unit = np.where(discount, (price * rng.uniform(0.7, 0.95, n_lines)).astype(np.int64) // 5 * 5, unit)
    m = lines.label == LABEL["A01"]
    uplift = np.maximum(25, (price * rng.uniform(0.1, 0.6, n_lines)).astype(np.int64) // 25 * 25)
    return np.where(m, np.where(price > 0, price + uplift, 500), unit)


def repeat_first_lines(lines: Lines) -> None:
    """R09: bill the first line's act again on a later line of the same invoice."""
    m = np.flatnonzero(lines.label == LABEL["R09"])
    src = lines.start[lines.inv[m]]
    lines.act[m], lines.qty[m], lines.unit[m] = lines.act[src], lines.qty[src], lines.unit[src]


def make_unreadable(rng: np.random.Generator, lines: Lines) -> None:
    """R14: quantity 0, a negative price, a repeated key, an empty id or an unreadable date."""
    m = np.flatnonzero(lines.label == LABEL["R14"])
    variant = rng.choice(5, m.size, p=[0.3, 0.2, 0.2, 0.15, 0.15])
    variant = np.where((variant == 2) & (lines.line_no[m] == 1), 0, variant)   # a repeated key needs line ≥ 2
    lines.qty[m[variant == 0]] = 0
    lines.unit[m[variant == 1]] = -np.maximum(lines.unit[m[variant == 1]], 100)
    lines.line_no[m[variant == 2]] = 1
    lines.empty_ben[m[variant == 3]] = True
    lines.bad_date[m[variant == 4]] = True


def free_care_lines(acts: Acts, lines: Lines) -> int:
    """Lines of free-care acts that liquidation will see as such (for the summary)."""
    free = lines.known_act & acts.free[lines.ka, lines.t]
    return int((free & ~np.isin(lines.label, [LABEL["R14"], LABEL["R05"]])).sum())
