"""Abusers planted in a synthetic batch, so that its report's signals have something to find.

`plant_abusers` takes invoice lines as `ramu samples` draws them and rewrites a
few providers' and beneficiaries' lines, keeping the row count, the line keys
and the dates:

- `share_at_max_qty`: one provider bills every line at its act's max_qty;
- `lines_per_beneficiary`: one provider's invoices are re-billed to a few of its
  own patients, about three times its peers' lines per beneficiary (each
  re-billed invoice copies the beneficiary, acts, quantities and prices of one
  of the kept invoices, on its own service date, so every line stays as
  payable as the one it copies);
- `share_emergency`: one provider sends a third of its lines as emergencies;
- a few beneficiaries see PLANTED_VISITS providers of one level in the month
  (invoices of other providers re-billed with the acts of one of theirs).

Providers are chosen at levels with enough peers (≥ 6 providers with at
least PLANTED_MIN_LINES lines). Same inputs and same Generator state, same
result. Pure: no file, no print.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ramu_cli.signals.core import with_max_qty

PLANTED_MIN_LINES = 40          # a planted provider has at least this many lines
PLANTED_MIN_LEVEL_PEERS = 6     # its level has this many providers with ≥ 30 lines (itself and 5 peers)
PLANTED_BENEFICIARIES = 3       # beneficiaries made to see many providers
PLANTED_VISITS = 7              # distinct providers each of them sees in the month
EMERGENCY_SHARE = 1 / 3
LINES_FACTOR = 3
# Which level each abuse prefers when it has enough peers (else: the level with most peers).
PREFERRED_LEVEL = {"share_at_max_qty": "PHARMACY", "lines_per_beneficiary": "CSCOM", "share_emergency": "CSCOM"}
# What a re-billed invoice copies from the invoice it imitates (dates, keys and provider stay its own).
CONTENT = ("beneficiary_id", "ogd", "referral", "emergency", "act_code", "quantity", "unit_price",
           "authorization_id")


@dataclass
class PlantedAbuse:
    """Who was planted: indicator code → provider_id, and the many-provider beneficiaries."""

    providers: dict[str, str] = field(default_factory=dict)
    beneficiaries: list[str] = field(default_factory=list)


def _with_positions(invoices: pl.DataFrame) -> pl.DataFrame:
    """Row index `_row`, invoice number `_inv` (per provider and invoice id) and position `_pos`."""
    df = invoices.with_row_index("_row")
    numbers = (df.select("provider_id", "invoice_id").unique(maintain_order=True)
               .with_row_index("_inv").with_columns(pl.col("_inv").cast(pl.Int64)))
    df = df.join(numbers, on=["provider_id", "invoice_id"], how="left", nulls_equal=True, maintain_order="left")
    return df.with_columns(_pos=pl.int_range(pl.len()).over("_inv").cast(pl.Int64))


def _provider_stats(df: pl.DataFrame, providers: pl.DataFrame) -> pl.DataFrame:
    stats = (df.filter(pl.col("provider_id").is_not_null()).group_by("provider_id")
             .agg(pl.len().alias("lines"), pl.col("beneficiary_id").drop_nulls().n_unique().alias("bens")))
    return (stats.join(providers.select("provider_id", "level"), on="provider_id", how="inner")
            .with_columns(lpb=pl.col("lines") / pl.col("bens")).sort("provider_id"))


def choose_providers(df: pl.DataFrame, providers: pl.DataFrame, rng: np.random.Generator) -> dict[str, str]:
    """One distinct provider per abuse, at a level with enough peers; {} for an abuse with none."""
    stats = _provider_stats(df, providers)
    eligible = stats.filter(pl.col("lines") >= 30)
    sizes = dict(eligible.group_by("level").len().iter_rows())
    levels = sorted((lv for lv, n in sizes.items() if n >= PLANTED_MIN_LEVEL_PEERS), key=lambda lv: (-sizes[lv], lv))
    chosen: dict[str, str] = {}
    for code, preferred in PREFERRED_LEVEL.items():
        for level in ([preferred] if preferred in levels else []) + levels:
            pool = stats.filter((pl.col("level") == level) & (pl.col("lines") >= PLANTED_MIN_LINES)
                                & ~pl.col("provider_id").is_in(list(chosen.values())))["provider_id"].to_list()
            if pool:
                chosen[code] = pool[int(rng.integers(len(pool)))]
                break
    return chosen


def _at_max_qty(df: pl.DataFrame, provider: str, acts: pl.DataFrame) -> pl.DataFrame:
    """Every readable quantity of `provider` set to its act's max_qty."""
    maxq = with_max_qty(df.lazy().select("_row", "act_code", "service_date"), acts).collect()["max_qty"]
    hit = (pl.col("provider_id") == provider) & (pl.col("quantity") >= 1) & maxq.is_not_null()
    return df.with_columns(quantity=pl.when(hit).then(maxq).otherwise(pl.col("quantity")))


