"""The registry of beneficiaries, and the pools of rows invoices draw their patients from.

Families by OGD (about 8 % CMSS, 12 % INPS, 75 % UTM, 5 % ANAM): principals with
spouses and children of every age, RAMED people admitted of right, some closed
or not yet open rights, and a few registry anomalies (two children under one
number, spouses whose principal is missing). `draw_registry` returns the
`beneficiaries` table and a `Patients` view of it: per-row arrays and the pools
of rows that make clean invoices or the patient faults R02, R03 and R11.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import polars as pl

from ramu_cli.contract import OGDS
from ramu_cli.samples.dates import age_in_years, date_of, date_series, day_number, year_month_day
from ramu_cli.samples.draws import largest_remainder
from ramu_cli.samples.geography import REGION_P, REGIONS
from ramu_cli.samples.period import Period

OGD_SHARES = {"CMSS": 0.08, "INPS": 0.12, "UTM": 0.75, "ANAM": 0.05}
OGD_P = np.array([OGD_SHARES[o] for o in OGDS])
ANAM = OGDS.index("ANAM")
RELATIONSHIPS = ("PRINCIPAL", "SPOUSE", "CHILD", "OF_RIGHT")
REGION_CODES = [r.code for r in REGIONS]
OPEN = -1                      # rights_end of open-ended rights, as a day number


@dataclass(frozen=True)
class Patients:
    """The registry as invoices see it: row arrays, and pools of row numbers by use."""

    ids: pl.Series                 # registration number of each row
    ogd: np.ndarray                # OGD index
    sex: np.ndarray                # 1 F, 2 M
    birth: np.ndarray              # day numbers
    region: np.ndarray
    serials: np.ndarray            # the 9-digit serials used (sorted), to make unknown ids (R01)
    clean: np.ndarray              # entitled all month, no anomaly
    by_region: list[np.ndarray]    # clean, by region
    long: np.ndarray               # clean and entitled since before the tariff window (R10)
    r02: np.ndarray                # rights closed, or not yet open, in the month
    r03: np.ndarray                # children out of the age / student conditions
    r11: np.ndarray                # clean, of an OGD whose patients need a referral
    anomalies: np.ndarray          # rows set aside by the registry check
    closed: int                    # rows whose rights are closed in the month
    anomaly_rows: int
    principal_start: np.ndarray    # day number of the principal's rights_start (R15 counts from it)

    def share(self, part: int, parts: int) -> Patients:
        """Chunk `part` of `parts`: its own share of every pool (keeps accidental duplicates out)."""
        def own(pool: np.ndarray) -> np.ndarray:
            sub = pool[pool % parts == part]
            return sub if sub.size else pool

        return replace(self, clean=own(self.clean), by_region=[own(p) for p in self.by_region],
                       long=own(self.long), r02=own(self.r02), r03=own(self.r03), r11=own(self.r11),
                       anomalies=own(self.anomalies))


@dataclass(frozen=True)
class _Members:
    """One entry per person: family, relationship, sex, birth and conditions."""

    principal: np.ndarray          # row of the family's principal
    is_principal: np.ndarray
    is_spouse: np.ndarray
    is_child: np.ndarray
    of_right: np.ndarray
    ogd: np.ndarray
    region: np.ndarray
    male: np.ndarray
    birth: np.ndarray
    student: np.ndarray
    disabled: np.ndarray


@dataclass(frozen=True)
class _Rights:
    start: np.ndarray              # each person's own rights (OPEN end: open-ended)
    end: np.ndarray
    principal_start: np.ndarray    # the family principal's, indexed by row
    principal_end: np.ndarray


def draw_registry(rng: np.random.Generator, n: int, period: Period) -> tuple[pl.DataFrame, Patients]:
    """The `beneficiaries` table of exactly n rows, and its pools for the invoices."""
    fam = _draw_families(rng, n)
    people = _draw_members(rng, n, fam, period.first_day)
    rights = _draw_rights(rng, people, period)
    serial = rng.choice(10**9, n, replace=False)
    ids = registration_ids(people.region, _registration_year(people, rights, period), serial)
    principal_ids = ids.gather(people.principal)
    ids, principal_ids, anomalies = registry_anomalies(rng, people, ids, principal_ids, np.sort(serial))
    relationship = np.where(people.of_right, 3, np.where(people.is_principal, 0,
                                                          np.where(people.is_spouse, 1, 2)))
    df = pl.DataFrame({
        "beneficiary_id": ids,
        "principal_id": principal_ids,
        "relationship": pl.Series(list(RELATIONSHIPS)).gather(relationship),
        "ogd": pl.Series(list(OGDS)).gather(people.ogd),
        "sex": pl.Series(["F", "M"]).gather(people.male.astype(np.int64)),
        "birth_date": date_series(people.birth),
        "student": people.student,
        "disabled": people.disabled,
        "rights_start": date_series(rights.start),
        "rights_end": date_series(np.maximum(rights.end, 0), rights.end < 0),
    })
    return df, invoice_pools(people, rights, anomalies, ids, np.sort(serial), period)


def _families(rng: np.random.Generator, ogd: int, target: int) -> dict[str, np.ndarray]:
    """Families of one OGD whose sizes add up to exactly `target` people."""
    n = max(16, target // 2 + 16)
    while True:
        of_right = (rng.random(n) < 0.35) if ogd == ANAM else np.zeros(n, bool)
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
    region = rng.choice(len(REGIONS), k, p=REGION_P)
    return {"ogd": np.full(k, ogd), "of_right": of_right[:k], "male": male[:k], "age": age[:k],
            "spouses": spouses, "size": size, "region": region}


def _draw_families(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Families of every OGD, shuffled, n people in all."""
    parts = [_families(rng, o, int(t)) for o, t in enumerate(largest_remainder(n, OGD_P)) if t]
    fam = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    order = rng.permutation(fam["size"].size)
    return {key: v[order] for key, v in fam.items()}


