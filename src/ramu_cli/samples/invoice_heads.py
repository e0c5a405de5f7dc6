"""Invoice headers: the faults of a whole invoice, its provider, size, dates, patient and flags.

One entry per invoice of a chunk. The fault label of each invoice is drawn at
INVOICE_FAULT_RATES, then every draw respects or breaks the rules as the label
says: R04 in `draw_providers`; R10 and R12 in `draw_dates`; R01, R02, R03, R08
in `draw_patients`; R11 in `draw_flags`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ramu_cli.contract import LEVELS, OGDS
from ramu_cli.samples.batch import Batch
from ramu_cli.samples.beneficiaries import OGD_P
from ramu_cli.samples.care_patterns import LINES_LAMBDA
from ramu_cli.samples.dates import age_in_years
from ramu_cli.samples.draws import draw, pick
from ramu_cli.samples.faults import INVOICE_FAULT_RATES, LABEL
from ramu_cli.samples.geography import REGION_P, REGIONS

MAX_LINES_PER_INVOICE = 12
PHARMACY = LEVELS.index("PHARMACY")


def _empty() -> np.ndarray:
    return np.zeros(0, np.int64)


@dataclass
class Heads:
    """One entry per invoice, filled in draw order (the later fields by the later steps)."""

    label: np.ndarray              # fault label (faults.LABEL) of the whole invoice
    prov: np.ndarray               # provider row (registered rows, then unknown ids)
    level: np.ndarray
    known_prov: np.ndarray
    size: np.ndarray               # lines
    region: np.ndarray = field(default_factory=_empty)
    service: np.ndarray = field(default_factory=_empty)        # day numbers
    submission: np.ndarray = field(default_factory=_empty)
    ben: np.ndarray = field(default_factory=_empty)            # registry row, -1: unknown (R01)
    ogd: np.ndarray = field(default_factory=_empty)            # the patient's OGD
    invoice_ogd: np.ndarray = field(default_factory=_empty)    # the OGD billed (R08: another)
    sex: np.ndarray = field(default_factory=_empty)
    birth: np.ndarray = field(default_factory=_empty)
    age: np.ndarray = field(default_factory=_empty)
    referral: np.ndarray = field(default_factory=_empty)
    emergency: np.ndarray = field(default_factory=_empty)

    @property
    def known_ben(self) -> np.ndarray:
        return self.ben >= 0

    def reorder(self, order: np.ndarray) -> None:
        for name in ("label", "prov", "level", "known_prov", "size", "region", "service", "submission"):
            setattr(self, name, getattr(self, name)[order])


def draw_heads(batch: Batch, rng: np.random.Generator, n_lines: int) -> Heads:
    """Invoices holding exactly n_lines lines, numbered in submission order."""
    heads = _draw_sizes(batch, rng, n_lines)
    prov = batch.providers
    heads.region = np.where(heads.known_prov, prov.region[np.minimum(heads.prov, prov.registered - 1)],
                            rng.choice(len(REGIONS), heads.label.size, p=REGION_P))
    draw_dates(batch, rng, heads)
    # Invoices reach the OGD in submission order: number them that way.
    heads.reorder(np.lexsort((heads.prov, heads.submission)))
    draw_patients(batch, rng, heads)
    draw_flags(batch, rng, heads)
    return heads


def _draw_sizes(batch: Batch, rng: np.random.Generator, n_lines: int) -> Heads:
    """Labels, providers and sizes of enough invoices, cut to exactly n_lines lines."""
    providers = batch.providers
    n_est = n_lines // 2 + 64
    while True:
        label = _draw_labels(batch, rng, n_est)
        prov = draw_providers(batch, rng, label)
        known_prov = prov < providers.registered
        level = np.where(known_prov, providers.level[np.minimum(prov, providers.registered - 1)], 0)
        lam = np.array([LINES_LAMBDA[lv] for lv in LEVELS])[level]
        size = np.minimum(1 + rng.poisson(lam), MAX_LINES_PER_INVOICE)
        cs = np.cumsum(size)
        if cs[-1] >= n_lines:
            break
        n_est *= 2
    n_inv = int(np.searchsorted(cs, n_lines)) + 1
    size = size[:n_inv].copy()
    size[-1] -= cs[n_inv - 1] - n_lines
    return Heads(label=label[:n_inv], prov=prov[:n_inv], level=level[:n_inv],
                 known_prov=known_prov[:n_inv], size=size)


def _draw_labels(batch: Batch, rng: np.random.Generator, n: int) -> np.ndarray:
    """Each invoice's fault (or OK) at INVOICE_FAULT_RATES; a fault nobody can make becomes OK."""
    inv_codes = list(INVOICE_FAULT_RATES)
    inv_p = np.array([1 - sum(INVOICE_FAULT_RATES.values()), *INVOICE_FAULT_RATES.values()])
    label = np.array([LABEL["OK"]] + [LABEL[c] for c in inv_codes])[rng.choice(inv_p.size, n, p=inv_p)]
    return _fallback_empty_pools(batch, label)


def _fallback_empty_pools(batch: Batch, label: np.ndarray) -> np.ndarray:
    """A fault whose pool is empty (tiny registry, no ANAM…) becomes a clean invoice."""
    patients, providers = batch.patients, batch.providers
    empty = {"R02": patients.r02.size == 0, "R03": patients.r03.size == 0,
             "R10": patients.long.size == 0 or providers.long[0].size == 0,
             "R11": patients.r11.size == 0 or providers.referral[0].size == 0}
    for code, is_empty in empty.items():
        if is_empty:
            label = np.where(label == LABEL[code], LABEL["OK"], label)
    return label