def _emergencies(df: pl.DataFrame, provider: str, rng: np.random.Generator) -> pl.DataFrame:
    """Whole invoices of `provider`, drawn at random, marked emergency until a third of its lines are."""
    sizes = df.filter(pl.col("provider_id") == provider).group_by("_inv").len().sort("_inv")
    order = rng.permutation(sizes.height)
    lens = sizes["len"].to_numpy()[order]
    take = int(np.searchsorted(np.cumsum(lens), EMERGENCY_SHARE * lens.sum())) + 1
    picked = sizes["_inv"].gather(order[:take])
    return df.with_columns(emergency=pl.col("emergency") | pl.col("_inv").is_in(picked.to_list()))


def _copy_invoices(df: pl.DataFrame, targets: np.ndarray, sources: np.ndarray) -> pl.DataFrame:
    """Each target invoice takes CONTENT of its source's lines at the same positions."""
    content = [c for c in CONTENT if c in df.columns]
    pairs = pl.DataFrame({"_inv": targets.astype(np.int64), "_src": sources.astype(np.int64)})
    src = df.select(pl.col("_inv").alias("_src"), "_pos", *[pl.col(c).alias(f"_new_{c}") for c in content])
    new = df.join(pairs, on="_inv", how="left").join(src, on=["_src", "_pos"], how="left")
    hit = pl.col("_src").is_not_null()
    return new.with_columns([pl.when(hit).then(pl.col(f"_new_{c}")).otherwise(pl.col(c)).alias(c)
                             for c in content]).select(df.columns)


def _new_duplicates(before: pl.DataFrame, after: pl.DataFrame) -> set[int]:
    """Invoices whose copied lines now share (beneficiary, provider, act, day) with another line (R09)."""
    key = ["beneficiary_id", "provider_id", "act_code", "service_date"]

    def dup_rows(df: pl.DataFrame) -> set[int]:
        k = df.filter(pl.all_horizontal(pl.col(key).is_not_null()))
        return set(k.filter(pl.len().over(key) > 1)["_row"].to_list())

    new_rows = dup_rows(after) - dup_rows(before)
    return set(after.filter(pl.col("_row").is_in(list(new_rows)))["_inv"].to_list())


def _copy_without_duplicates(df: pl.DataFrame, targets: np.ndarray, sources: np.ndarray,
                             scope: pl.Expr) -> pl.DataFrame:
    """_copy_invoices, leaving out the copies that would make R09 duplicates (each round drops some)."""
    while targets.size:
        after = _copy_invoices(df, targets, sources)
        bad = _new_duplicates(df.filter(scope), after.filter(scope))
        if not bad:
            return after
        keep = ~np.isin(targets, list(bad))
        targets, sources = targets[keep], sources[keep]
    return df


def _fewer_patients(df: pl.DataFrame, provider: str, level_lpb: float, rng: np.random.Generator) -> pl.DataFrame:
    """Re-bill `provider`'s invoices to a few kept ones' patients: LINES_FACTOR × the peers' lines per patient."""
    own = df.filter((pl.col("provider_id") == provider) & pl.col("beneficiary_id").is_not_null())
    invs = (own.group_by("_inv").agg(pl.len().alias("size"), pl.col("beneficiary_id").first())
            .sort("_inv"))
    firsts = invs.unique("beneficiary_id", keep="first", maintain_order=True)
    want = max(1, round(own.height / (LINES_FACTOR * level_lpb)))
    biggest = int(firsts.sort("size", "_inv", descending=[True, False])["_inv"][0])
    others = firsts.filter(pl.col("_inv") != biggest)["_inv"].to_numpy()
    kept = np.concatenate([[biggest], rng.choice(others, min(want - 1, others.size), replace=False)])
    kept_sizes = invs.filter(pl.col("_inv").is_in(kept.tolist())).sort("_inv")
    k_inv, k_size = kept_sizes["_inv"].to_numpy(), kept_sizes["size"].to_numpy()
    rest = invs.filter(~pl.col("_inv").is_in(kept.tolist()))
    targets, sources = [], []
    for inv, size in rest.select("_inv", "size").iter_rows():
        fits = k_inv[k_size >= size]
        if fits.size:
            targets.append(inv)
            sources.append(int(fits[int(rng.integers(fits.size))]))
    return _copy_without_duplicates(df, np.array(targets, np.int64), np.array(sources, np.int64),
                                    pl.col("provider_id") == provider)


