"""Claims control in a sample month (R15–R18, A03): the authorizations file and its faults.

Run on each chunk once its lines are written (`claims_control`), in four steps:

1. R15 (waiting period) is left where the registry makes it: a clean line of a
   waiting act for a family insured too recently becomes an R15 line; a line
   that already carries another fault is made an emergency (exempt), so that
   every faulty line keeps exactly one code.
2. R17: every line of an act that needs a prior authorization gets a
   matching one in the authorizations file, except R17_RATE of the clean ones:
   half cite none, half cite one that expired the day before the care.
3. Repeat visits (R16, A03): a few clean lines of an act with an annual cap
   start a chain of single-line invoices of the same patient, provider and act
   on the next days, whose quantities use the year up (R16 on the last) or
   all but one unit of it (A03 on the last).
4. R18, R16 and A03 are then read off the chunk with the liquidation's own
   function (rules.frequency.frequency_flags) over the clean lines, and the
   lines it flags take that code, so the counts are exact by construction
   (a patient's lines are all in one chunk: batch.Batch.chunk).

Vectorised: polars joins and numpy masks; the only loop is over the few chains.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from ramu_cli.rules.authorization import Z_MATCH
from ramu_cli.rules.frequency import INPUT_COLUMNS, frequency_flags
from ramu_cli.samples.batch import Batch
from ramu_cli.samples.dates import date_of, date_series
from ramu_cli.samples.faults import LABEL

# Share of the clean lines of acts needing an authorization that have no valid one (R17).
R17_RATE = 0.25
# Chains started per clean line of a capped act, for R16 and for A03.
CHAIN_RATE = {"R16": 0.2, "A03": 0.5}
# Share of the clean lines of recently insured families that are a waiting act (R15).
R15_RATE = 0.5
# Share of the clean lines that are a course of sessions (an act with a cap, billed by the unit).
SESSIONS_RATE = 0.004
RULE_COLUMNS = ["waiting_days", "max_per_year", "prior_authorization", "min_interval_days",
                "max_qty", "free_care"]
CLEAN = ("OK", "A01", "A02")


def _acts_at_dates(frame: pl.DataFrame, acts: pl.DataFrame) -> pl.DataFrame:
    """The act row valid at each line's service date (a_* columns), same rows and order."""
    dates = frame.select("service_date").drop_nulls().unique()
    valid = (dates.join(acts.select("act_code", "valid_from", "valid_to", *RULE_COLUMNS), how="cross")
             .filter((pl.col("valid_from") <= pl.col("service_date"))
                     & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("service_date"))))
             .select("act_code", "service_date", *[pl.col(c).alias(f"a_{c}") for c in RULE_COLUMNS]))
    return frame.join(valid, on=["act_code", "service_date"], how="left", maintain_order="left")


def claims_control(batch: Batch, rng: np.random.Generator, frame: pl.DataFrame, labels: np.ndarray,
                   ben_rows: np.ndarray, levels: np.ndarray, tariff_price: np.ndarray
                   ) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame]:
    """(lines, labels, authorizations) of a chunk with R15–R18 and A03 made and labelled.

    `ben_rows`: each line's registry row (-1 when the patient is unknown); `levels`: its
    provider's level index;
    `tariff_price`: each line's tariff price at its provider's level (A01 lines lose A01
    when the cap cuts them).
    """
    labels = labels.copy()
    known = (ben_rows >= 0) & (labels != LABEL["R01"])
    p_start = np.where(known, batch.patients.principal_start[np.maximum(ben_rows, 0)], 0)
    f = frame.with_columns(_p_start=date_series(p_start, ~known))
    readable = labels != LABEL["R14"]
    emergency = f["emergency"].fill_null(False).to_numpy().copy()
    clean = np.isin(labels, [LABEL[c] for c in CLEAN])

    # 1. R15: some clean lines of recent families become a waiting act, and where the registry makes it.
    f = _acts_at_dates(_no_new_r09(f, _waiting_acts(rng, batch, f, labels, levels)), batch.act_rules)
    free = f["a_free_care"].is_not_null().to_numpy()
    held = (f["service_date"] - f["_p_start"]).dt.total_days()
    waiting = ((held < f["a_waiting_days"]).fill_null(False).to_numpy() & readable & ~free & ~emergency)
    labels[waiting & clean] = LABEL["R15"]
    conflict = waiting & ~clean
    emergency[conflict] = True
    labels[conflict & (labels == LABEL["R11"])] = LABEL["OK"]   # the emergency lifts R11 too
    clean = np.isin(labels, [LABEL[c] for c in CLEAN])

    # 2. R17: an authorization for every line that needs one, but R17_RATE of the clean ones.
    needs = f["a_prior_authorization"].fill_null(False).to_numpy() & readable & ~free & ~emergency
    refused = needs & clean & (rng.random(labels.size) < R17_RATE)
    labels[refused] = LABEL["R17"]
    f = f.with_columns(emergency=pl.Series(emergency))
    auths, auth_ids = _authorizations(rng, f, needs & f["beneficiary_id"].is_not_null().to_numpy(), refused)
    # Z matches the line exactly where it cites an authorization that is not expired.
    f = f.with_columns(authorization_id=auth_ids, _z=pl.Series(needs & ~refused))

    # 3. Chains of repeat visits, then 4. the cross-line codes read off the chunk.
    a_cols = [f"a_{c}" for c in RULE_COLUMNS]
    f = _acts_at_dates(_no_new_r09(f, _sessions(rng, batch, f, labels, levels)).drop(a_cols), batch.act_rules)
    f = _no_new_r09(f, _chains(rng, f, labels, date_of(batch.period.last_day)))
    f = _acts_at_dates(f.drop(a_cols), batch.act_rules)
    f, labels = _cross_line(f, labels, tariff_price, batch)
    return f.select(*frame.columns, "authorization_id"), labels, auths