def draw_providers(batch: Batch, rng: np.random.Generator, label: np.ndarray) -> np.ndarray:
    """Providers by volume; R10 from long-standing ones, R11 at referral levels; R04 (made
    here): an unknown id (30 %) or a provider out of convention in the month."""
    providers = batch.providers
    prov = draw(rng, providers.clean, label.size)
    for code, pool in (("R10", providers.long), ("R11", providers.referral)):
        m = label == LABEL[code]
        prov[m] = draw(rng, pool, int(m.sum()))
    m = label == LABEL["R04"]
    if m.any():
        k = int(m.sum())
        unknown = (rng.random(k) < 0.3) | (providers.out.size == 0)
        out = pick(rng, providers.out, k) if providers.out.size else np.zeros(k, np.int64)
        prov[m] = np.where(unknown, providers.registered + rng.integers(0, providers.unknown, k), out)
    return prov


def draw_dates(batch: Batch, rng: np.random.Generator, heads: Heads) -> None:
    """Care in the month (fewer on Sundays), submitted a few days later.

    R10: care given 91 to 200 days before submission. R12: submission before the
    care (70 %) or after the month, i.e. after the liquidation date.
    """
    period, n_inv = batch.period, heads.label.size
    m0, m1, deadline = period.first_day, period.last_day, period.deadline
    ndays = m1 - m0 + 1
    service = m0 + np.minimum(np.searchsorted(period.service_cdf, rng.random(n_inv), side="right"), ndays - 1)
    submission = np.minimum(service + rng.geometric(0.3, n_inv) - 1, m1)
    m = heads.label == LABEL["R10"]
    late = np.maximum(submission - rng.integers(deadline + 1, deadline + 111, n_inv),
                      batch.acts.first_priced_day)
    too_recent = m & (submission - late <= deadline)   # tariffs too young for such old care
    heads.label = np.where(too_recent, LABEL["OK"], heads.label)
    service = np.where(m & ~too_recent, late, service)
    m = heads.label == LABEL["R12"]
    swap = rng.random(n_inv) < 0.7
    submission = np.where(m & swap, service - rng.integers(1, 7, n_inv), submission)
    submission = np.where(m & ~swap, m1 + rng.integers(1, 21, n_inv), submission)
    heads.service, heads.submission = service, submission


def draw_patients(batch: Batch, rng: np.random.Generator, heads: Heads) -> None:
    """The patient of each invoice, by its label.

    Clean invoices (and R04, R08, R12): an entitled patient, mostly of the provider's
    region. R02, R03, R10, R11: a patient of their pool. R01: nobody in the registry
    (an id is made up when the frame is written), 15 % a row set aside as an
    anomaly. R08: the invoice names another OGD than the patient's.
    """
    patients, label, n_inv = batch.patients, heads.label, heads.label.size
    ben = np.full(n_inv, -1, np.int64)
    m = np.isin(label, [LABEL["OK"], LABEL["R04"], LABEL["R08"], LABEL["R12"]])
    ben[m] = _pick_by_region(batch, rng, heads.region[m])
    for code, pool in (("R10", patients.long), ("R02", patients.r02), ("R03", patients.r03),
                       ("R11", patients.r11)):
        m = label == LABEL[code]
        ben[m] = pick(rng, pool, int(m.sum()))
    m = label == LABEL["R01"]
    use_anomaly = m & (rng.random(n_inv) < 0.15) & (patients.anomalies.size > 0)
    if use_anomaly.any():
        ben[use_anomaly] = pick(rng, patients.anomalies, int(use_anomaly.sum()))
    known_ben = ben >= 0
    bi = np.maximum(ben, 0)
    ogd = np.where(known_ben, patients.ogd[bi], rng.choice(len(OGDS), n_inv, p=OGD_P))
    heads.invoice_ogd = np.where(label == LABEL["R08"], (ogd + rng.integers(1, len(OGDS), n_inv)) % len(OGDS),
                                 ogd)
    heads.sex = np.where(known_ben, patients.sex[bi], rng.integers(1, 3, n_inv)).astype(np.int8)
    heads.birth = np.where(known_ben, patients.birth[bi],
                           batch.period.first_day - rng.integers(18 * 365, 60 * 365, n_inv))
    heads.age = age_in_years(heads.birth, heads.service)
    heads.ben, heads.ogd = ben, ogd


def _pick_by_region(batch: Batch, rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    """Patients mostly from the provider's region, some from anywhere (travel, referrals)."""
    n = region.size
    out = pick(rng, batch.patients.clean, n)
    local = rng.random(n) < 0.9
    for r, pool in enumerate(batch.patients.by_region):
        m = local & (region == r)
        if pool.size and m.any():
            out[m] = pick(rng, pool, int(m.sum()))
    return out


def draw_flags(batch: Batch, rng: np.random.Generator, heads: Heads) -> None:
    """Referral and emergency flags. R11: a patient who needs a referral, at a level
    that requires one, with neither flag."""
    period, n_inv = batch.period, heads.label.size
    high = period.referral_levels[heads.level] & heads.known_prov
    pyramid = period.referral_ogds[heads.ogd] & heads.known_ben
    u, u2 = rng.random(n_inv), rng.random(n_inv)
    referral = high & np.where(pyramid, u < 0.88, u < 0.35)
    emergency = np.where(high & pyramid, ~referral,
                         np.where(high, u2 < 0.07, (heads.level != PHARMACY) & (u2 < 0.02)))
    m = heads.label == LABEL["R11"]
    referral[m] = False
    emergency[m] = False
    heads.referral, heads.emergency = referral, emergency
