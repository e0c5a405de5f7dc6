"""The tariff folder as arrays, and the draw of each line's act.

`Acts` lays the nomenclature and prices over a window of days so that a line's
act can be checked against its level, day, sex and age in one vectorised step.
`assign_acts` draws the act of each line under its fault label: this is where
R05 (unknown code), R06 (no price at the level), R07 (the act's sex or age
condition is not met) and A02 (an act with a quantity limit) are made.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from ramu_cli.contract import LEVELS
from ramu_cli.samples.care_patterns import CATEGORY_WEIGHTS, PROGRAMME_WEIGHT, STAPLES, UNKNOWN_ACTS
from ramu_cli.samples.dates import day_number
from ramu_cli.samples.faults import LABEL
from ramu_cli.tariffs import Tariffs

LEVEL_INDEX = {name: i for i, name in enumerate(LEVELS)}
NO_MAX_AGE = 999


class Acts:
    """The tariff folder as dense arrays over (act, day) and (act, level, day) in a window."""

    def __init__(self, tariffs: Tariffs, w0: int, w1: int, rng: np.random.Generator):
        acts = tariffs.acts
        self.codes: list[str] = sorted(set(acts["act_code"].to_list()))
        self.categories: list[str] = sorted(set(acts["category"].to_list()))
        self.w0, self.n_days = w0, w1 - w0 + 1
        self._load_acts(acts)
        self._load_prices(tariffs.prices)
        self.priced = (self.price >= 0) & self.valid[:, None, :]
        priced_days = self.priced.any(axis=(0, 1))
        self.first_priced_day = w0 + (int(priced_days.argmax()) if priced_days.any() else self.n_days)
        self.restricted = (self.sex > 0) | (self.min_age > 0) | (self.max_age < NO_MAX_AGE)
        known = set(self.codes)
        self.unknown = [c for c in UNKNOWN_ACTS if c not in known] or ["X" + self.codes[0]]
        self.pop = self._popularity(acts, rng)
        self._samplers: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}

    def _load_acts(self, acts: pl.DataFrame) -> None:
        """Validity, conditions, quantity limit, free care and category of each act on each day."""
        code_ix = {c: i for i, c in enumerate(self.codes)}
        k, t = len(self.codes), self.n_days
        self.valid = np.zeros((k, t), bool)
        self.sex = np.zeros((k, t), np.int8)          # 0 any, 1 F, 2 M
        self.min_age = np.zeros((k, t), np.int16)
        self.max_age = np.full((k, t), NO_MAX_AGE, np.int16)
        self.max_qty = np.zeros((k, t), np.int32)     # 0 = no limit
        self.free = np.zeros((k, t), bool)
        self.category = np.full(k, "", object)
        self.cat_ix = np.zeros((k, t), np.int8)
        for r in acts.sort("valid_from").iter_rows(named=True):
            i = code_ix[r["act_code"]]
            a, b = self._span(r["valid_from"], r["valid_to"])
            self.category[i] = r["category"]
            if a > b:
                continue
            self.valid[i, a:b + 1] = True
            self.sex[i, a:b + 1] = {"F": 1, "M": 2}.get(r["sex"] or "", 0)
            self.min_age[i, a:b + 1] = r["min_age"] if r["min_age"] is not None else 0
            self.max_age[i, a:b + 1] = r["max_age"] if r["max_age"] is not None else NO_MAX_AGE
            self.max_qty[i, a:b + 1] = r["max_qty"] or 0
            self.free[i, a:b + 1] = bool(r["free_care"])
            self.cat_ix[i, a:b + 1] = self.categories.index(r["category"])

    def _load_prices(self, prices: pl.DataFrame) -> None:
        """The price of each act at each level on each day (-1 where there is none)."""
        code_ix = {c: i for i, c in enumerate(self.codes)}
        self.price = np.full((len(self.codes), len(LEVELS), self.n_days), -1, np.int64)
        for r in prices.iter_rows(named=True):
            if r["act_code"] not in code_ix:
                continue
            a, b = self._span(r["valid_from"], r["valid_to"])
            if a <= b:
                self.price[code_ix[r["act_code"]], LEVEL_INDEX[r["level"]], a:b + 1] = r["price"]

    def _popularity(self, acts: pl.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """How often each act is billed: random, fixed by the seed, staples boosted."""
        pop = rng.lognormal(0.0, 0.7, len(self.codes))
        for i, code in enumerate(self.codes):
            # Programmes for chronic infections concern few patients (prevalence, not age).
            programme = acts.filter(pl.col("act_code") == code)["free_care"][-1]
            pop[i] *= PROGRAMME_WEIGHT.get(programme or "", 1.0)
        code_ix = {c: i for i, c in enumerate(self.codes)}
        for code, boost in STAPLES.items():
            if code in code_ix:
                pop[code_ix[code]] *= boost
        return pop

    def _span(self, start: date, end: date | None) -> tuple[int, int]:
        a = max(day_number(start) - self.w0, 0)
        b = self.n_days - 1 if end is None else min(day_number(end) - self.w0, self.n_days - 1)
        return a, b

    def sampler(self, mode: str, level: int) -> tuple[np.ndarray, np.ndarray]:
        """(candidate acts, cumulative probabilities) for a draw mode at a level."""
        key = (mode, level)
        if key not in self._samplers:
            self._samplers[key] = self._make_sampler(mode, level)
        return self._samplers[key]

    def _make_sampler(self, mode: str, level: int) -> tuple[np.ndarray, np.ndarray]:
        priced_any = self.priced[:, level, :].any(axis=1)
        if mode == "R06":
            cand = np.flatnonzero(self.valid.any(axis=1) & ~priced_any)
            w = self.pop[cand]
        else:
            if mode == "R07":
                cand = np.flatnonzero(priced_any & self.restricted.any(axis=1))
            else:
                cand = np.flatnonzero(priced_any)
            weights = CATEGORY_WEIGHTS.get(LEVELS[level], {})
            cats = self.category[cand]
            w = np.array([weights.get(c, 0.01) for c in cats], float) * self.pop[cand]
            # Spread each category's share over its acts by popularity.
            for c in set(cats):
                m = cats == c
                w[m] = w[m] / w[m].sum() * weights.get(c, 0.01)
        if cand.size == 0:
            return cand, np.zeros(0)
        cdf = np.cumsum(w / w.sum())
        cdf[-1] = 1.0
        return cand, cdf


def assign_acts(acts: Acts, rng: np.random.Generator, idx: np.ndarray, label: np.ndarray,
                act: np.ndarray, lv: np.ndarray, t: np.ndarray, sex: np.ndarray, age: np.ndarray,
                no_free: np.ndarray) -> None:
    """Draw the act of lines `idx` by rejection, each under the constraint of its label.

    R05 lines get a code outside the nomenclature; R06, R07 and A02 lines an act
    that breaks (or, for A02, allows breaking) the tariff the way the code says.
    A fault no act can make for that patient at that level leaves the line clean.
    """
    mode = np.full(idx.size, "OK", object)
    for code in ("R05", "R06", "R07", "A02"):
        mode[label[idx] == LABEL[code]] = code
    m = mode == "R05"
    act[idx[m]] = len(acts.codes) + rng.integers(0, len(acts.unknown), int(m.sum()))
    for name in ("OK", "R06", "R07", "A02"):
        pending = idx[mode == name]
        for _ in range(40):
            if pending.size == 0:
                break
            for level in np.unique(lv[pending]):
                sub = pending[lv[pending] == level]
                cand, cdf = acts.sampler("OK" if name == "A02" else name, int(level))
                if cand.size == 0:
                    continue
                act[sub] = cand[np.minimum(np.searchsorted(cdf, rng.random(sub.size), side="right"),
                                           cand.size - 1)]
            pending = pending[~act_fits(acts, name, act[pending], lv[pending], t[pending],
                                        sex[pending], age[pending], no_free[pending])]
        if pending.size:
            if name == "OK":
                act[pending] = fallback_act(acts, lv[pending], t[pending], sex[pending], age[pending])
            else:   # no such act for this patient at this level: the line stays clean
                label[pending] = LABEL["OK"]
                assign_acts(acts, rng, pending, label, act, lv, t, sex, age, no_free)


def act_fits(acts: Acts, mode: str, k: np.ndarray, lv: np.ndarray, t: np.ndarray,
             sex: np.ndarray, age: np.ndarray, no_free: np.ndarray) -> np.ndarray:
    """Whether act k fits a line drawn in `mode` (R06: unpriced; R07: incompatible; A02: capped)."""
    valid = acts.valid[k, t]
    priced = acts.price[k, lv, t] >= 0
    s = acts.sex[k, t]
    compatible = ((s == 0) | (s == sex)) & (age >= acts.min_age[k, t]) & (age <= acts.max_age[k, t])
    free_ok = ~(no_free & acts.free[k, t])
    if mode == "R06":
        return valid & ~priced & compatible & free_ok
    if mode == "R07":
        return valid & priced & ~compatible
    if mode == "A02":
        return valid & priced & compatible & free_ok & (acts.max_qty[k, t] > 0)
    return valid & priced & compatible & free_ok


def fallback_act(acts: Acts, lv: np.ndarray, t: np.ndarray, sex: np.ndarray,
                 age: np.ndarray) -> np.ndarray:
    """For the rare line no draw fitted: the most popular unrestricted act priced there."""
    out = np.zeros(lv.size, np.int64)
    order = np.argsort(-acts.pop)
    for i in range(lv.size):
        for k in order:
            if acts.price[k, lv[i], t[i]] >= 0 and acts.valid[k, t[i]] and not acts.free[k, t[i]] \
                    and acts.sex[k, t[i]] in (0, sex[i]) \
                    and acts.min_age[k, t[i]] <= age[i] <= acts.max_age[k, t[i]]:
                out[i] = k
                break
    return out
