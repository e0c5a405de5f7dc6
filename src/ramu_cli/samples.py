"""Synthetic RAMU batches for demos, tests and benchmarks (`ramu samples`).

`write_sample_batch` writes the five files of a month's batch (beneficiaries,
providers, invoices, contributions, remittances) into a folder, as Parquet, CSV
or XLSX. Everything is drawn from one numpy Generator seeded by `seed`, so the
same options give byte-identical files. Draws are vectorised; invoice lines are
made and written in chunks of CHUNK_LINES rows, so ten million lines stream
through a bounded amount of memory.

What the batch looks like (rates in INVOICE_FAULT_RATES and LINE_FAULT_RATES):

- beneficiaries: families by OGD (about 8 % CMSS, 12 % INPS, 75 % UTM,
  5 % ANAM), principals with spouses and children of every age, RAMED
  admitted-of-right people, some closed rights, a few registry anomalies
  (a duplicate id, a dependant whose principal is missing);
- providers: every level of the pyramid in Mali's regions, with bank details,
  a few whose convention ended or starts after the month;
- invoices: multi-line invoices priced with the tariff folder at each
  provider's level and service date, and faults injected at realistic rates
  so that about 10 % of lines end REJECTED or REDUCED, every reason code but
  R13 (which needs a ledger) included;
- contributions: 12 periods ending at the batch month for CMSS, INPS and UTM,
  collected in full, partly, late or not yet; remittances: one to three
  transfers per OGD and period, most on time, some late, partial or missing,
  one in excess.

The batch is an extract taken on the 14th of the following month: collections
are known up to the last day of the month, transfers up to the 14th of the next.

This module never prints: it returns a `SampleResult` that the command renders.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ramu_cli.contract import LEVELS, OGDS
from ramu_cli.errors import InputError
from ramu_cli.io.xlsx import write_xlsx
from ramu_cli.tariffs import Tariffs

FORMATS = ("parquet", "csv", "xlsx")
CHUNK_LINES = 1_000_000          # invoice lines generated and written at a time
XLSX_MAX_LINES = 200_000         # XLSX is for small batches only
MAX_BENEFICIARIES = 1_000_000    # default ceiling (an explicit --beneficiaries may exceed it)

# Codes of the injected faults, in report order ("OK" = a clean line).
FAULT_CODES = ("R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10",
               "R11", "R12", "R14", "A01", "A02")
_LABELS = ("OK",) + FAULT_CODES
_L = {name: i for i, name in enumerate(_LABELS)}

# Share of invoices carrying a fault of the whole invoice (beneficiary, provider, dates) …
INVOICE_FAULT_RATES = {"R01": 0.008, "R02": 0.012, "R03": 0.006, "R04": 0.005, "R08": 0.006,
                       "R10": 0.007, "R11": 0.003, "R12": 0.003}
# … and share of all lines carrying a fault of the line (act, price, quantity, key).
LINE_FAULT_RATES = {"R05": 0.004, "R06": 0.006, "R07": 0.004, "R09": 0.010, "R14": 0.004,
                    "A01": 0.015, "A02": 0.008}

OGD_SHARES = {"CMSS": 0.08, "INPS": 0.12, "UTM": 0.75, "ANAM": 0.05}
_OGD_P = np.array([OGD_SHARES[o] for o in OGDS])
_ANAM = OGDS.index("ANAM")
_LEVEL = {name: i for i, name in enumerate(LEVELS)}

# --------------------------------------------------------------------------- geography

@dataclass(frozen=True)
class _Region:
    code: str          # two digits, leading zero kept: first digits of registration numbers
    name: str
    weight: float      # share of the population
    cercles: tuple[str, ...]
    localities: tuple[str, ...]
    hospital: str


REGIONS = (
    _Region("01", "Kayes", 0.13,
            ("Kayes", "Bafoulabé", "Diéma", "Kéniéba", "Kita", "Nioro du Sahel", "Yélimané"),
            ("Kayes N'Di", "Khasso", "Légal Ségou", "Plateau", "Liberté", "Bafoulabé", "Kita",
             "Nioro du Sahel", "Diéma", "Yélimané", "Kéniéba", "Sadiola", "Oussoubidiagna",
             "Aourou", "Ambidédi", "Séféto", "Sagabari", "Diamou", "Mahina", "Toukoto"),
            "Hôpital Fousseyni Daou de Kayes"),
    _Region("02", "Koulikoro", 0.17,
            ("Kati", "Koulikoro", "Banamba", "Dioïla", "Kangaba", "Kolokani", "Nara", "Fana"),
            ("Kati", "Koulikoro Gare", "Kolokani", "Banamba", "Dioïla", "Fana", "Nara", "Kangaba",
             "Ouéléssébougou", "Siby", "Kalaban Coro", "Baguinéda", "Sanankoroba", "Kassela",
             "Massigui", "Néguéla", "Didiéni", "Tienfala", "Moribabougou", "Dialakorobougou"),
            "Hôpital régional de Koulikoro"),
    _Region("03", "Sikasso", 0.17,
            ("Sikasso", "Bougouni", "Kadiolo", "Kolondiéba", "Koutiala", "Yanfolila", "Yorosso"),
            ("Wayerma", "Médine", "Mancourani", "Koutiala", "Bougouni", "Kadiolo", "Yorosso",
             "Kolondiéba", "Yanfolila", "Zégoua", "Niéna", "Loulouni", "Kignan", "Garalo", "Kouri",
             "Molobala", "Fakola", "Kléla", "Lobougoula", "Finkolo"),
            "Hôpital régional de Sikasso"),
    _Region("04", "Ségou", 0.15,
            ("Ségou", "Barouéli", "Bla", "Macina", "Niono", "San", "Tominian", "Markala"),
            ("Pélengana", "Bla", "San", "Niono", "Macina", "Markala", "Barouéli", "Tominian",
             "Dioro", "Sansanding", "Saro", "Cinzana", "Touna", "Sokolo", "Kolongo", "Somo",
             "Fatiné", "Sakoïba", "Konobougou", "Diabaly"),
            "Hôpital Nianankoro Fomba de Ségou"),
    _Region("05", "Mopti", 0.12,
            ("Mopti", "Bandiagara", "Bankass", "Djenné", "Douentza", "Koro", "Ténenkou", "Youwarou"),
            ("Sévaré", "Djenné", "Bandiagara", "Douentza", "Koro", "Bankass", "Ténenkou",
             "Youwarou", "Konna", "Fatoma", "Sofara", "Mondoro", "Boni", "Dinangourou", "Sangha",
             "Kani-Bonzon", "Diallassagou", "Toguéré Coumbé", "Socoura", "Komoguel"),
            "Hôpital Sominé Dolo de Mopti"),
    _Region("06", "Tombouctou", 0.04,
            ("Tombouctou", "Diré", "Goundam", "Gourma-Rharous", "Niafunké"),
            ("Tombouctou", "Diré", "Goundam", "Niafunké", "Gourma-Rharous", "Léré", "Ber", "Tonka",
             "Bintagoungou", "Gossi", "Soumpi", "Alafia"),
            "Hôpital régional de Tombouctou"),
    _Region("07", "Gao", 0.03, ("Gao", "Ansongo", "Bourem"),
            ("Gao", "Ansongo", "Bourem", "Gabéro", "Tessit", "Bamba", "Ouatagouna", "Soni Aliber",
             "Taboye", "Gounzoureye"),
            "Hôpital régional de Gao"),
    _Region("08", "Kidal", 0.005, ("Kidal", "Tessalit", "Abeïbara"),
            ("Kidal", "Tessalit", "Abeïbara", "Tin-Essako", "Aguelhok", "Anéfis"),
            "Hôpital régional de Kidal"),
    _Region("09", "Ménaka", 0.01, ("Ménaka", "Andéramboukane"),
            ("Ménaka", "Andéramboukane", "Inékar", "Tidermène", "Anouzagrene"),
            "Hôpital régional de Ménaka"),
    _Region("10", "Taoudénit", 0.005, ("Taoudéni", "Achouratt"),
            ("Taoudéni", "Foum-Elba", "Achouratt", "Boujbeha", "Al-Ourche", "Arawane"),
            "Hôpital régional de Taoudénit"),
    _Region("11", "Bamako", 0.15,
            ("la Commune I", "la Commune II", "la Commune III", "la Commune IV", "la Commune V",
             "la Commune VI"),
            ("Banconi", "Sabalibougou", "Djicoroni Para", "Kalaban Coura", "Niamakoro",
             "Lafiabougou", "Hamdallaye", "Médina Coura", "Bagadadji", "Sogoniko", "Faladié",
             "Magnambougou", "Missabougou", "Sébénikoro", "Boulkassoumbougou", "Djélibougou",
             "Korofina Nord", "Sikoroni", "Yirimadio", "Sénou", "Niaréla", "Badalabougou",
             "Torokorobougou", "Daoudabougou", "Banankabougou", "Dianéguéla", "Sotuba",
             "Kalabambougou", "Bacodjicoroni", "Doumanzana"),
            "Hôpital régional de Bamako"),
)
_REGION_P = np.array([r.weight for r in REGIONS]) / sum(r.weight for r in REGIONS)
_BAMAKO = len(REGIONS) - 1
_HR_ORDER = (0, 2, 3, 4, 6, 5, 1, 7, 8, 9)  # regional hospitals: Kayes, Sikasso, Ségou, …

_EPH = (("CHU du Point G", _BAMAKO), ("CHU Gabriel Touré", _BAMAKO), ("Hôpital du Mali", _BAMAKO),
        ("CHU Bocar Sidy Sall de Kati", 1), ("CHU d'Odontostomatologie de Bamako", _BAMAKO),
        ("CHU de l'IOTA", _BAMAKO), ("Hôpital Mère-Enfant Le Luxembourg", _BAMAKO),
        ("Hôpital de Dermatologie de Bamako", _BAMAKO))
_CLINIC_NAMES = ("Pasteur", "Kabala", "Farako", "Les Étoiles", "Lafia", "Jigi", "Duniya", "Sigida",
                 "Nièta", "Kènèya", "Benkadi", "Yeelen", "du Fleuve", "de l'Amitié", "Sainte Marie",
                 "Al Farouk", "Hippocrate", "Djoliba", "La Source", "Espoir")
_PHARMACY_NAMES = ("du Fleuve", "de la Paix", "Kènèya", "du Marché", "de la Gare", "Niger",
                   "Djoliba", "Tata", "Wassa", "du Sahel", "Espoir", "Bolibana", "du Centre",
                   "Hippodrome", "Baraka", "Sanou", "Nouvelle", "de l'Étoile", "Faso", "Dambé")
# Mali's banks (UEMOA bank codes, illustrative), most providers' accounts at the first ones.
_BANK_CODES = ("ML016", "ML043", "ML040", "ML001", "ML044", "ML041", "ML079", "ML090", "ML102",
               "ML112", "ML117", "ML085")
_BANK_P = np.array([0.22, 0.18, 0.14, 0.10, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01])

# Share of invoice lines by category at each level, and lines per invoice (1 + Poisson(λ)).
_CATEGORY_WEIGHTS = {
    "CSCOM": {"CONSULTATION": .28, "MEDICINE": .40, "LAB": .14, "PROCEDURE": .09, "MATERNITY": .07,
              "HOSPITAL_DAY": .02},
    "CSREF": {"CONSULTATION": .20, "MEDICINE": .34, "LAB": .17, "IMAGING": .05, "PROCEDURE": .07,
              "MATERNITY": .06, "SURGERY": .03, "HOSPITAL_DAY": .05, "DENTAL": .03},
    "HR": {"CONSULTATION": .18, "MEDICINE": .30, "LAB": .19, "IMAGING": .08, "PROCEDURE": .07,
           "MATERNITY": .04, "SURGERY": .04, "HOSPITAL_DAY": .07, "DENTAL": .03},
    "EPH": {"CONSULTATION": .20, "MEDICINE": .28, "LAB": .19, "IMAGING": .09, "PROCEDURE": .07,
            "MATERNITY": .03, "SURGERY": .05, "HOSPITAL_DAY": .07, "DENTAL": .02},
    "PRIVATE": {"CONSULTATION": .30, "MEDICINE": .05, "LAB": .24, "IMAGING": .10, "PROCEDURE": .09,
                "MATERNITY": .07, "SURGERY": .04, "HOSPITAL_DAY": .05, "DENTAL": .06},
    "PHARMACY": {"MEDICINE": 1.0},
}
_LINES_LAMBDA = {"CSCOM": 1.5, "CSREF": 1.8, "HR": 2.2, "EPH": 2.4, "PRIVATE": 1.5, "PHARMACY": 1.7}
_PROVIDER_VOLUME = {"CSCOM": 1.0, "CSREF": 3.0, "HR": 6.0, "EPH": 10.0, "PRIVATE": 1.2,
                    "PHARMACY": 1.5}
# Everyday acts that providers bill most, and rare ones (a factor on their popularity).
_STAPLES = {"CS001": 15, "CS002": 5, "CS005": 0.2, "CS003": 0.5, "CS028": 0.3, "CS033": 3,
            "LAB001": 4, "LAB002": 3, "LAB003": 3, "LAB004": 2,
            "MED001": 4, "MED007": 3, "MED023": 3, "MED024": 3, "MED025": 3, "MED031": 2,
            "MAT001": 3, "VAC002": 2, "HOS002": 3}
# Popularity factor of free-care programmes whose acts carry no age limit.
_PROGRAMME_WEIGHT = {"HIV": 0.15, "TB": 0.08, "LEPROSY": 0.02}
# Codes providers write that are not in the nomenclature (old key letters, local codes).
_UNKNOWN_ACTS = ("K10", "K15", "K20", "K30", "B20", "B40", "B60", "Z15", "Z30", "C1", "CS", "CS034",
                 "CS099", "MED088", "MED099", "MED-DIV", "LAB041", "LAB050", "IMG019", "CHI023",
                 "PRO021", "HOS010", "PHARMA", "CONSULT", "ACTE-LOC")


# --------------------------------------------------------------------------- options and result

@dataclass(frozen=True)
class SampleOptions:
    month: str                      # YYYY-MM
    invoices: int = 5000
    seed: int = 0
    fmt: str = "parquet"
    beneficiaries: int | None = None
    providers: int | None = None
    contributors: int | None = None


@dataclass
class SampleResult:
    month: str
    seed: int
    fmt: str
    files: dict[str, Path]                       # role -> path inside the folder written
    rows: dict[str, int]                         # role -> data rows
    invoices: int = 0                            # distinct invoices
    faults: dict[str, int] = field(default_factory=dict)   # code -> lines injected
    free_care_lines: int = 0
    registry_anomalies: int = 0
    providers_out_of_convention: int = 0
    closed_rights: int = 0

    @property
    def faulty_lines(self) -> int:
        return sum(self.faults.values())


def default_beneficiaries(invoices: int) -> int:
    return int(min(MAX_BENEFICIARIES, max(500, invoices // 2)))


def default_providers(invoices: int) -> int:
    """About 2 000 at national scale (10 million lines), fewer for small batches (≥ 40)."""
    return int(min(2000, max(40, round(2000 * math.sqrt(invoices / 10_000_000)))))


def default_contributors(invoices: int) -> int:
    return int(min(20_000, max(200, invoices // 1000)))


def parse_month(month: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM month (ValueError if it is not one)."""
    year, mon = month.split("-")
    if len(year) != 4 or len(mon) != 2:
        raise ValueError(month)
    first = date(int(year), int(mon), 1)
    return first, _add_months(first, 1) - timedelta(days=1)