def _draw_members(rng: np.random.Generator, n: int, fam: dict[str, np.ndarray], m0: int) -> _Members:
    """Each family's principal, spouses and children: sex, birth, student, disabled."""
    f = np.repeat(np.arange(fam["size"].size), fam["size"])
    start = np.concatenate([[0], np.cumsum(fam["size"])[:-1]])
    pos = np.arange(n) - start[f]
    is_principal = pos == 0
    is_spouse = (pos >= 1) & (pos <= fam["spouses"][f])
    is_child = ~is_principal & ~is_spouse
    p_male = fam["male"][f]
    p_age = fam["age"][f]

    male = np.where(is_principal, p_male, np.where(is_spouse, ~p_male, rng.random(n) < 0.5))
    spouse_age = np.where(p_male, np.maximum(p_age - rng.uniform(0, 18, n), 18),
                          p_age + rng.uniform(0, 10, n))
    max_child = np.clip(p_age - 17, 0.5, 32)
    child_age = max_child * rng.random(n) ** 1.3
    age = np.where(is_principal, p_age, np.where(is_spouse, spouse_age, child_age))
    birth = m0 - 1 - np.floor(age * 365.25).astype(np.int64)
    full_age = age_in_years(birth, m0)
    student = is_child & (((full_age >= 14) & (full_age <= 21) & (rng.random(n) < 0.55))
                          | ((full_age > 21) & (full_age <= 26) & (rng.random(n) < 0.08)))
    disabled = is_child & (rng.random(n) < np.where(full_age > 21, 0.06, 0.012))
    return _Members(principal=start[f], is_principal=is_principal, is_spouse=is_spouse,
                    is_child=is_child, of_right=fam["of_right"][f] & is_principal,
                    ogd=fam["ogd"][f], region=fam["region"][f], male=male, birth=birth,
                    student=student, disabled=disabled)


