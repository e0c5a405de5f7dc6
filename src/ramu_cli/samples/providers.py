"""The providers under convention, and the pools of rows invoices draw them from.

Every level of the pyramid in Mali's regions (university hospitals, regional
hospitals, CSRéf, CSCOM, private clinics, pharmacies) with bank details; a few
conventions ended before the month or start after it, and 40 unknown ids bill
anyway (both make R04). Names come from `geography.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ramu_cli.contract import LEVELS
from ramu_cli.samples.care_patterns import PROVIDER_VOLUME
from ramu_cli.samples.dates import date_series
from ramu_cli.samples.draws import WeightedPool, weighted
from ramu_cli.samples.geography import (
    BAMAKO,
    BANK_CODES,
    BANK_P,
    CLINIC_NAMES,
    EPH_HOSPITALS,
    HR_ORDER,
    PHARMACY_NAMES,
    REGION_P,
    REGIONS,
)
from ramu_cli.samples.period import Period

LEVEL_INDEX = {name: i for i, name in enumerate(LEVELS)}
UNKNOWN_PROVIDERS = 40         # ids of non-contracted clinics that bill anyway (R04)
OPEN = -1                      # convention_end of an open-ended convention, as a day number


@dataclass(frozen=True)
class Providers:
    """The providers as invoices see them: row arrays and weighted pools of row numbers."""

    ids: pl.Series                 # the registered ids, then the unknown ones
    level: np.ndarray              # level index of each registered provider
    region: np.ndarray
    registered: int                # rows of the providers table
    unknown: int                   # unknown ids after them
    clean: WeightedPool            # in convention all month, weighted by volume
    long: WeightedPool             # … and since before the tariff window (R10)
    referral: WeightedPool         # … at a level that needs a referral (R11)
    out: np.ndarray                # convention ended before the month or starting after it (R04)


class _Directory:
    """Provider names as they are drawn; a name met again gets a roman numeral (II, III …)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.levels: list[int] = []
        self.regions: list[int] = []
        self.seen: dict[str, int] = {}

    def add(self, name: str, level: str, region: int) -> None:
        self.seen[name] = self.seen.get(name, 0) + 1
        self.names.append(name if self.seen[name] == 1 else f"{name} {roman(self.seen[name])}")
        self.levels.append(LEVEL_INDEX[level])
        self.regions.append(region)


