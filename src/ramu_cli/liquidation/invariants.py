"""The invariants a liquidation run checks before anything is written.

A failure is a bug in the program, not in the inputs: the run stops with exit
code 4 and the temporary folder is thrown away.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ramu_cli.contract import LIQUIDATION_COLUMNS
from ramu_cli.errors import InvariantError, Problem
from ramu_cli.liquidation.totals import totals
from ramu_cli.schemas import LIQUIDATION_SCHEMA, schema_problems

AMOUNTS = ["billed", "payable", "copay", "disallowed", "allowed"]


def check_lines(lines: pl.DataFrame, offset: int, expected_rows: int) -> None:
    """A chunk of decided lines: its input rows, in order (row_id offset+1 … offset+n);
    billed = payable + copay + disallowed, all ≥ 0; the pandera contract."""
    if lines.height != expected_rows:
        raise InvariantError(f"{lines.height} lignes liquidées pour {expected_rows} lignes de factures "
                             f"(à partir de la ligne {offset + 1}).")
    if lines.height and not lines.select(
            (pl.col("row_id") == pl.int_range(offset + 1, offset + pl.len() + 1)).all()).item():
        raise InvariantError("Les lignes liquidées ne suivent pas l'ordre du fichier (row_id 1..n).")
    broken = lines.lazy().filter(
        (pl.col("billed") != pl.col("payable") + pl.col("copay") + pl.col("disallowed"))
        | pl.any_horizontal([pl.col(c) < 0 for c in AMOUNTS])
        | pl.any_horizontal([pl.col(c).is_null() for c in AMOUNTS])).select("row_id").collect()
    if broken.height:
        raise InvariantError(
            f"Conservation rompue sur {broken.height} ligne(s) : facturé ≠ payé + ticket modérateur + rejeté.",
            [Problem("liquidation.parquet", "conservation rompue", row=r, code="conservation_broken")
             for r in broken["row_id"].head(20).to_list()])
    failures = schema_problems(lines.select(list(LIQUIDATION_COLUMNS)), LIQUIDATION_SCHEMA, "liquidation.parquet")
    if failures:
        raise InvariantError(f"Le résultat ne respecte pas le contrat de données ({len(failures)} écart(s)).",
                             failures[:20])


def check_orders(lines: pl.LazyFrame, orders: pl.DataFrame) -> None:
    """Payment orders carry exactly the payable of the lines that are paid."""
    paid = pl.col("payable").filter(pl.col("status") != "REJECTED").cast(pl.Int128).sum()
    expected = int(lines.select(paid).collect().item() or 0)
    got = int(orders["payable"].sum() or 0)
    if expected != got:
        raise InvariantError(f"Total des ordres de paiement ({got}) ≠ total payable des lignes ({expected}).")
    if orders["order_no"].n_unique() != orders.height:
        raise InvariantError("Numéros d'ordre de paiement en double.")


def check_written(parquet: Path, expected: dict[str, int]) -> None:
    """The totals reported equal the sums over the liquidation.parquet actually written."""
    written = totals(pl.scan_parquet(parquet, glob=False))
    diff = {k: (v, written.get(k)) for k, v in expected.items() if written.get(k) != v}
    if diff:
        raise InvariantError("Totaux du rapport différents de liquidation.parquet : " +
                             ", ".join(f"{k} {a} ≠ {b}" for k, (a, b) in diff.items()))