# --------------------------------------------------------------------------- dates

_EPOCH = date(1970, 1, 1)


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _date(day: int) -> date:
    return _EPOCH + timedelta(days=int(day))


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, d


def _age(birth: np.ndarray, at: np.ndarray | int) -> np.ndarray:
    """Full years at `at`: an anniversary is passed when (month, day) ≥ the birth's."""
    by, bm, bd = _ymd(birth)
    ay, am, ad = _ymd(np.broadcast_to(at, np.shape(birth)))
    return ay - by - ((am * 100 + ad) < (bm * 100 + bd))


def _date_series(days: np.ndarray, null: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date)
    if null is not None and null.any():
        s = s.scatter(np.flatnonzero(null), None)
    return s


# --------------------------------------------------------------------------- tariff arrays

class _Acts:
    """The tariff folder as dense arrays over (act, day) and (act, level, day) in a window."""

    def __init__(self, tariffs: Tariffs, w0: int, w1: int, rng: np.random.Generator):
        acts, prices = tariffs.acts, tariffs.prices
        self.codes = sorted(set(acts["act_code"].to_list()))
        code_ix = {c: i for i, c in enumerate(self.codes)}
        self.w0, self.n_days = w0, w1 - w0 + 1
        k, t = len(self.codes), self.n_days
        self.valid = np.zeros((k, t), bool)
        self.sex = np.zeros((k, t), np.int8)          # 0 any, 1 F, 2 M
        self.min_age = np.zeros((k, t), np.int16)
        self.max_age = np.full((k, t), 999, np.int16)
        self.max_qty = np.zeros((k, t), np.int32)     # 0 = no limit
        self.free = np.zeros((k, t), bool)
        self.category = np.full(len(self.codes), "", object)
        self.cat_ix = np.zeros((k, t), np.int8)
        categories = sorted(set(acts["category"].to_list()))
        self.categories = categories
        for r in acts.sort("valid_from").iter_rows(named=True):
            i = code_ix[r["act_code"]]
            a, b = self._span(r["valid_from"], r["valid_to"])
            self.category[i] = r["category"]
            if a > b:
                continue
            self.valid[i, a:b + 1] = True
            self.sex[i, a:b + 1] = {"F": 1, "M": 2}.get(r["sex"] or "", 0)
            self.min_age[i, a:b + 1] = r["min_age"] if r["min_age"] is not None else 0
            self.max_age[i, a:b + 1] = r["max_age"] if r["max_age"] is not None else 999
            self.max_qty[i, a:b + 1] = r["max_qty"] or 0
            self.free[i, a:b + 1] = bool(r["free_care"])
            self.cat_ix[i, a:b + 1] = categories.index(r["category"])
        self.price = np.full((k, len(LEVELS), t), -1, np.int64)
        for r in prices.iter_rows(named=True):
            if r["act_code"] not in code_ix:
                continue
            a, b = self._span(r["valid_from"], r["valid_to"])
            if a <= b:
                self.price[code_ix[r["act_code"]], _LEVEL[r["level"]], a:b + 1] = r["price"]
        self.priced = (self.price >= 0) & self.valid[:, None, :]
        priced_days = self.priced.any(axis=(0, 1))
        self.first_priced_day = w0 + (int(priced_days.argmax()) if priced_days.any() else self.n_days)
        self.restricted = (self.sex > 0) | (self.min_age > 0) | (self.max_age < 999)
        known = set(self.codes)
        self.unknown = [c for c in _UNKNOWN_ACTS if c not in known] or ["X" + self.codes[0]]
        # Popularity of each act: random, fixed by the seed, staples boosted.
        pop = rng.lognormal(0.0, 0.7, len(self.codes))
        for i, code in enumerate(self.codes):
            # Programmes for chronic infections concern few patients (prevalence, not age).
            programme = acts.filter(pl.col("act_code") == code)["free_care"][-1]
            pop[i] *= _PROGRAMME_WEIGHT.get(programme or "", 1.0)
        for code, boost in _STAPLES.items():
            if code in code_ix:
                pop[code_ix[code]] *= boost
        self.pop = pop
        self._samplers: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}

    def _span(self, start: date, end: date | None) -> tuple[int, int]:
        a = max(_day(start) - self.w0, 0)
        b = self.n_days - 1 if end is None else min(_day(end) - self.w0, self.n_days - 1)
        return a, b

    def sampler(self, mode: str, level: int) -> tuple[np.ndarray, np.ndarray]:
        """(candidate acts, cumulative probabilities) for a draw mode at a level."""
        key = (mode, level)
        if key in self._samplers:
            return self._samplers[key]
        priced_any = self.priced[:, level, :].any(axis=1)
        if mode == "R06":
            cand = np.flatnonzero(self.valid.any(axis=1) & ~priced_any)
            w = self.pop[cand]
        else:
            if mode == "R07":
                cand = np.flatnonzero(priced_any & self.restricted.any(axis=1))
            else:
                cand = np.flatnonzero(priced_any)
            weights = _CATEGORY_WEIGHTS.get(LEVELS[level], {})
            cats = self.category[cand]
            w = np.array([weights.get(c, 0.01) for c in cats], float) * self.pop[cand]
            # Spread each category's share over its acts by popularity.
            for c in set(cats):
                m = cats == c
                w[m] = w[m] / w[m].sum() * weights.get(c, 0.01)
        if cand.size == 0:
            out = (cand, np.zeros(0))
        else:
            cdf = np.cumsum(w / w.sum())
            cdf[-1] = 1.0
            out = (cand, cdf)
        self._samplers[key] = out
        return out


