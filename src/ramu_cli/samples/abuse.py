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
    """Row index `_row`, invoice number `_inv` and position in the invoice `_pos`.

    An invoice is a run of consecutive rows with the same provider and invoice id,
    as the generator writes them: cumulative sums, no join or window over 10 million keys.
    """
    df = invoices.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    new_invoice = ((pl.col("provider_id") != pl.col("provider_id").shift(1))
                   | (pl.col("invoice_id") != pl.col("invoice_id").shift(1))).fill_null(True)
    df = df.with_columns(_inv=new_invoice.cast(pl.Int64).cum_sum() - 1,
                         _start=pl.when(new_invoice).then(pl.col("_row")).forward_fill())
    return df.with_columns(_pos=pl.col("_row") - pl.col("_start")).drop("_start")


def _heads(df: pl.DataFrame) -> pl.DataFrame:
    """One row per invoice (its first line): `_inv`, provider, beneficiary and `size` in lines."""
    heads = df.filter(pl.col("_pos") == 0).select("_inv", "_row", "provider_id", "beneficiary_id")
    return heads.with_columns(size=(pl.col("_row").shift(-1).fill_null(df.height) - pl.col("_row"))).drop("_row")


def _provider_stats(heads: pl.DataFrame, providers: pl.DataFrame) -> pl.DataFrame:
    """Lines, beneficiaries (of the invoices' first lines) and lines per beneficiary of each known provider."""
    stats = (heads.filter(pl.col("provider_id").is_not_null()).group_by("provider_id")
             .agg(pl.col("size").sum().alias("lines"), pl.col("beneficiary_id").drop_nulls().n_unique().alias("bens")))
    return (stats.join(providers.select("provider_id", "level"), on="provider_id", how="inner")
            .with_columns(lpb=pl.col("lines") / pl.col("bens")).sort("provider_id"))


def choose_providers(stats: pl.DataFrame, rng: np.random.Generator) -> dict[str, str]:
    """One distinct provider per abuse, at a level with enough peers; {} for an abuse with none."""
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
    own = df.filter((pl.col("provider_id") == provider) & (pl.col("quantity") >= 1))
    capped = with_max_qty(own.lazy().select("_row", "act_code", "service_date"), acts).collect()
    capped = capped.filter(pl.col("max_qty").is_not_null())
    return df.with_columns(df["quantity"].scatter(capped["_row"], capped["max_qty"]))


def _emergencies(df: pl.DataFrame, provider: str, rng: np.random.Generator) -> pl.DataFrame:
    """Whole invoices of `provider`, drawn at random, marked emergency until a third of its lines are."""
    sizes = df.filter(pl.col("provider_id") == provider).group_by("_inv").len().sort("_inv")
    order = rng.permutation(sizes.height)
    lens = sizes["len"].to_numpy()[order]
    take = int(np.searchsorted(np.cumsum(lens), EMERGENCY_SHARE * lens.sum())) + 1
    picked = sizes["_inv"].gather(order[:take])
    return df.with_columns(emergency=pl.col("emergency") | pl.col("_inv").is_in(picked.to_list()))


def _copied_rows(df: pl.DataFrame, targets: np.ndarray, sources: np.ndarray) -> pl.DataFrame:
    """The target invoices' rows (`_row`) with the CONTENT of their source's lines at the same positions."""
    content = [c for c in CONTENT if c in df.columns]
    pairs = pl.DataFrame({"_inv": targets.astype(np.int64), "_src": sources.astype(np.int64)})
    src = (df.filter(pl.col("_inv").is_in(np.unique(sources).tolist()))
           .select(pl.col("_inv").alias("_src"), "_pos", *content))
    return (df.filter(pl.col("_inv").is_in(targets.tolist())).select("_row", "_inv", "_pos")
            .join(pairs, on="_inv").join(src, on=["_src", "_pos"], how="inner").sort("_row")
            .select("_row", *content))