def _many_providers(df: pl.DataFrame, providers: pl.DataFrame, avoid: list[str],
                    rng: np.random.Generator) -> tuple[pl.DataFrame, list[str]]:
    """PLANTED_BENEFICIARIES patients, each also billed by PLANTED_VISITS − 1 other providers of its level."""
    inv = (df.filter(pl.col("beneficiary_id").is_not_null() & ~pl.col("provider_id").is_in(avoid))
           .group_by("_inv").agg(pl.len().alias("size"), pl.col("provider_id").first(),
                                 pl.col("beneficiary_id").first())
           .join(providers.select("provider_id", "level"), on="provider_id", how="inner").sort("_inv"))
    spread = inv.group_by("level").agg(pl.col("provider_id").n_unique().alias("n"))
    wide = spread.filter(pl.col("n") >= PLANTED_VISITS)["level"].to_list()
    used: set[int] = set()
    planted: list[str] = []
    for _ in range(4 * PLANTED_BENEFICIARIES):
        big = inv.filter((pl.col("size") >= 3) & pl.col("level").is_in(wide) & ~pl.col("_inv").is_in(list(used)))
        if big.is_empty() or len(planted) == PLANTED_BENEFICIARIES:
            break
        src = big.row(int(rng.integers(big.height)), named=True)
        used.add(src["_inv"])
        cand = inv.filter((pl.col("level") == src["level"]) & (pl.col("provider_id") != src["provider_id"])
                          & (pl.col("size") <= src["size"]) & ~pl.col("_inv").is_in(list(used))
                          & (pl.col("beneficiary_id") != src["beneficiary_id"]))
        cand = cand[rng.permutation(cand.height)].unique("provider_id", keep="first", maintain_order=True)
        if cand.height < PLANTED_VISITS - 1:
            continue
        targets = cand["_inv"].to_numpy()[:PLANTED_VISITS - 1]
        df = _copy_invoices(df, targets, np.full(targets.size, src["_inv"]))
        used.update(targets.tolist())
        planted.append(src["beneficiary_id"])
    return df, planted


def plant_abusers(invoices: pl.DataFrame, providers: pl.DataFrame, acts: pl.DataFrame,
                  rng: np.random.Generator, chosen: dict[str, str] | None = None) -> tuple[pl.DataFrame, PlantedAbuse]:
    """The invoice lines with abusers planted, and who they are.

    `invoices` has the invoices contract's columns (extra columns pass through);
    `providers` needs provider_id and level; `acts` is the tariff folder's acts
    table (act_code, max_qty, valid_from, valid_to). Pass `chosen` (an earlier
    call's `PlantedAbuse.providers`) to plant the same providers in another
    chunk of the same batch.
    """
    df = _with_positions(invoices)
    chosen = choose_providers(df, providers, rng) if chosen is None else dict(chosen)
    stats = _provider_stats(df, providers)
    if code_provider := chosen.get("share_at_max_qty"):
        df = _at_max_qty(df, code_provider, acts)
    if code_provider := chosen.get("share_emergency"):
        df = _emergencies(df, code_provider, rng)
    if code_provider := chosen.get("lines_per_beneficiary"):
        level = stats.filter(pl.col("provider_id") == code_provider)["level"].item()
        peers = stats.filter((pl.col("level") == level) & (pl.col("lines") >= 30))
        df = _fewer_patients(df, code_provider, float(peers.select(pl.col("lpb").median()).item() or 1.0), rng)
    df, planted = _many_providers(df, providers, list(chosen.values()), rng)
    return df.select(invoices.columns), PlantedAbuse(providers=chosen, beneficiaries=planted)