def _draw_rights(rng: np.random.Generator, people: _Members, period: Period) -> _Rights:
    """Each person's rights: a principal's own, a dependant's from birth or the principal's start."""
    m0 = period.first_day
    p_start, p_end = _principal_rights(rng, people, period)
    principal = people.principal
    fam_start, fam_end = p_start[principal], p_end[principal]
    is_anam = people.ogd == ANAM
    birth = people.birth
    rights_start = np.where(people.is_principal, p_start, np.maximum(fam_start, birth))
    rights_end = np.where(people.is_principal, p_end, np.where(is_anam, fam_end, OPEN))
    divorced = people.is_spouse & ~is_anam & (rng.random(birth.size) < 0.02) & (rights_start < m0 - 2)
    rights_end = np.where(divorced, rights_start + ((m0 - 1 - rights_start) * rng.random(birth.size)
                                                    ).astype(np.int64), rights_end)
    rights_end = np.where((rights_end >= 0) & (rights_end < rights_start), rights_start, rights_end)
    return _Rights(start=rights_start, end=rights_end, principal_start=p_start[principal],
                   principal_end=fam_end)


def _principal_rights(rng: np.random.Generator, people: _Members,
                      period: Period) -> tuple[np.ndarray, np.ndarray]:
    """Rights as if each person were a principal: AMO and mutual members from their
    registration (some closed, fixed-term or newcomers); RAMED receipts for 3 years."""
    m0, m1 = period.first_day, period.last_day
    birth, ogd = people.birth, people.ogd
    n = birth.size
    p_start = m0 - rng.integers(30, 365 * 7, n)
    p_start = np.maximum(p_start, birth + 18 * 365)
    p_end = np.full(n, OPEN, np.int64)
    u = rng.random(n)
    is_anam = ogd == ANAM
    closed_rate = np.array([0.03, 0.05, 0.07, 0.0])[ogd]
    closing = (u < closed_rate) & (p_start < m0 - 2)
    p_end = np.where(closing, p_start + ((m0 - 1 - p_start) * rng.random(n)).astype(np.int64), p_end)
    fixed_term = (u >= closed_rate) & (u < closed_rate + 0.03) & ~is_anam
    p_end = np.where(fixed_term, m1 + rng.integers(30, 700, n), p_end)
    newcomer = (rng.random(n) < 0.012) & ~is_anam
    p_start = np.where(newcomer, m1 + rng.integers(1, 40, n), p_start)
    p_end = np.where(newcomer, OPEN, p_end)
    # RAMED (ANAM): a receipt of one of the last five years, valid to the end of its third year.
    year0 = date_of(m0).year
    receipt_year = year0 - rng.choice(5, n, p=[0.35, 0.30, 0.20, 0.10, 0.05])
    r_start = np.array([day_number(date(int(y), 1, 1)) for y in range(year0 - 4, year0 + 1)])
    r_end = np.array([day_number(date(int(y) + 2, 12, 31)) for y in range(year0 - 4, year0 + 1)])
    ry = receipt_year - (year0 - 4)
    anam_start = np.maximum(r_start[ry] + rng.integers(0, 120, n), birth)
    p_start = np.where(is_anam, np.minimum(anam_start, np.maximum(m0 - 1, birth)), p_start)
    p_end = np.where(is_anam, r_end[ry], p_end)
    return p_start, p_end


def _registration_year(people: _Members, rights: _Rights, period: Period) -> np.ndarray:
    """Two digits of the year registered: rights' start (capped at the month for AMO)."""
    is_anam = people.ogd == ANAM
    return year_month_day(np.where(is_anam, rights.start, np.minimum(rights.start, period.last_day)))[0] % 100


def registration_ids(region: np.ndarray, year: np.ndarray, serial: np.ndarray) -> pl.Series:
    """Registration numbers: region (2 digits) + year registered (2) + serial (9): 13 digits."""
    return (pl.Series(REGION_CODES).gather(region)
            + pl.Series(year).cast(pl.String).str.zfill(2)
            + pl.Series(serial).cast(pl.String).str.zfill(9))