def _apply(df: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Write `rows` (from _copied_rows) into the whole frame `df` at their `_row` (one scatter per column)."""
    if rows.is_empty():
        return df
    return df.with_columns([df[c].scatter(rows["_row"], rows[c]) for c in rows.columns if c != "_row"])


def _new_duplicates(before: pl.DataFrame, after: pl.DataFrame) -> set[int]:
    """Invoices whose copied lines now share (beneficiary, provider, act, day) with another line (R09)."""
    key = ["beneficiary_id", "provider_id", "act_code", "service_date"]

    def dup_rows(df: pl.DataFrame) -> set[int]:
        k = df.filter(pl.all_horizontal(pl.col(key).is_not_null()))
        return set(k.filter(pl.len().over(key) > 1)["_row"].to_list())

    new_rows = dup_rows(after) - dup_rows(before)
    return set(after.filter(pl.col("_row").is_in(list(new_rows)))["_inv"].to_list())


def _fewer_patients(df: pl.DataFrame, heads: pl.DataFrame, provider: str, level_lpb: float,
                    rng: np.random.Generator) -> pl.DataFrame:
    """`provider`'s re-billed rows: LINES_FACTOR × the peers' lines per patient, no R09 duplicate made."""
    own = df.filter(pl.col("provider_id") == provider)
    invs = heads.filter((pl.col("provider_id") == provider) & pl.col("beneficiary_id").is_not_null())
    firsts = invs.unique("beneficiary_id", keep="first", maintain_order=True)
    want = max(1, round(int(invs["size"].sum()) / (LINES_FACTOR * level_lpb)))
    biggest = int(firsts.sort("size", "_inv", descending=[True, False])["_inv"][0])
    others = firsts.filter(pl.col("_inv") != biggest)["_inv"].to_numpy()
    kept = np.concatenate([[biggest], rng.choice(others, min(want - 1, others.size), replace=False)])
    kept_sizes = invs.filter(pl.col("_inv").is_in(kept.tolist())).sort("_inv")
    k_inv, k_size = kept_sizes["_inv"].to_numpy(), kept_sizes["size"].to_numpy()
    targets, sources = [], []
    for inv, size in invs.filter(~pl.col("_inv").is_in(kept.tolist())).select("_inv", "size").iter_rows():
        fits = k_inv[k_size >= size]
        if fits.size:
            targets.append(inv)
            sources.append(int(fits[int(rng.integers(fits.size))]))
    t, s = np.array(targets, np.int64), np.array(sources, np.int64)
    while t.size:     # each round leaves out the copies that would duplicate a line
        rows = _copied_rows(own, t, s)
        bad = _new_duplicates(own, own.update(rows, on="_row", include_nulls=True))
        if not bad:
            return rows
        keep = ~np.isin(t, list(bad))
        t, s = t[keep], s[keep]
    return _copied_rows(own, t, s)


def _many_providers(df: pl.DataFrame, heads: pl.DataFrame, providers: pl.DataFrame, avoid: list[str],
                    rng: np.random.Generator) -> tuple[pl.DataFrame, list[str]]:
    """Rows re-billed so that PLANTED_BENEFICIARIES patients are each also billed by
    PLANTED_VISITS − 1 other providers of their level; and who they are."""
    inv = (heads.filter(pl.col("beneficiary_id").is_not_null() & ~pl.col("provider_id").is_in(avoid))
           .join(providers.select("provider_id", "level"), on="provider_id", how="inner").sort("_inv"))
    spread = inv.group_by("level").agg(pl.col("provider_id").n_unique().alias("n"))
    wide = spread.filter(pl.col("n") >= PLANTED_VISITS)["level"].to_list()
    used: set[int] = set()
    planted: list[str] = []
    targets, sources = [], []
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
        picked = cand["_inv"].to_list()[:PLANTED_VISITS - 1]
        targets += picked
        sources += [src["_inv"]] * len(picked)
        used.update(picked)
        planted.append(src["beneficiary_id"])
    return _copied_rows(df, np.array(targets, np.int64), np.array(sources, np.int64)), planted


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
    heads = _heads(df)
    stats = _provider_stats(heads, providers)
    chosen = choose_providers(stats, rng) if chosen is None else dict(chosen)
    if code_provider := chosen.get("share_at_max_qty"):
        df = _at_max_qty(df, code_provider, acts)
    if code_provider := chosen.get("share_emergency"):
        df = _emergencies(df, code_provider, rng)
    copies = []
    if code_provider := chosen.get("lines_per_beneficiary"):
        level = stats.filter(pl.col("provider_id") == code_provider)["level"].item()
        peers = stats.filter((pl.col("level") == level) & (pl.col("lines") >= 30))
        level_lpb = float(peers.select(pl.col("lpb").median()).item() or 1.0)
        copies.append(_fewer_patients(df, heads, code_provider, level_lpb, rng))
    rows, planted = _many_providers(df, heads, providers, list(chosen.values()), rng)
    df = _apply(df, pl.concat([*copies, rows]))
    return df.select(invoices.columns), PlantedAbuse(providers=chosen, beneficiaries=planted)


def plant_into_chunk(frame: pl.DataFrame, labels: np.ndarray, providers: pl.DataFrame, acts: pl.DataFrame,
                     rng: np.random.Generator, chosen: dict[str, str] | None
                     ) -> tuple[pl.DataFrame, dict[str, str]]:
    """One chunk of `ramu samples` with abusers planted among its clean lines (label 0, "OK").

    Lines that carry an injected fault are left as drawn, so each keeps the code
    it was made for; `chosen` (None for the first chunk) keeps the same providers
    from chunk to chunk. Returns the chunk and the providers chosen.
    """
    clean = np.flatnonzero(labels == 0)
    if clean.size == 0:
        return frame, dict(chosen or {})
    planted, who = plant_abusers(frame[clean], providers, acts, rng, chosen)
    index = pl.Series(clean.astype(np.int64))
    changed = [c for c in CONTENT if c in frame.columns]
    return frame.with_columns([frame[c].scatter(index, planted[c]) for c in changed]), who.providers