# --------------------------------------------------------------------------- context

@dataclass
class _Batch:
    """Everything invoice chunks draw from: month, tariffs, registry, providers, pools."""

    m0: int
    m1: int
    w0: int
    month: str
    acts: _Acts
    child_limit: int
    student_limit: int
    deadline: int
    referral_ogds: np.ndarray      # bool per OGD index
    referral_levels: np.ndarray    # bool per level index
    # beneficiaries
    b_ids: pl.Series
    b_ogd: np.ndarray
    b_sex: np.ndarray              # 1 F, 2 M
    b_birth: np.ndarray
    b_region: np.ndarray
    b_serials: np.ndarray          # 9-digit serials used (sorted), for unknown ids
    pool_clean: np.ndarray
    pool_clean_by_region: list[np.ndarray]
    pool_long: np.ndarray
    pool_r02: np.ndarray
    pool_r03: np.ndarray
    pool_r11: np.ndarray
    pool_anomalies: np.ndarray
    # providers
    p_ids: pl.Series               # registered ids, then unknown ids
    p_level: np.ndarray
    p_region: np.ndarray
    n_providers: int
    prov_clean: tuple[np.ndarray, np.ndarray]
    prov_long: tuple[np.ndarray, np.ndarray]
    prov_referral: tuple[np.ndarray, np.ndarray]
    prov_out: np.ndarray
    n_unknown_providers: int
    service_cdf: np.ndarray        # day-of-month weights (fewer visits on Sundays)


def _weighted(idx: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if idx.size == 0:
        return idx, np.zeros(0)
    cdf = np.cumsum(w[idx] / w[idx].sum())
    cdf[-1] = 1.0
    return idx, cdf


def _draw(rng: np.random.Generator, pool: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    idx, cdf = pool
    return idx[np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), idx.size - 1)]