def roman(k: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letter in numerals:
        while k >= value:
            out += letter
            k -= value
    return out


def draw_providers(rng: np.random.Generator, n: int, period: Period) -> tuple[pl.DataFrame, Providers]:
    """The `providers` table (about n rows, each level represented) and its pools."""
    counts = _provider_counts(n)
    book = _Directory()
    _public_names(rng, counts, book)
    _private_names(rng, counts, book)
    n = len(book.names)
    order = rng.permutation(n)
    level, region = np.array(book.levels)[order], np.array(book.regions)[order]
    ids, unknown_ids = _provider_ids(rng, level, region)
    start, end = draw_conventions(rng, level, period)
    bank = rng.choice(len(BANK_CODES), n, p=BANK_P)
    account = rng.integers(10**8, 10**11, n)
    df = pl.DataFrame({
        "provider_id": ids,
        "name": [book.names[i] for i in order],
        "level": pl.Series(list(LEVELS)).gather(level),
        "region": pl.Series([r.name for r in REGIONS]).gather(region),
        "convention_start": date_series(start),
        "convention_end": date_series(np.maximum(end, 0), end < 0),
        "bank_code": pl.Series(list(BANK_CODES)).gather(bank),
        "account_number": pl.Series(account).cast(pl.String).str.zfill(12),
    })
    return df, _invoice_pools(rng, level, region, start, end, pl.concat([ids, unknown_ids]), period)


def _provider_counts(n: int) -> dict[str, int]:
    counts = {"EPH": max(1, round(0.005 * n)), "HR": max(1, round(0.01 * n)),
              "CSREF": max(2, round(0.05 * n)), "PRIVATE": max(2, round(0.12 * n)),
              "PHARMACY": max(3, round(0.17 * n))}
    counts["CSCOM"] = max(1, n - sum(counts.values()))
    return counts


def _public_names(rng: np.random.Generator, counts: dict[str, int], book: _Directory) -> None:
    """University and regional hospitals, then CSRéf by cercle and CSCOM by locality."""
    for i in range(counts["EPH"]):
        name, region = EPH_HOSPITALS[i % len(EPH_HOSPITALS)]
        book.add(name, "EPH", region)
    for i in range(counts["HR"]):
        r = HR_ORDER[i % len(HR_ORDER)]
        book.add(REGIONS[r].hospital, "HR", r)
    for level, prefix in (("CSREF", "CSRéf"), ("CSCOM", "CSCOM")):
        reg = rng.choice(len(REGIONS), counts[level], p=REGION_P)
        used = {r: 0 for r in range(len(REGIONS))}
        shuffled = {r: list(rng.permutation(len(REGIONS[r].localities))) for r in range(len(REGIONS))}
        for r in (int(x) for x in reg):
            if level == "CSREF":
                places = REGIONS[r].cercles
                place = places[used[r] % len(places)]
            else:
                places = REGIONS[r].localities
                place = places[shuffled[r][used[r] % len(places)]]
            book.add(f"{prefix} de {place}", level, r)
            used[r] += 1


def _private_names(rng: np.random.Generator, counts: dict[str, int], book: _Directory) -> None:
    """Clinics and pharmacies, mostly in towns (Bamako weighs 40 % more)."""
    city_p = REGION_P * 0.6
    city_p[BAMAKO] += 0.4
    for level, kinds in (("PRIVATE", ("Clinique", "Polyclinique", "Cabinet médical")),
                         ("PHARMACY", ("Pharmacie",))):
        pool = CLINIC_NAMES if level == "PRIVATE" else PHARMACY_NAMES
        reg = rng.choice(len(REGIONS), counts[level], p=city_p)
        for r in (int(x) for x in reg):
            kind = kinds[int(rng.integers(len(kinds)))] if len(kinds) > 1 else kinds[0]
            if rng.random() < 0.6:
                base = f"{kind} {pool[int(rng.integers(len(pool)))]}"
                name = base if base not in book.seen else f"{base} de {REGIONS[r].localities[0]}"
            else:
                locs = REGIONS[r].localities
                name = f"{kind} de {locs[int(rng.integers(len(locs)))]}"
            book.add(name, level, r)


def _provider_ids(rng: np.random.Generator, level: np.ndarray,
                  region: np.ndarray) -> tuple[pl.Series, pl.Series]:
    """Ids: region (2 digits) + level (1) + serial (5); unknown ones carry level digit 5."""
    n = level.size
    serial = rng.choice(100_000, n + UNKNOWN_PROVIDERS, replace=False)
    codes = [r.code for r in REGIONS]
    ids = (pl.Series(codes).gather(region) + pl.Series(level + 1).cast(pl.String)
           + pl.Series(serial[:n]).cast(pl.String).str.zfill(5))
    unknown_region = rng.choice(len(REGIONS), UNKNOWN_PROVIDERS, p=REGION_P)
    unknown_ids = (pl.Series(codes).gather(unknown_region) + pl.Series(["5"] * UNKNOWN_PROVIDERS)
                   + pl.Series(serial[n:]).cast(pl.String).str.zfill(5))
    return ids, unknown_ids


def draw_conventions(rng: np.random.Generator, level: np.ndarray,
                     period: Period) -> tuple[np.ndarray, np.ndarray]:
    """Convention start and end (OPEN: none); a few small providers ended before the
    month (2 %) or start after it (1 %): their invoices make R04."""
    m0, m1 = period.first_day, period.last_day
    n = level.size
    start = m0 - rng.integers(60, 2600, n)
    start = np.where(rng.random(n) < 0.05, m0 - rng.integers(0, 60, n), start)
    end = np.where(rng.random(n) < 0.05, m1 + rng.integers(30, 900, n), OPEN)
    small = np.flatnonzero(np.isin(level, [LEVEL_INDEX["CSCOM"], LEVEL_INDEX["PHARMACY"], LEVEL_INDEX["PRIVATE"]]))
    n_end, n_late = max(1, round(0.02 * n)), max(1, round(0.01 * n))
    pick = rng.choice(small, min(small.size, n_end + n_late), replace=False)
    ended, later = pick[:n_end], pick[n_end:]
    end[ended] = m0 - rng.integers(10, 400, ended.size)
    start[ended] = np.minimum(start[ended], end[ended] - rng.integers(200, 1500, ended.size))
    start[later] = m1 + rng.integers(1, 60, later.size)
    end[later] = OPEN
    return start, end


def _invoice_pools(rng: np.random.Generator, level: np.ndarray, region: np.ndarray, start: np.ndarray,
                   end: np.ndarray, ids: pl.Series, period: Period) -> Providers:
    """Providers weighted by volume (level and a random size) for clean, R10 and R11 invoices."""
    m0, m1 = period.first_day, period.last_day
    n = level.size
    volume = np.array([PROVIDER_VOLUME[LEVELS[lv]] for lv in level]) * rng.lognormal(0, 0.6, n)
    open_month = (start <= m0) & ((end < 0) | (end >= m1))
    clean = np.flatnonzero(open_month)
    long = np.flatnonzero(open_month & (start <= period.window_start))
    referral = clean[period.referral_levels[level[clean]]]
    return Providers(
        ids=ids, level=level, region=region, registered=n, unknown=UNKNOWN_PROVIDERS,
        clean=weighted(clean, volume), long=weighted(long if long.size else clean, volume),
        referral=weighted(referral, volume),
        out=np.flatnonzero((end >= 0) & (end < m0) | (start > m1)))
