"""What a diff amounts to: counts, francs at stake, transitions, reasons gained and lost.

Computed from the collected diff rows (the lines that differ, usually few)
and the per-status transition counts (16 rows at most). Definitions (also in
docs/decisions-diff.md):
- payable delta of a line = payable in B − payable in A, a side without the
  line counting 0;
- francs at stake = Σ |payable delta| over the lines; net delta = Σ payable
  delta = total payable of B − total payable of A;
- a line's OGD and provider are A's, or B's for a line only in B.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ramu_cli.contract import OGDS, STATUSES
from ramu_cli.diff.compare import CHANGED, COMPARED, ONLY_A, ONLY_B

TOP_LINES = 20  # the largest deltas, listed in the report


@dataclass
class DiffSummary:
    """The figures of a diff, as --json, the manifest and report.html show them."""

    counts: dict[str, int]
    payable_a: int
    payable_b: int
    stake: int                      # Σ |payable B − payable A|
    compared: tuple[str, ...]
    by_kind: list[dict] = field(default_factory=list)      # kind, lines, up, down, stake, net
    by_column: list[dict] = field(default_factory=list)    # column, lines
    by_ogd: list[dict] = field(default_factory=list)
    by_provider: list[dict] = field(default_factory=list)
    matrix: list[dict] = field(default_factory=list)       # status_a x status_b counts
    reasons: list[dict] = field(default_factory=list)      # code, gained, lost, their deltas
    top: list[dict] = field(default_factory=list)

    @property
    def net(self) -> int:
        return self.payable_b - self.payable_a

    @property
    def identical(self) -> bool:
        return not (self.counts["only_a"] or self.counts["only_b"] or self.counts["changed"])

    def as_json(self) -> dict:
        return {"identical": self.identical, "counts": self.counts, "francs_at_stake": self.stake,
                "net_delta": self.net, "payable_a": self.payable_a, "payable_b": self.payable_b,
                "compared_columns": list(self.compared)}


def _counts(transitions: pl.DataFrame, rows: pl.DataFrame) -> dict[str, int]:
    t = transitions
    in_a, in_b = t["status_a"].is_not_null(), t["status_b"].is_not_null()
    kind = rows["kind"]
    return {
        "lines_a": int(t.filter(in_a)["lines"].sum()), "lines_b": int(t.filter(in_b)["lines"].sum()),
        "matched": int(t.filter(in_a & in_b)["lines"].sum()),
        "matched_by_row_id": int(t["by_row_id"].sum()),
        "identical": int(t.filter(in_a & in_b)["lines"].sum()) - int(t["changed"].sum()),
        "only_a": int((kind == ONLY_A).sum()), "only_b": int((kind == ONLY_B).sum()),
        "changed": int((kind == CHANGED).sum()),
        "status_changed": int((rows["changed"].list.contains("status")).sum()),
        "payable_changed": int((rows["changed"].list.contains("payable")).sum()),
    }


def _by(rows: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per OGD or provider: lines that differ, by kind, and francs up, down, at stake, net."""
    delta = pl.col("payable_delta").cast(pl.Int128)  # sums cannot wrap
    return (rows.group_by(key)
            .agg(pl.len().alias("lines"),
                 *[(pl.col("kind") == k).sum().alias(k) for k in (ONLY_A, ONLY_B, CHANGED)],
                 delta.filter(delta > 0).sum().alias("up"), delta.filter(delta < 0).abs().sum().alias("down"),
                 delta.abs().sum().alias("stake"), delta.sum().alias("net")))


def _by_kind(rows: pl.DataFrame) -> list[dict]:
    found = {r["kind"]: r for r in _by(rows, "kind").iter_rows(named=True)}
    empty = {"lines": 0, "up": 0, "down": 0, "stake": 0, "net": 0}
    return [{**empty, **found.get(k, {}), "kind": k} for k in (ONLY_A, ONLY_B, CHANGED)]


def _by_ogd(rows: pl.DataFrame) -> list[dict]:
    rank = pl.col("ogd").replace_strict(OGDS, list(range(len(OGDS))), default=len(OGDS), return_dtype=pl.Int64)
    return _by(rows, "ogd").sort(pl.col("stake"), rank, pl.col("ogd"), descending=[True, False, False],
                                 nulls_last=True).to_dicts()


def _by_provider(rows: pl.DataFrame) -> list[dict]:
    return _by(rows, "provider_id").sort(["stake", "provider_id"], descending=[True, False],
                                         nulls_last=True).to_dicts()


def _matrix(transitions: pl.DataFrame) -> list[dict]:
    """Rows: status in A (then "absent"); columns: status in B (then "absent"); line counts."""
    cells = {(r["status_a"], r["status_b"]): r for r in transitions.iter_rows(named=True)}
    states: list[str | None] = [*STATUSES, None]
    out = []
    for sa in states:
        row = []
        for sb in states:
            r = cells.get((sa, sb))
            row.append({"status_b": sb, "lines": int(r["lines"]) if r else 0,
                        "stake": int(r["stake"]) if r else 0, "same": sa == sb})
        out.append({"status": sa, "cells": row})
    return out


def _reasons(rows: pl.DataFrame) -> list[dict]:
    """Per reason code: paired lines that gained it in B, lost it, and the payable delta of those lines."""
    paired = rows.filter((pl.col("kind") == CHANGED) & pl.col("changed").list.contains("reasons"))
    parts = []
    for name, new, old in (("gained", "reasons_b", "reasons_a"), ("lost", "reasons_a", "reasons_b")):
        parts.append(paired.select(pl.col(new).list.set_difference(pl.col(old)).alias("code"), "payable_delta")
                     .explode("code").drop_nulls("code")
                     .group_by("code").agg(pl.len().alias(name), pl.col("payable_delta").sum().alias(f"{name}_delta")))
    if not parts[0].height and not parts[1].height:
        return []
    both = parts[0].join(parts[1], on="code", how="full", coalesce=True).fill_null(0)
    return both.sort("code").to_dicts()


def _by_column(rows: pl.DataFrame, compared: tuple[str, ...]) -> list[dict]:
    exploded = rows.filter(pl.col("kind") == CHANGED).select(pl.col("changed").explode()).drop_nulls()
    found = dict(exploded.group_by("changed").len().iter_rows())
    return [{"column": c, "lines": int(found[c])} for c in COMPARED if c in compared and c in found]


def _top(rows: pl.DataFrame) -> list[dict]:
    return (rows.filter(pl.col("payable_delta") != 0)
            .sort(pl.col("payable_delta").abs(), "provider_id", "invoice_id", "line_no",
                  descending=[True, False, False, False], nulls_last=True)
            .head(TOP_LINES).to_dicts())


def summarise(rows: pl.DataFrame, transitions: pl.DataFrame, compared: tuple[str, ...]) -> DiffSummary:
    """The diff's figures from its rows and its status transitions."""
    return DiffSummary(
        counts=_counts(transitions, rows),
        payable_a=int(transitions["payable_a"].sum()), payable_b=int(transitions["payable_b"].sum()),
        stake=int(transitions["stake"].sum()), compared=compared,
        by_kind=_by_kind(rows), by_column=_by_column(rows, compared),
        by_ogd=_by_ogd(rows), by_provider=_by_provider(rows),
        matrix=_matrix(transitions), reasons=_reasons(rows), top=_top(rows))