def _pick(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    return pool[rng.integers(0, pool.size, n)]


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    raw = shares / shares.sum() * total
    out = np.floor(raw).astype(np.int64)
    rest = total - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


# --------------------------------------------------------------------------- beneficiaries

def _families(rng: np.random.Generator, ogd: int, target: int, m0: int) -> dict[str, np.ndarray]:
    """Families of one OGD whose sizes add up to exactly `target` people."""
    n = max(16, target // 2 + 16)
    while True:
        of_right = (rng.random(n) < 0.35) if ogd == _ANAM else np.zeros(n, bool)
        p_male = {"CMSS": 0.68, "INPS": 0.72, "UTM": 0.56, "ANAM": 0.5}[OGDS[ogd]]
        male = rng.random(n) < p_male
        u = rng.random(n)
        if OGDS[ogd] in ("CMSS", "INPS"):
            age = np.where(u < 0.82, rng.uniform(22, 60, n), rng.uniform(60, 86, n))
        elif OGDS[ogd] == "UTM":
            age = np.clip(18 + rng.gamma(2.2, 11.0, n), 18, 92)
        else:
            age = rng.uniform(18, 90, n)
        # Admitted of right: orphans, prisoners, homeless people, elderly in institutions.
        age = np.where(of_right, np.where(u < 0.3, rng.uniform(0, 18, n),
                                          np.where(u < 0.8, rng.uniform(18, 60, n),
                                                   rng.uniform(60, 95, n))), age)
        spouses = np.where(male, rng.choice(4, n, p=[0.22, 0.62, 0.13, 0.03]),
                           rng.choice(2, n, p=[0.72, 0.28]))
        spouses = np.where(of_right | (age < 20), 0, spouses)
        children = np.minimum(rng.poisson(np.where(age < 25, 0.8, 3.2)), 10)
        children = np.where(of_right, 0, children)
        size = 1 + spouses + children
        cs = np.cumsum(size)
        if cs[-1] >= target:
            break
        n *= 2
    k = int(np.searchsorted(cs, target)) + 1
    size = size[:k].copy()
    size[-1] -= cs[k - 1] - target
    spouses = np.minimum(spouses[:k], size - 1)
    region = rng.choice(len(REGIONS), k, p=_REGION_P)
    return {"ogd": np.full(k, ogd), "of_right": of_right[:k], "male": male[:k], "age": age[:k],
            "spouses": spouses, "size": size, "region": region}


def _beneficiaries(rng: np.random.Generator, n: int, ctx: dict) -> tuple[pl.DataFrame, dict]:
    m0, m1 = ctx["m0"], ctx["m1"]
    year0 = _date(m0).year
    parts = [_families(rng, o, int(t), m0) for o, t in enumerate(_largest_remainder(n, _OGD_P)) if t]
    fam = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    order = rng.permutation(fam["size"].size)
    fam = {key: v[order] for key, v in fam.items()}
    nf = fam["size"].size
    f = np.repeat(np.arange(nf), fam["size"])
    start = np.concatenate([[0], np.cumsum(fam["size"])[:-1]])
    pos = np.arange(n) - start[f]
    principal = start[f]                                       # row of the family's principal
    is_principal = pos == 0
    is_spouse = (pos >= 1) & (pos <= fam["spouses"][f])
    is_child = ~is_principal & ~is_spouse
    of_right = fam["of_right"][f] & is_principal
    ogd = fam["ogd"][f]
    region = fam["region"][f]
    p_male = fam["male"][f]
    p_age = fam["age"][f]

    male = np.where(is_principal, p_male, np.where(is_spouse, ~p_male, rng.random(n) < 0.5))
    spouse_age = np.where(p_male, np.maximum(p_age - rng.uniform(0, 18, n), 18),
                          p_age + rng.uniform(0, 10, n))
    max_child = np.clip(p_age - 17, 0.5, 32)
    child_age = max_child * rng.random(n) ** 1.3
    age = np.where(is_principal, p_age, np.where(is_spouse, spouse_age, child_age))
    birth = m0 - 1 - np.floor(age * 365.25).astype(np.int64)
    full_age = _age(birth, m0)
    student = is_child & (((full_age >= 14) & (full_age <= 21) & (rng.random(n) < 0.55))
                          | ((full_age > 21) & (full_age <= 26) & (rng.random(n) < 0.08)))
    disabled = is_child & (rng.random(n) < np.where(full_age > 21, 0.06, 0.012))

    # Rights: AMO and mutual members from their registration; RAMED receipts for 3 years.
    p_start = m0 - rng.integers(30, 365 * 7, n)
    p_start = np.maximum(p_start, birth + 18 * 365)
    p_end = np.full(n, -1, np.int64)                          # -1 = open-ended
    u = rng.random(n)
    is_anam = ogd == _ANAM
    closed_rate = np.array([0.03, 0.05, 0.07, 0.0])[ogd]
    closing = (u < closed_rate) & (p_start < m0 - 2)
    p_end = np.where(closing, p_start + ((m0 - 1 - p_start) * rng.random(n)).astype(np.int64), p_end)
    fixed_term = (u >= closed_rate) & (u < closed_rate + 0.03) & ~is_anam
    p_end = np.where(fixed_term, m1 + rng.integers(30, 700, n), p_end)
    newcomer = (rng.random(n) < 0.012) & ~is_anam
    p_start = np.where(newcomer, m1 + rng.integers(1, 40, n), p_start)
    p_end = np.where(newcomer, -1, p_end)
    receipt_year = year0 - rng.choice(5, n, p=[0.35, 0.30, 0.20, 0.10, 0.05])
    r_start = np.array([_day(date(int(y), 1, 1)) for y in range(year0 - 4, year0 + 1)])
    r_end = np.array([_day(date(int(y) + 2, 12, 31)) for y in range(year0 - 4, year0 + 1)])
    ry = receipt_year - (year0 - 4)
    anam_start = np.maximum(r_start[ry] + rng.integers(0, 120, n), birth)
    p_start = np.where(is_anam, np.minimum(anam_start, np.maximum(m0 - 1, birth)), p_start)
    p_end = np.where(is_anam, r_end[ry], p_end)
    # Principal's rights, then each dependant's own (from birth or the principal's start).
    fam_start, fam_end = p_start[principal], p_end[principal]
    rights_start = np.where(is_principal, p_start, np.maximum(fam_start, birth))
    rights_end = np.where(is_principal, p_end, np.where(is_anam, fam_end, -1))
    divorced = is_spouse & ~is_anam & (rng.random(n) < 0.02) & (rights_start < m0 - 2)
    rights_end = np.where(divorced, rights_start + ((m0 - 1 - rights_start) * rng.random(n)
                                                    ).astype(np.int64), rights_end)
    rights_end = np.where((rights_end >= 0) & (rights_end < rights_start), rights_start, rights_end)

    # Registration numbers: region (2 digits) + year registered (2) + serial (9): 13 digits.
    serial = rng.choice(10**9, n, replace=False)
    reg_year = _ymd(np.where(is_anam, rights_start, np.minimum(rights_start, m1)))[0] % 100
    ids = (pl.Series([r.code for r in REGIONS]).gather(region)
           + pl.Series(reg_year).cast(pl.String).str.zfill(2)
           + pl.Series(serial).cast(pl.String).str.zfill(9))
    principal_ids = ids.gather(principal)

    # Registry anomalies: two children under one number, spouses whose principal is missing.
    k = max(1, n // 4000)
    anomalies = np.zeros(n, bool)
    children = np.flatnonzero(is_child)
    spouses_ix = np.flatnonzero(is_spouse)
    if children.size >= 2 * k:
        pick = rng.choice(children, 2 * k, replace=False)
        ids = ids.scatter(pick[k:], ids.gather(pick[:k]))
        anomalies[pick] = True
    if spouses_ix.size >= k:
        pick = rng.choice(spouses_ix, k, replace=False)
        ghosts = _unknown_beneficiary_ids(rng, k, np.sort(serial), region[pick], 1)
        principal_ids = principal_ids.scatter(pick, ghosts)
        anomalies[pick] = True

    relationship = np.where(of_right, 3, np.where(is_principal, 0, np.where(is_spouse, 1, 2)))
    df = pl.DataFrame({
        "beneficiary_id": ids,
        "principal_id": principal_ids,
        "relationship": pl.Series(["PRINCIPAL", "SPOUSE", "CHILD", "OF_RIGHT"]).gather(relationship),
        "ogd": pl.Series(list(OGDS)).gather(ogd),
        "sex": pl.Series(["F", "M"]).gather(male.astype(np.int64)),
        "birth_date": _date_series(birth),
        "student": student,
        "disabled": disabled,
        "rights_start": _date_series(rights_start),
        "rights_end": _date_series(np.maximum(rights_end, 0), rights_end < 0),
    })

    # Pools the invoices draw from (ages at the month's ends; rights with the principal's).
    eff_start = np.maximum(rights_start, p_start[principal])
    inf = np.iinfo(np.int64).max
    eff_end = np.minimum(np.where(rights_end < 0, inf, rights_end),
                         np.where(fam_end < 0, inf, fam_end))
    lim, stu = ctx["child_limit"], ctx["student_limit"]
    a1, a0 = _age(birth, m1), _age(birth, m0)
    entitled_all_month = ~is_child | disabled | (a1 < lim) | (student & (a1 <= stu))
    out_of_conditions = is_child & ~disabled & (a0 >= lim) & ~(student & (a0 <= stu))
    rights_month = (eff_start <= m0) & (eff_end >= m1)
    rights_closed = (eff_end < m0) | (eff_start > m1)
    ok = ~anomalies
    clean = np.flatnonzero(ok & rights_month & entitled_all_month)
    pools = {
        "clean": clean,
        "by_region": [clean[region[clean] == r] for r in range(len(REGIONS))],
        "long": np.flatnonzero(ok & rights_month & entitled_all_month
                               & (eff_start <= ctx["w0"]) & (birth <= ctx["w0"])),
        "r02": np.flatnonzero(ok & rights_closed & entitled_all_month),
        "r03": np.flatnonzero(ok & rights_month & out_of_conditions),
        "r11": clean[ctx["referral_ogds"][ogd[clean]]],
        "anomalies": np.flatnonzero(anomalies),
        "ogd": ogd, "sex": np.where(male, 2, 1).astype(np.int8), "birth": birth,
        "region": region, "ids": ids, "serials": np.sort(serial),
        "closed": int(rights_closed.sum()),
        "anomaly_rows": int(anomalies.sum()),
    }
    return df, pools


def _unknown_beneficiary_ids(rng: np.random.Generator, n: int, serials: np.ndarray,
                             region: np.ndarray, salt: int) -> pl.Series:
    """Registration numbers in the registry's format that no row of it holds."""
    cand = rng.integers(0, 10**9, n)
    pos = np.minimum(np.searchsorted(serials, cand), serials.size - 1)
    cand = np.where(serials[pos] == cand, (cand + 7919 * salt) % 10**9, cand)
    pos = np.minimum(np.searchsorted(serials, cand), serials.size - 1)
    cand = np.where(serials[pos] == cand, (cand + 104729) % 10**9, cand)
    year = rng.integers(18, 27, n)
    return (pl.Series([r.code for r in REGIONS]).gather(region)
            + pl.Series(year).cast(pl.String).str.zfill(2)
            + pl.Series(cand).cast(pl.String).str.zfill(9))


# --------------------------------------------------------------------------- providers

def _roman(k: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letter in numerals:
        while k >= value:
            out += letter
            k -= value
    return out


def _providers(rng: np.random.Generator, n: int, ctx: dict) -> tuple[pl.DataFrame, dict]:
    m0, m1 = ctx["m0"], ctx["m1"]
    counts = {"EPH": max(1, round(0.005 * n)), "HR": max(1, round(0.01 * n)),
              "CSREF": max(2, round(0.05 * n)), "PRIVATE": max(2, round(0.12 * n)),
              "PHARMACY": max(3, round(0.17 * n))}
    counts["CSCOM"] = max(1, n - sum(counts.values()))
    names: list[str] = []
    levels: list[int] = []
    regions: list[int] = []
    seen: dict[str, int] = {}

    def add(name: str, level: str, region: int) -> None:
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} {_roman(seen[name])}")
        levels.append(_LEVEL[level])
        regions.append(region)

    for i in range(counts["EPH"]):
        name, region = _EPH[i % len(_EPH)]
        add(name, "EPH", region)
    for i in range(counts["HR"]):
        r = _HR_ORDER[i % len(_HR_ORDER)]
        add(REGIONS[r].hospital, "HR", r)
    for level, prefix in (("CSREF", "CSRéf"), ("CSCOM", "CSCOM")):
        reg = rng.choice(len(REGIONS), counts[level], p=_REGION_P)
        used = {r: 0 for r in range(len(REGIONS))}
        shuffled = {r: list(rng.permutation(len(REGIONS[r].localities))) for r in range(len(REGIONS))}
        for r in reg:
            r = int(r)
            if level == "CSREF":
                places = REGIONS[r].cercles
                place = places[used[r] % len(places)]
                add(f"{prefix} de {place}", level, r)
            else:
                places = REGIONS[r].localities
                place = places[shuffled[r][used[r] % len(places)]]
                add(f"{prefix} de {place}", level, r)
            used[r] += 1
    city_p = _REGION_P * 0.6
    city_p[_BAMAKO] += 0.4
    for level, kinds in (("PRIVATE", ("Clinique", "Polyclinique", "Cabinet médical")),
                         ("PHARMACY", ("Pharmacie",))):
        pool = _CLINIC_NAMES if level == "PRIVATE" else _PHARMACY_NAMES
        reg = rng.choice(len(REGIONS), counts[level], p=city_p)
        for r in reg:
            r = int(r)
            kind = kinds[int(rng.integers(len(kinds)))] if len(kinds) > 1 else kinds[0]
            if rng.random() < 0.6:
                base = f"{kind} {pool[int(rng.integers(len(pool)))]}"
                name = base if base not in seen else f"{base} de {REGIONS[r].localities[0]}"
            else:
                locs = REGIONS[r].localities
                name = f"{kind} de {locs[int(rng.integers(len(locs)))]}"
            add(name, level, r)

    n = len(names)
    level = np.array(levels)
    region = np.array(regions)
    order = rng.permutation(n)
    level, region = level[order], region[order]
    names = [names[i] for i in order]
    serial = rng.choice(100_000, n + 40, replace=False)
    codes = [REGIONS[r].code for r in range(len(REGIONS))]
    ids = (pl.Series(codes).gather(region) + pl.Series(level + 1).cast(pl.String)
           + pl.Series(serial[:n]).cast(pl.String).str.zfill(5))
    # Non-contracted clinics that bill anyway (unknown provider ids, R04).
    unknown_region = rng.choice(len(REGIONS), 40, p=_REGION_P)
    unknown_ids = (pl.Series(codes).gather(unknown_region) + pl.Series(["5"] * 40)
                   + pl.Series(serial[n:]).cast(pl.String).str.zfill(5))

    start = m0 - rng.integers(60, 2600, n)
    start = np.where(rng.random(n) < 0.05, m0 - rng.integers(0, 60, n), start)
    end = np.where(rng.random(n) < 0.05, m1 + rng.integers(30, 900, n), -1)
    # A few conventions ended before the month, a few start after it.
    small = np.flatnonzero(np.isin(level, [_LEVEL["CSCOM"], _LEVEL["PHARMACY"], _LEVEL["PRIVATE"]]))
    n_end, n_late = max(1, round(0.02 * n)), max(1, round(0.01 * n))
    pick = rng.choice(small, min(small.size, n_end + n_late), replace=False)
    ended, later = pick[:n_end], pick[n_end:]
    end[ended] = m0 - rng.integers(10, 400, ended.size)
    start[ended] = np.minimum(start[ended], end[ended] - rng.integers(200, 1500, ended.size))
    start[later] = m1 + rng.integers(1, 60, later.size)
    end[later] = -1

    bank = rng.choice(len(_BANK_CODES), n, p=_BANK_P)
    account = rng.integers(10**8, 10**11, n)
    df = pl.DataFrame({
        "provider_id": ids,
        "name": names,
        "level": pl.Series(list(LEVELS)).gather(level),
        "region": pl.Series([r.name for r in REGIONS]).gather(region),
        "convention_start": _date_series(start),
        "convention_end": _date_series(np.maximum(end, 0), end < 0),
        "bank_code": pl.Series(list(_BANK_CODES)).gather(bank),
        "account_number": pl.Series(account).cast(pl.String).str.zfill(12),
    })
    volume = np.array([_PROVIDER_VOLUME[LEVELS[lv]] for lv in level]) * rng.lognormal(0, 0.6, n)
    open_month = (start <= m0) & ((end < 0) | (end >= m1))
    clean = np.flatnonzero(open_month)
    long = np.flatnonzero(open_month & (start <= ctx["w0"]))
    referral = clean[ctx["referral_levels"][level[clean]]]
    info = {
        "ids": pl.concat([ids, unknown_ids]), "level": level, "region": region,
        "clean": _weighted(clean, volume), "long": _weighted(long if long.size else clean, volume),
        "referral": _weighted(referral, volume),
        "out": np.flatnonzero((end >= 0) & (end < m0) | (start > m1)),
        "n_unknown": 40,
    }
    return df, info


# --------------------------------------------------------------------------- invoices

def _invoice_chunk(ctx: _Batch, rng: np.random.Generator, n_lines: int,
                   first_seq: int) -> tuple[pl.DataFrame, np.ndarray, int, int]:
    """One chunk of invoice lines: the frame, per-line fault labels, invoices made, free-care lines."""
    acts = ctx.acts
    m0, m1 = ctx.m0, ctx.m1
    inv_codes = list(INVOICE_FAULT_RATES)
    inv_p = np.array([1 - sum(INVOICE_FAULT_RATES.values())] + list(INVOICE_FAULT_RATES.values()))

    # ---- invoice headers: label, provider, size (cut to exactly n_lines lines)
    n_est = n_lines // 2 + 64
    while True:
        label = np.array([_L["OK"]] + [_L[c] for c in inv_codes])[rng.choice(inv_p.size, n_est, p=inv_p)]
        label = _fallback_empty_pools(ctx, label)
        prov = _draw(rng, ctx.prov_clean, n_est)
        for code, pool in (("R10", ctx.prov_long), ("R11", ctx.prov_referral)):
            m = label == _L[code]
            prov[m] = _draw(rng, pool, int(m.sum()))
        m = label == _L["R04"]
        if m.any():
            k = int(m.sum())
            unknown = (rng.random(k) < 0.3) | (ctx.prov_out.size == 0)
            out = _pick(rng, ctx.prov_out, k) if ctx.prov_out.size else np.zeros(k, np.int64)
            prov[m] = np.where(unknown, ctx.n_providers + rng.integers(0, ctx.n_unknown_providers, k), out)
        known_prov = prov < ctx.n_providers
        level = np.where(known_prov, ctx.p_level[np.minimum(prov, ctx.n_providers - 1)], 0)
        lam = np.array([_LINES_LAMBDA[lv] for lv in LEVELS])[level]
        size = np.minimum(1 + rng.poisson(lam), 12)
        cs = np.cumsum(size)
        if cs[-1] >= n_lines:
            break
        n_est *= 2
    n_inv = int(np.searchsorted(cs, n_lines)) + 1
    label, prov, level, known_prov = label[:n_inv], prov[:n_inv], level[:n_inv], known_prov[:n_inv]
    size = size[:n_inv].copy()
    size[-1] -= cs[n_inv - 1] - n_lines
    region = np.where(known_prov, ctx.p_region[np.minimum(prov, ctx.n_providers - 1)],
                      rng.choice(len(REGIONS), n_inv, p=_REGION_P))

    # ---- dates: service in the month (fewer on Sundays), submission a few days later
    ndays = m1 - m0 + 1
    service = m0 + np.minimum(np.searchsorted(ctx.service_cdf, rng.random(n_inv), side="right"), ndays - 1)
    submission = np.minimum(service + rng.geometric(0.3, n_inv) - 1, m1)
    m = label == _L["R10"]                 # R10: care given 91 to 200 days before submission
    late = np.maximum(submission - rng.integers(ctx.deadline + 1, ctx.deadline + 111, n_inv),
                      acts.first_priced_day)
    too_recent = m & (submission - late <= ctx.deadline)   # tariffs too young for such old care
    label = np.where(too_recent, _L["OK"], label)
    service = np.where(m & ~too_recent, late, service)
    m = label == _L["R12"]                 # R12: submission before care, or after the liquidation date
    swap = rng.random(n_inv) < 0.7
    submission = np.where(m & swap, service - rng.integers(1, 7, n_inv), submission)
    submission = np.where(m & ~swap, m1 + rng.integers(1, 21, n_inv), submission)

    # Invoices reach the OGD in submission order: number them that way.
    order = np.lexsort((prov, submission))
    label, prov, level, known_prov, size, region, service, submission = (
        a[order] for a in (label, prov, level, known_prov, size, region, service, submission))

    # ---- beneficiaries
    ben = np.full(n_inv, -1, np.int64)
    m = np.isin(label, [_L["OK"], _L["R04"], _L["R08"], _L["R12"]])
    ben[m] = _pick_by_region(ctx, rng, region[m])
    for code, pool in (("R10", ctx.pool_long), ("R02", ctx.pool_r02), ("R03", ctx.pool_r03),
                       ("R11", ctx.pool_r11)):
        m = label == _L[code]
        ben[m] = _pick(rng, pool, int(m.sum()))
    m = label == _L["R01"]
    use_anomaly = m & (rng.random(n_inv) < 0.15) & (ctx.pool_anomalies.size > 0)
    if use_anomaly.any():
        ben[use_anomaly] = _pick(rng, ctx.pool_anomalies, int(use_anomaly.sum()))
    known_ben = ben >= 0
    bi = np.maximum(ben, 0)
    ogd = np.where(known_ben, ctx.b_ogd[bi], rng.choice(len(OGDS), n_inv, p=_OGD_P))
    invoice_ogd = np.where(label == _L["R08"], (ogd + rng.integers(1, len(OGDS), n_inv)) % len(OGDS), ogd)
    sex = np.where(known_ben, ctx.b_sex[bi], rng.integers(1, 3, n_inv)).astype(np.int8)
    birth = np.where(known_ben, ctx.b_birth[bi], m0 - rng.integers(18 * 365, 60 * 365, n_inv))
    age = _age(birth, service)

    # ---- referral and emergency flags (R11: RAMED patient at a referral level without either)
    high = ctx.referral_levels[level] & known_prov
    pyramid = ctx.referral_ogds[ogd] & known_ben
    u, u2 = rng.random(n_inv), rng.random(n_inv)
    referral = high & np.where(pyramid, u < 0.88, u < 0.35)
    emergency = np.where(high & pyramid, ~referral, np.where(high, u2 < 0.07,
                                                           (level != _LEVEL["PHARMACY"]) & (u2 < 0.02)))
    m = label == _L["R11"]
    referral[m] = False
    emergency[m] = False

    # ---- lines
    inv = np.repeat(np.arange(n_inv), size)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    line_no = np.arange(n_lines) - start[inv] + 1
    line_label = label[inv].copy()
    clean_inv = line_label == _L["OK"]
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
        pick = rng.choice(p.size, sel.size, p=p / p.sum())
        line_label[sel] = np.array([_L["OK"]] + [_L[c] for c in codes])[pick]
    # R09 copies the invoice's first line: it must itself be priced and readable.
    first_label = line_label[start[inv]]
    bad = (line_label == _L["R09"]) & ~np.isin(first_label, [_L["OK"], _L["A01"], _L["A02"]])
    line_label[bad] = _L["OK"]

    t = service[inv] - acts.w0
    lv = level[inv]
    l_sex, l_age = sex[inv], age[inv]
    no_free = np.isin(line_label, [_L["R02"], _L["R03"], _L["R11"]])
    act = np.zeros(n_lines, np.int64)
    _assign_acts(acts, rng, np.arange(n_lines), line_label, act, lv, t, l_sex, l_age, no_free)

    # No accidental duplicates (R09 is injected on purpose only): redraw later copies.
    bkey = np.where(known_ben, ben, -(np.arange(n_inv) + 1))[inv] + n_inv + 1
    skip = np.isin(line_label, [_L["R09"], _L["R14"]])
    for _ in range(8):
        key = ((bkey * (ctx.n_providers + ctx.n_unknown_providers) + prov[inv]) * acts.n_days + t) \
            * (len(acts.codes) + len(acts.unknown)) + act
        key = np.where(skip, -1 - np.arange(n_lines), key)
        _, first_ix = np.unique(key, return_index=True)
        dup = np.ones(n_lines, bool)
        dup[first_ix] = False
        redo = np.flatnonzero(dup)
        if redo.size == 0:
            break
        _assign_acts(acts, rng, redo, line_label, act, lv, t, l_sex, l_age, no_free)
    else:
        line_label[redo] = _L["R09"]

    # ---- quantities and prices
    known_act = act < len(acts.codes)
    ka = np.minimum(act, len(acts.codes) - 1)
    cat = np.array(acts.categories, object)[acts.cat_ix[ka, t]]
    maxq = np.where(known_act, acts.max_qty[ka, t], 0)
    cap = np.where(maxq > 0, maxq, 99)
    qty = np.ones(n_lines, np.int64)
    qty = np.where(cat == "MEDICINE", 1 + rng.binomial(2, 0.2, n_lines), qty)
    qty = np.where(cat == "HOSPITAL_DAY", 1 + rng.poisson(2.5, n_lines), qty)
    qty = np.where(np.isin(cat, ["PROCEDURE", "DENTAL"]), 1 + rng.poisson(0.4, n_lines), qty)
    qty = np.minimum(qty, cap)
    m = line_label == _L["A02"]
    qty = np.where(m, cap + 1 + rng.poisson(0.7, n_lines), qty)

    price = np.where(known_act, acts.price[ka, lv, t], -1)
    any_level = acts.price[ka, :, t].max(axis=1)
    price = np.where(price < 0, np.where(any_level >= 0, any_level, 2500), price)
    ladder = np.array([500, 1000, 1500, 2000, 2500, 3000, 5000, 7500, 10000, 15000])
    price = np.where(~known_act, ladder[rng.integers(0, ladder.size, n_lines)], price)
    unit = price.copy()
    discount = (line_label == _L["OK"]) & (price >= 200) & (rng.random(n_lines) < 0.03)
    unit = np.where(discount, (price * rng.uniform(0.7, 0.95, n_lines)).astype(np.int64) // 5 * 5, unit)
    m = line_label == _L["A01"]
    uplift = np.maximum(25, (price * rng.uniform(0.1, 0.6, n_lines)).astype(np.int64) // 25 * 25)
    unit = np.where(m, np.where(price > 0, price + uplift, 500), unit)

    # R09: bill the first line's act again on a later line of the same invoice.
    m = np.flatnonzero(line_label == _L["R09"])
    src = start[inv[m]]
    act[m], qty[m], unit[m] = act[src], qty[src], unit[src]

    # R14: unreadable or invalid values.
    empty_ben = np.zeros(n_lines, bool)
    bad_date = np.zeros(n_lines, bool)
    m = np.flatnonzero(line_label == _L["R14"])
    variant = rng.choice(5, m.size, p=[0.3, 0.2, 0.2, 0.15, 0.15])
    variant = np.where((variant == 2) & (line_no[m] == 1), 0, variant)   # a repeated key needs line ≥ 2
    qty[m[variant == 0]] = 0
    unit[m[variant == 1]] = -np.maximum(unit[m[variant == 1]], 100)
    line_no[m[variant == 2]] = 1
    empty_ben[m[variant == 3]] = True
    bad_date[m[variant == 4]] = True

    free = int((known_act & acts.free[ka, t] & ~np.isin(line_label, [_L["R14"], _L["R05"]])).sum())

    # ---- the frame
    seq = first_seq + inv + 1
    yymm = ctx.month[2:4] + ctx.month[5:7]
    ben_ids = ctx.b_ids.gather(bi)
    unknown_inv = np.flatnonzero(~known_ben)
    if unknown_inv.size:
        ghosts = _unknown_beneficiary_ids(rng, unknown_inv.size, ctx.b_serials, region[unknown_inv], 3)
        ben_ids = ben_ids.scatter(unknown_inv, ghosts)
    ben_ids = ben_ids.gather(inv)
    if empty_ben.any():
        ben_ids = ben_ids.scatter(np.flatnonzero(empty_ben), None)
    act_ids = pl.concat([pl.Series(acts.codes), pl.Series(acts.unknown)]).gather(act)
    service_line = service[inv]
    frame = pl.DataFrame({
        "invoice_id": f"F{yymm}-" + pl.Series(seq).cast(pl.String).str.zfill(7),
        "line_no": line_no.astype(np.int64),
        "provider_id": ctx.p_ids.gather(prov[inv]),
        "beneficiary_id": ben_ids,
        "ogd": pl.Series(list(OGDS)).gather(invoice_ogd[inv]),
        "service_date": _date_series(service_line, bad_date),
        "submission_date": _date_series(submission[inv]),
        "act_code": act_ids,
        "quantity": qty.astype(np.int64),
        "unit_price": unit.astype(np.int64),
        "referral": referral[inv],
        "emergency": emergency[inv],
    })
    # What an officer would have typed where the date is unreadable (CSV only).
    bad_text = pl.Series("_bad_date", [None] * n_lines, pl.String)
    if bad_date.any():
        styles = ("%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y")
        pick = rng.integers(0, len(styles), int(bad_date.sum()))
        texts = [_date(d).strftime(styles[int(v)]) for d, v in zip(service_line[bad_date], pick)]
        bad_text = bad_text.scatter(np.flatnonzero(bad_date), texts)
    frame = frame.with_columns(bad_text)
    return frame, line_label, n_inv, free


def _chunk_view(ctx: _Batch, part: int, parts: int) -> _Batch:
    """The batch as one chunk sees it: its own share of the beneficiaries.

    Accidental duplicates (same beneficiary, provider, act and day) are removed
    within a chunk; giving each person to one chunk keeps them out across chunks.
    """
    if parts == 1:
        return ctx

    def share(pool: np.ndarray) -> np.ndarray:
        sub = pool[pool % parts == part]
        return sub if sub.size else pool

    return replace(ctx, pool_clean=share(ctx.pool_clean),
                   pool_clean_by_region=[share(p) for p in ctx.pool_clean_by_region],
                   pool_long=share(ctx.pool_long), pool_r02=share(ctx.pool_r02),
                   pool_r03=share(ctx.pool_r03), pool_r11=share(ctx.pool_r11),
                   pool_anomalies=share(ctx.pool_anomalies))


def _fallback_empty_pools(ctx: _Batch, label: np.ndarray) -> np.ndarray:
    """A fault whose pool is empty (tiny registry, no ANAM…) becomes a clean invoice."""
    empty = {"R02": ctx.pool_r02.size == 0, "R03": ctx.pool_r03.size == 0,
             "R10": ctx.pool_long.size == 0 or ctx.prov_long[0].size == 0,
             "R11": ctx.pool_r11.size == 0 or ctx.prov_referral[0].size == 0}
    for code, is_empty in empty.items():
        if is_empty:
            label = np.where(label == _L[code], _L["OK"], label)
    return label


def _pick_by_region(ctx: _Batch, rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    """Patients mostly from the provider's region, some from anywhere (travel, referrals)."""
    n = region.size
    out = _pick(rng, ctx.pool_clean, n)
    local = rng.random(n) < 0.9
    for r, pool in enumerate(ctx.pool_clean_by_region):
        m = local & (region == r)
        if pool.size and m.any():
            out[m] = _pick(rng, pool, int(m.sum()))
    return out


def _assign_acts(acts: _Acts, rng: np.random.Generator, idx: np.ndarray, label: np.ndarray,
                 act: np.ndarray, lv: np.ndarray, t: np.ndarray, sex: np.ndarray, age: np.ndarray,
                 no_free: np.ndarray) -> None:
    """Draw the act of lines `idx` by rejection, each under the constraint of its label."""
    mode = np.full(idx.size, "OK", object)
    for code in ("R05", "R06", "R07", "A02"):
        mode[label[idx] == _L[code]] = code
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
            pending = pending[~_act_fits(acts, name, act[pending], lv[pending], t[pending],
                                         sex[pending], age[pending], no_free[pending])]
        if pending.size:
            if name == "OK":
                act[pending] = _fallback_act(acts, lv[pending], t[pending], sex[pending], age[pending])
            else:   # no such act for this patient at this level: the line stays clean
                label[pending] = _L["OK"]
                _assign_acts(acts, rng, pending, label, act, lv, t, sex, age, no_free)


def _act_fits(acts: _Acts, mode: str, k: np.ndarray, lv: np.ndarray, t: np.ndarray,
              sex: np.ndarray, age: np.ndarray, no_free: np.ndarray) -> np.ndarray:
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


def _fallback_act(acts: _Acts, lv: np.ndarray, t: np.ndarray, sex: np.ndarray,
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


# --------------------------------------------------------------------------- contributions

def _contributions(rng: np.random.Generator, n: int, ctx: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    m0, m1 = ctx["m0"], ctx["m1"]
    first_month = _date(m0)
    periods = [_add_months(first_month, -11 + i) for i in range(12)]
    shares = np.array([0.10, 0.60, 0.30])
    per_ogd = np.maximum(_largest_remainder(n, shares), 1)
    medians = (1_500_000, 300_000, 150_000)
    rows = []
    for o, (name, count) in enumerate(zip(("CMSS", "INPS", "UTM"), per_ogd)):
        serial = np.sort(rng.choice(10**6 if name == "INPS" else 10**4, count, replace=False))
        digits = pl.Series(serial).cast(pl.String)
        # Administrations (CMSS), employers' numbers (INPS), mutual health organisations (UTM).
        ids = {"CMSS": "ADM-" + digits.str.zfill(4), "INPS": digits.str.zfill(8),
               "UTM": "MUT-" + digits.str.zfill(4)}[name]
        base = np.clip(rng.lognormal(np.log(medians[o]), 0.9, count), 50_000, 5_000_000)
        for p in periods:
            due = np.round(base * rng.normal(1, 0.03, count)).astype(np.int64)
            due = np.clip(due, 50_000, 5_000_000)
            status = rng.choice(5, count, p=[0.60, 0.20, 0.07, 0.06, 0.07])
            month_offset = np.array([0, 1, 0, 2, 0])[status]
            month_offset = np.where((status == 2) & (rng.random(count) < 0.5), 1, month_offset)
            day = np.where(month_offset == 0, rng.integers(5, 29, count), rng.integers(1, 21, count))
            starts = np.array([_day(_add_months(p, k)) for k in range(3)])
            when = starts[month_offset] + day - 1
            collected = np.where(status == 2, (due * rng.uniform(0.3, 0.9, count)).astype(np.int64), due)
            collected = np.where(status == 4, 0, collected)
            not_yet = when > m1
            collected = np.where(not_yet, 0, collected)
            none = (collected == 0)
            rows.append(pl.DataFrame({
                "ogd": [name] * count, "period": [p.strftime("%Y-%m")] * count,
                "contributor_id": ids, "amount_due": due, "amount_collected": collected,
                "collection_date": _date_series(np.where(none, 0, when), none)}))
    contributions = pl.concat(rows)
    return contributions, _remittances(rng, contributions, periods, m1)


def _remittances(rng: np.random.Generator, contributions: pl.DataFrame, periods: list[date],
                 m1: int) -> pl.DataFrame:
    """Transfers to CANAM per OGD and period: most on time, some late, partial or missing."""
    cutoff = m1 + 14
    groups = [(o, p.strftime("%Y-%m")) for o in ("CMSS", "INPS", "UTM") for p in periods]
    scenario = list(rng.choice(["on_time", "late", "partial", "missing", "split"], len(groups),
                               p=[0.72, 0.12, 0.08, 0.05, 0.03]))
    # At least one of each on older periods, where the effect is visible; one excess.
    older = [i for i, (_, per) in enumerate(groups) if per <= periods[-4].strftime("%Y-%m")]
    forced = rng.permutation(older)
    for i, name in zip(forced, ("late", "partial", "missing", "excess")):
        scenario[int(i)] = name
    obligations = (contributions.filter(pl.col("amount_collected") > 0)
                   .with_columns(cmonth=pl.col("collection_date").dt.truncate("1mo"))
                   .group_by("ogd", "period", "cmonth").agg(pl.col("amount_collected").sum())
                   .sort("ogd", "period", "cmonth"))
    by_group: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for r in obligations.iter_rows(named=True):
        by_group.setdefault((r["ogd"], r["period"]), []).append((r["cmonth"], r["amount_collected"]))
    out = []
    for (ogd, period), sc in zip(groups, scenario):
        obs = by_group.get((ogd, period), [])
        pstart = date(int(period[:4]), int(period[5:]), 1)
        transfers: list[tuple[int, int]] = []
        for cmonth, amount in obs:
            month = max(cmonth, pstart)
            due_day = _day(_add_months(month, 1)) + 14           # the 15th of the next month
            on_time = due_day - int(rng.integers(1, 13))
            if sc == "late":
                transfers.append((due_day + int(rng.integers(5, 90)), amount))
            elif sc == "split" and amount > 1000:
                part = amount * 6 // 10
                transfers += [(on_time - 3, part), (on_time, amount - part)]
            else:
                transfers.append((on_time, amount))
        total = sum(a for _, a in transfers)
        if sc == "missing":
            transfers = []
        elif sc == "partial" and transfers:
            keep = int(total * rng.uniform(0.6, 0.95))
            transfers = [(transfers[0][0], keep)]
        elif sc == "excess" and transfers:
            transfers.append((transfers[-1][0] + 1, max(1000, int(total * rng.uniform(0.05, 0.2)))))
        transfers = sorted((d, a) for d, a in transfers if d <= cutoff and a > 0)
        for i, (d, a) in enumerate(transfers, start=1):
            out.append({"transfer_id": f"VIR-{ogd}-{period}-{i:03d}", "ogd": ogd, "period": period,
                        "amount": a, "value_date": _date(d)})
    schema = {"transfer_id": pl.String, "ogd": pl.String, "period": pl.String,
              "amount": pl.Int64, "value_date": pl.Date}
    return pl.DataFrame(out, schema=schema)


# --------------------------------------------------------------------------- writing

_ARROW = {pl.String: pa.string(), pl.Int64: pa.int64(), pl.Date: pa.date32(), pl.Boolean: pa.bool_()}


def _arrow_schema(df: pl.DataFrame) -> pa.Schema:
    return pa.schema([(name, _ARROW[dtype.base_type()]) for name, dtype in df.schema.items()])


def _to_arrow(df: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    return df.to_arrow().cast(schema)


def _csv_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Text as officers have it: dates DD/MM/YYYY, booleans oui/non, empty for null."""
    exprs = []
    for name, dtype in df.schema.items():
        if name.startswith("_"):
            continue
        col = pl.col(name)
        if dtype == pl.Date:
            col = col.dt.strftime("%d/%m/%Y")
            if name == "service_date" and "_bad_date" in df.columns:
                col = pl.coalesce(pl.col("_bad_date"), col)
        elif dtype == pl.Boolean:
            col = pl.when(col).then(pl.lit("oui")).otherwise(pl.lit("non"))
        exprs.append(col.alias(name))
    return df.select(exprs)


class _TableWriter:
    """One output table written in one or more chunks, in the chosen format."""

    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt = path, fmt
        self._pq: pq.ParquetWriter | None = None
        self._csv = None
        self._frames: list[pl.DataFrame] = []
        self.rows = 0

    def write(self, df: pl.DataFrame) -> None:
        self.rows += df.height
        plain = df.select([c for c in df.columns if not c.startswith("_")])
        if self.fmt == "parquet":
            schema = _arrow_schema(plain)
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.path, schema, compression="zstd")
            self._pq.write_table(_to_arrow(plain, schema), row_group_size=CHUNK_LINES)
        elif self.fmt == "csv":
            if self._csv is None:
                self._csv = self.path.open("wb")
                self._csv.write(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel then shows the accents right
                _csv_frame(df).write_csv(self._csv, separator=";", include_header=True)
            else:
                _csv_frame(df).write_csv(self._csv, separator=";", include_header=False)
        else:
            self._frames.append(plain)

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
        if self._csv is not None:
            self._csv.close()
        if self.fmt == "xlsx":
            df = pl.concat(self._frames) if self._frames else pl.DataFrame()
            write_xlsx({self.path.stem: (df, {})}, self.path)


def _write_table(folder: Path, role: str, fmt: str, df: pl.DataFrame) -> Path:
    path = folder / f"{role}.{fmt}"
    writer = _TableWriter(path, fmt)
    writer.write(df)
    writer.close()
    return path


# --------------------------------------------------------------------------- entry point

def write_sample_batch(folder: Path, options: SampleOptions, tariffs: Tariffs,
                       on_progress: Callable[[int, int], None] | None = None) -> SampleResult:
    """Write the five files of a synthetic batch into `folder` (which must exist)."""
    if options.fmt not in FORMATS:
        raise ValueError(f"format inconnu : {options.fmt}")
    m0d, m1d = parse_month(options.month)
    m0, m1 = _day(m0d), _day(m1d)
    policy = tariffs.policy
    n_lines = options.invoices
    n_ben = options.beneficiaries or default_beneficiaries(n_lines)
    n_prov = options.providers or default_providers(n_lines)
    n_contrib = options.contributors or default_contributors(n_lines)
    seed = options.seed
    w0 = m0 - (policy.submission_deadline_days + 140)
    ctx = {"m0": m0, "m1": m1, "w0": w0, "child_limit": policy.child_age_limit,
           "student_limit": policy.student_age_limit,
           "referral_ogds": np.array([o in policy.referral_required_ogds for o in OGDS]),
           "referral_levels": np.array([lv in policy.referral_levels for lv in LEVELS])}

    acts = _Acts(tariffs, w0, m1 + 40, np.random.default_rng([seed, 5]))
    if not acts.priced[:, :, m0 - w0:m1 - w0 + 1].all(axis=2).any():
        raise InputError(f"Dossier des tarifs « {tariffs.folder} » : aucun acte n'a de prix valide "
                         f"pendant tout le mois {options.month} ; impossible de générer des factures.")
    beneficiaries, bp = _beneficiaries(np.random.default_rng([seed, 1]), n_ben, ctx)
    providers, pp = _providers(np.random.default_rng([seed, 2]), n_prov, ctx)
    contributions, remittances = _contributions(np.random.default_rng([seed, 3]), n_contrib, ctx)

    days = np.arange(m0, m1 + 1)
    weekday = (days + 3) % 7                       # 1970-01-01 was a Thursday; 0 = Monday
    w = np.where(weekday == 6, 0.35, np.where(weekday == 5, 0.7, 1.0))
    batch = _Batch(
        m0=m0, m1=m1, w0=w0, month=options.month, acts=acts,
        child_limit=policy.child_age_limit, student_limit=policy.student_age_limit,
        deadline=policy.submission_deadline_days,
        referral_ogds=ctx["referral_ogds"], referral_levels=ctx["referral_levels"],
        b_ids=bp["ids"], b_ogd=bp["ogd"], b_sex=bp["sex"], b_birth=bp["birth"],
        b_region=bp["region"], b_serials=bp["serials"], pool_clean=bp["clean"],
        pool_clean_by_region=bp["by_region"], pool_long=bp["long"], pool_r02=bp["r02"],
        pool_r03=bp["r03"], pool_r11=bp["r11"], pool_anomalies=bp["anomalies"],
        p_ids=pp["ids"], p_level=pp["level"], p_region=pp["region"], n_providers=providers.height,
        prov_clean=pp["clean"], prov_long=pp["long"], prov_referral=pp["referral"],
        prov_out=pp["out"], n_unknown_providers=pp["n_unknown"],
        service_cdf=np.cumsum(w / w.sum()))
    if batch.pool_clean.size == 0 or batch.prov_clean[0].size == 0:
        raise InputError("Registre ou liste de prestataires trop petits pour générer des factures : "
                         "augmentez --beneficiaries ou --providers.")

    fmt = options.fmt
    files = {"beneficiaries": _write_table(folder, "beneficiaries", fmt, beneficiaries),
             "providers": _write_table(folder, "providers", fmt, providers)}
    writer = _TableWriter(folder / f"invoices.{fmt}", fmt)
    counts = np.zeros(len(_LABELS), np.int64)
    done, invoices, free = 0, 0, 0
    chunk_no = 0
    parts = -(-n_lines // CHUNK_LINES)
    while done < n_lines:
        n = min(CHUNK_LINES, n_lines - done)
        frame, labels, n_inv, n_free = _invoice_chunk(
            _chunk_view(batch, chunk_no, parts), np.random.default_rng([seed, 7, chunk_no]), n, invoices)
        writer.write(frame)
        del frame
        counts += np.bincount(labels, minlength=len(_LABELS))
        done += n
        invoices += n_inv
        free += n_free
        chunk_no += 1
        if on_progress is not None:
            on_progress(done, n_lines)
    writer.close()
    files["invoices"] = writer.path
    files["contributions"] = _write_table(folder, "contributions", fmt, contributions)
    files["remittances"] = _write_table(folder, "remittances", fmt, remittances)
    return SampleResult(
        month=options.month, seed=seed, fmt=fmt, files=files,
        rows={"beneficiaries": beneficiaries.height, "providers": providers.height,
              "invoices": n_lines, "contributions": contributions.height,
              "remittances": remittances.height},
        invoices=invoices,
        faults={code: int(counts[_L[code]]) for code in FAULT_CODES},
        free_care_lines=free, registry_anomalies=bp["anomaly_rows"],
        providers_out_of_convention=int(pp["out"].size), closed_rights=bp["closed"])