R09_KEY = ["beneficiary_id", "provider_id", "act_code", "service_date"]


def _no_new_r09(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """`after`, with the lines a step changed put back where the change made or unmade an R09
    duplicate (same beneficiary, provider, act and day as another line)."""
    changed = pl.any_horizontal([pl.col(c).ne_missing(before[c]) for c in after.columns if c in before.columns])
    dup_after = after.select(pl.struct(R09_KEY).is_duplicated() & pl.all_horizontal(
        pl.col(R09_KEY).is_not_null())).to_series()
    dup_before = before.select(pl.struct(R09_KEY).is_duplicated() & pl.all_horizontal(
        pl.col(R09_KEY).is_not_null())).to_series()
    touched = after.select(changed).to_series()
    # Every line of a key that a changed line shares, before or after, goes back.
    keys = pl.concat([after.filter(touched & (dup_after | dup_before)).select(R09_KEY),
                      before.filter(touched & (dup_after | dup_before)).select(R09_KEY)])
    if keys.is_empty():
        return after
    hit = (after.select(pl.struct(R09_KEY).is_in(keys.select(pl.struct(R09_KEY)).to_series().implode()))
           .to_series() | before.select(pl.struct(R09_KEY).is_in(
               keys.select(pl.struct(R09_KEY)).to_series().implode())).to_series()) & touched
    back = np.flatnonzero(hit.to_numpy())
    return after.with_columns(**{c: after[c].scatter(back, before[c].gather(back))
                                 for c in after.columns if c in before.columns})


def _waiting_acts(rng: np.random.Generator, batch: Batch, f: pl.DataFrame, labels: np.ndarray,
                  lv: np.ndarray) -> pl.DataFrame:
    """A clean line (one per invoice) of a family insured for less than an act's waiting days
    becomes that act, at its tariff price, once in R15_RATE."""
    acts = batch.acts
    plain = ~pl.col("prior_authorization").fill_null(False) & pl.col("free_care").is_null()
    waiting = (batch.act_rules.filter(pl.col("waiting_days").is_not_null() & plain)
               .group_by("act_code").agg(pl.col("waiting_days").min()).sort("act_code"))
    codes = [c for c in waiting["act_code"] if c in acts.codes]
    if not codes:
        return f
    k = np.array([acts.codes.index(c) for c in codes])
    k = k[~acts.restricted[k].any(axis=1)]
    if not k.size:
        return f
    held = (f["service_date"] - f["_p_start"]).dt.total_days().fill_null(10**6).to_numpy()
    t = (f["service_date"].cast(pl.Int32).fill_null(acts.w0).to_numpy() - acts.w0).clip(0, acts.n_days - 1)
    r = rng.integers(0, k.size, labels.size)
    choice, alt = k[r], k[(r + 1) % k.size]
    choice = np.where(acts.price[choice, lv, t] >= 0, choice, alt)   # one priced at the level, if any
    price = acts.price[choice, lv, t]
    days = dict(zip(waiting["act_code"].to_list(), waiting["waiting_days"].to_list(), strict=True))
    wait_of = np.zeros(len(acts.codes), np.int64)
    wait_of[k] = [days[acts.codes[i]] for i in k]
    wait = wait_of[choice]
    pick = (labels == LABEL["OK"]) & (held < wait) & (price >= 0) \
        & ~f["emergency"].fill_null(False).to_numpy()
    # One line per invoice at most (two would be the same act: R09), once in R15_RATE.
    pick &= rng.random(labels.size) < R15_RATE
    once = pl.DataFrame({"inv": f["invoice_id"], "p": pick}).select(
        pl.col("p") & (pl.col("p").cast(pl.Int32).cum_sum().over("inv") == 1)).to_series()
    pick = once.to_numpy()
    ix = np.flatnonzero(pick)
    return f.with_columns(
        act_code=f["act_code"].scatter(ix, [acts.codes[i] for i in choice[ix]]),
        unit_price=f["unit_price"].scatter(ix, price[ix]),
        quantity=f["quantity"].scatter(ix, 1))


def _sessions(rng: np.random.Generator, batch: Batch, f: pl.DataFrame, labels: np.ndarray,
              lv: np.ndarray) -> pl.DataFrame:
    """SESSIONS_RATE of the clean lines become an act billed by the unit with an annual cap
    (physiotherapy sessions), at its tariff price: the sources of the A03 chains."""
    acts = batch.acts
    capped = (batch.act_rules.filter(pl.col("max_per_year").is_not_null() & (pl.col("max_qty") >= 2)
                                     & pl.col("min_interval_days").is_null() & pl.col("waiting_days").is_null()
                                     & ~pl.col("prior_authorization").fill_null(False) & pl.col("free_care").is_null())
              ["act_code"].unique().sort())
    k = np.array([acts.codes.index(c) for c in capped if c in acts.codes], np.int64)
    k = k[~acts.restricted[k].any(axis=1)] if k.size else k
    if not k.size:
        return f
    t = (f["service_date"].cast(pl.Int32).fill_null(acts.w0).to_numpy() - acts.w0).clip(0, acts.n_days - 1)
    choice = k[rng.integers(0, k.size, labels.size)]
    price = acts.price[choice, lv, t]
    pick = (labels == LABEL["OK"]) & (price >= 0) & ~f["emergency"].fill_null(False).to_numpy() \
        & (rng.random(labels.size) < SESSIONS_RATE)
    pick &= pl.DataFrame({"inv": f["invoice_id"], "p": pick}).select(
        pl.col("p").cast(pl.Int32).cum_sum().over("inv") == 1).to_series().to_numpy()
    ix = np.flatnonzero(pick)
    return f.with_columns(
        act_code=f["act_code"].scatter(ix, [acts.codes[i] for i in choice[ix]]),
        unit_price=f["unit_price"].scatter(ix, price[ix]))


def _authorizations(rng: np.random.Generator, f: pl.DataFrame, needs: np.ndarray, refused: np.ndarray
                    ) -> tuple[pl.DataFrame, pl.Series]:
    """The authorization rows of the lines that need one, and each line's authorization_id."""
    n = f.height
    cites = needs & ~(refused & (rng.random(n) < 0.5))   # half of the refused cite none
    expired = refused & cites
    ids = "AP-" + f["invoice_id"] + "-" + f["line_no"].cast(pl.String)
    day = f["service_date"].cast(pl.Int32).fill_null(0).to_numpy().astype(np.int64)
    start = day - rng.integers(0, 21, n) - np.where(expired, 60, 0)
    end = np.where(expired, day - 1, day + rng.integers(10, 61, n))
    frame = pl.DataFrame({
        "authorization_id": ids, "beneficiary_id": f["beneficiary_id"], "act_code": f["act_code"],
        "provider_id": f["provider_id"].scatter(np.flatnonzero(rng.random(n) < 0.3), None),
        "valid_from": date_series(start), "valid_to": date_series(end),
    }).filter(pl.Series(cites))
    return frame, ids.scatter(np.flatnonzero(~cites), None).alias("authorization_id")


def _chains(rng: np.random.Generator, f: pl.DataFrame, labels: np.ndarray, last: date) -> pl.DataFrame:
    """Turn a few clean single-line invoices into repeat visits of a capped act (R16, A03)."""
    n = labels.size
    single = f.select(pl.len().over("invoice_id") == 1).to_series().to_numpy()
    ok = (labels == LABEL["OK"]) & ~f["emergency"].to_numpy()
    early = (f["service_date"] <= last - timedelta(days=5)).fill_null(False).to_numpy()
    sources = ok & early & f["a_max_per_year"].is_not_null().to_numpy() & f["a_min_interval_days"].is_null().to_numpy()
    chains = sorted((int(i), kind) for kind, rate in CHAIN_RATE.items()
                    for i in np.flatnonzero(sources & (rng.random(n) < rate)))
    targets = list(rng.permutation(np.flatnonzero(ok & single & ~sources)))
    cap, max_qty = f["a_max_per_year"].to_list(), f["a_max_qty"].to_list()
    src_of, tgt, step, qty_at, qty = [], [], [], [], []   # the few chains' rows, built in Python
    busy: set[int] = set()
    for src, kind in chains:
        qtys = _chain_quantities(kind, cap[src], max_qty[src])
        if src in busy or qtys is None or len(qtys) > min(5, len(targets) + 1):
            continue
        busy.add(src)
        qty_at.append(src)
        qty.append(qtys[0])
        for k, q in enumerate(qtys[1:], start=1):
            t = int(targets.pop())
            src_of.append(src)
            tgt.append(t)
            step.append(k)
            qty_at.append(t)
            qty.append(q)
    if not tgt:
        return f
    src_ix, tgt_ix = np.array(src_of), np.array(tgt)
    copied = {c: f[c].scatter(tgt_ix, f[c].gather(src_ix))
              for c in ("beneficiary_id", "ogd", "provider_id", "act_code", "unit_price", "referral")}
    day = (f["service_date"].gather(src_ix).cast(pl.Int32) + pl.Series(step, dtype=pl.Int32)).cast(pl.Date)
    sub = pl.select(pl.max_horizontal(f["submission_date"].gather(src_ix), day)).to_series()
    return f.with_columns(
        **copied,
        service_date=f["service_date"].scatter(tgt_ix, day),
        submission_date=f["submission_date"].scatter(tgt_ix, sub),
        quantity=f["quantity"].scatter(np.array(qty_at), pl.Series(qty, dtype=pl.Int64)),
        emergency=f["emergency"].scatter(tgt_ix, False),
        authorization_id=f["authorization_id"].scatter(tgt_ix, None),
        _z=f["_z"].scatter(tgt_ix, False))


def _chain_quantities(kind: str, cap: int | None, max_qty: int | None) -> list[int] | None:
    """Quantities of a chain: the year used up (R16 on one more line), or up to cap − 1 (A03)."""
    m = max_qty or 1
    if cap is None or (kind == "A03" and m < 2):
        return None
    fill = cap if kind == "R16" else cap - 1
    # The part line first: the full line last in the R09 order is the one the cap cuts.
    qtys = ([fill % m] if fill % m else []) + [m] * (fill // m)
    return [*qtys, m]


def _cross_line(f: pl.DataFrame, labels: np.ndarray, tariff_price: np.ndarray, batch: Batch
                ) -> tuple[pl.DataFrame, np.ndarray]:
    """R18, R16 and A03 as liquidation finds them on the clean lines; labels follow."""
    clean = np.isin(labels, [LABEL[c] for c in CLEAN])
    interval_acts = batch.act_rules.filter(pl.col("min_interval_days").is_not_null())["act_code"].unique()
    rows = (f.with_row_index("row_id").with_columns(pl.col("row_id").cast(pl.Int64), pl.col("_z").alias(Z_MATCH))
            .filter(pl.Series(clean)).select(INPUT_COLUMNS))
    flags = frequency_flags(rows.lazy(), None, interval_acts.to_list())
    n = labels.size
    r18, r16, a03 = (np.zeros(n, bool) for _ in range(3))
    idx = flags["row_id"].to_numpy()
    r18[idx], r16[idx], a03[idx] = (flags[c].to_numpy() for c in ("r18", "r16", "a03"))
    labels[r18] = LABEL["R18"]
    labels[r16] = LABEL["R16"]
    qty, unit = f["quantity"].to_numpy().copy(), f["unit_price"].to_numpy().copy()
    max_qty = f["a_max_qty"].fill_null(0).to_numpy()
    was_a02, was_a01 = a03 & (labels == LABEL["A02"]), a03 & (labels == LABEL["A01"])
    qty[was_a02] = max_qty[was_a02]                # same capped quantity: the cap reads the same
    unit[was_a01] = tariff_price[was_a01]
    labels[a03] = LABEL["A03"]
    return f.with_columns(quantity=pl.Series(qty), unit_price=pl.Series(unit)), labels