def registry_anomalies(rng: np.random.Generator, people: _Members, ids: pl.Series,
                       principal_ids: pl.Series, serials: np.ndarray) -> tuple[pl.Series, pl.Series, np.ndarray]:
    """Two children under one number, spouses whose principal is missing: one row in 4 000 each."""
    n = ids.len()
    k = max(1, n // 4000)
    anomalies = np.zeros(n, bool)
    children = np.flatnonzero(people.is_child)
    spouses = np.flatnonzero(people.is_spouse)
    if children.size >= 2 * k:
        pick = rng.choice(children, 2 * k, replace=False)
        ids = ids.scatter(pick[k:], ids.gather(pick[:k]))
        anomalies[pick] = True
    if spouses.size >= k:
        pick = rng.choice(spouses, k, replace=False)
        ghosts = unknown_beneficiary_ids(rng, k, serials, people.region[pick], 1)
        principal_ids = principal_ids.scatter(pick, ghosts)
        anomalies[pick] = True
    return ids, principal_ids, anomalies


def invoice_pools(people: _Members, rights: _Rights, anomalies: np.ndarray, ids: pl.Series,
                  serials: np.ndarray, period: Period) -> Patients:
    """Who can be billed cleanly all month, and who makes R02, R03, R10 and R11 invoices.

    Ages are taken at the month's ends; a dependant's rights hold only while the principal's do.
    """
    m0, m1 = period.first_day, period.last_day
    birth, disabled, student, is_child = people.birth, people.disabled, people.student, people.is_child
    eff_start = np.maximum(rights.start, rights.principal_start)
    inf = np.iinfo(np.int64).max
    eff_end = np.minimum(np.where(rights.end < 0, inf, rights.end),
                         np.where(rights.principal_end < 0, inf, rights.principal_end))
    lim, stu = period.child_limit, period.student_limit
    a1, a0 = age_in_years(birth, m1), age_in_years(birth, m0)
    entitled_all_month = ~is_child | disabled | (a1 < lim) | (student & (a1 <= stu))
    out_of_conditions = is_child & ~disabled & (a0 >= lim) & ~(student & (a0 <= stu))
    rights_month = (eff_start <= m0) & (eff_end >= m1)
    rights_closed = (eff_end < m0) | (eff_start > m1)
    ok = ~anomalies
    clean = np.flatnonzero(ok & rights_month & entitled_all_month)
    return Patients(
        ids=ids, ogd=people.ogd, sex=np.where(people.male, 2, 1).astype(np.int8), birth=birth,
        region=people.region, serials=serials, clean=clean,
        by_region=[clean[people.region[clean] == r] for r in range(len(REGIONS))],
        long=np.flatnonzero(ok & rights_month & entitled_all_month
                            & (eff_start <= period.window_start) & (birth <= period.window_start)),
        r02=np.flatnonzero(ok & rights_closed & entitled_all_month),
        r03=np.flatnonzero(ok & rights_month & out_of_conditions),
        r11=clean[period.referral_ogds[people.ogd[clean]]],
        anomalies=np.flatnonzero(anomalies),
        closed=int(rights_closed.sum()), anomaly_rows=int(anomalies.sum()),
        principal_start=rights.principal_start)


def unknown_beneficiary_ids(rng: np.random.Generator, n: int, serials: np.ndarray,
                            region: np.ndarray, salt: int) -> pl.Series:
    """Registration numbers in the registry's format that no row of it holds (R01)."""
    cand = rng.integers(0, 10**9, n)
    pos = np.minimum(np.searchsorted(serials, cand), serials.size - 1)
    cand = np.where(serials[pos] == cand, (cand + 7919 * salt) % 10**9, cand)
    pos = np.minimum(np.searchsorted(serials, cand), serials.size - 1)
    cand = np.where(serials[pos] == cand, (cand + 104729) % 10**9, cand)
    year = rng.integers(18, 27, n)
    return registration_ids(region, year, cand)
