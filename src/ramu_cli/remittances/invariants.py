"""The remittance audit's own arithmetic, checked before anything is written.

A failure is a bug in the program, not in the inputs: exit code 4, and the
temporary run folder is thrown away.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.errors import InvariantError, Problem
from ramu_cli.remittances.core import KEYS, OGD_TOTAL_COLUMNS, RemittanceResult


def _s(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String)


def _fail(rows: pl.DataFrame, what: str) -> None:
    """Raise InvariantError naming each faulty (ogd, period) when `rows` is not empty."""
    if rows.is_empty():
        return
    problems = []
    for row in rows.head(20).iter_rows(named=True):
        where = f"OGD {row['ogd']}" + (f", période {row['period']}" if "period" in row else "")
        problems.append(Problem(file="reversements", message=f"{where} : {what} ({row['detail']})",
                                code="remittance_arithmetic"))
    first = problems[0].message
    more = f" (et {rows.height - 1} autre(s))" if rows.height > 1 else ""
    raise InvariantError(
        f"Contrôle des reversements : les calculs ne tombent pas juste pour {first}{more}. "
        "C'est une erreur du programme : rien n'a été écrit.", problems)


def _check_periods(result: RemittanceResult) -> None:
    """collected = remitted + outstanding; Σ transfers = remitted + excess; no negative figure."""
    p = result.periods
    _fail(p.filter(pl.col("collected") != pl.col("remitted") + pl.col("outstanding"))
          .with_columns(detail=pl.format("encaissé {} ≠ reversé {} + restant dû {}",
                                         _s("collected"), _s("remitted"), _s("outstanding"))),
          "encaissé ≠ reversé + restant dû")
    # Against the independent transfer totals, when the result carries them.
    if result.transfers is not None:
        t = (p.join(result.transfers, on=KEYS, how="full", coalesce=True)
             .with_columns(pl.col("transferred", "remitted", "excess").fill_null(0)))
        _fail(t.filter(pl.col("transferred") != pl.col("remitted") + pl.col("excess"))
              .with_columns(detail=pl.format("virements {} ≠ reversé {} + excédent {}",
                                             _s("transferred"), _s("remitted"), _s("excess"))),
              "Σ virements ≠ reversé + excédent")
    _fail(p.filter((pl.col("outstanding") < 0) | (pl.col("excess") < 0)
                   | (pl.col("remitted_on_time") < 0)
                   | (pl.col("remitted_late") != pl.col("remitted") - pl.col("remitted_on_time")))
          .with_columns(detail=pl.format("restant dû {}, excédent {}, à temps {}, en retard {}",
                                         _s("outstanding"), _s("excess"),
                                         _s("remitted_on_time"), _s("remitted_late"))),
          "montants négatifs ou reversé à temps + en retard ≠ reversé")


def _check_chunks(result: RemittanceResult) -> None:
    """The chunks of each (ogd, period) add up to its figures."""
    paid = pl.col("transfer_id").is_not_null()
    by_chunks = result.chunks.group_by(KEYS).agg(
        c_collected=pl.col("amount").sum(),
        c_remitted=pl.col("amount").filter(paid).sum(),
        c_on_time=pl.col("amount").filter(paid & (pl.col("days_late") == 0)).sum(),
        c_max_days=pl.col("days_late").max(),
        c_penalty=pl.col("penalty").sum(),
        c_bad=((pl.col("amount") <= 0) | (pl.col("days_late") < 0)
               | (pl.col("penalty") < 0)).any(),
    )
    j = (result.periods.join(by_chunks, on=KEYS, how="full", coalesce=True)
         .with_columns(pl.col("c_collected", "c_remitted", "c_on_time", "c_max_days",
                              "c_penalty").fill_null(0),
                       pl.col("c_bad").fill_null(False)))
    _fail(j.filter(pl.col("collected").is_null()
                   | (pl.col("c_collected") != pl.col("collected"))
                   | (pl.col("c_remitted") != pl.col("remitted"))
                   | (pl.col("c_on_time") != pl.col("remitted_on_time"))
                   | (pl.col("c_max_days") != pl.col("max_days_late"))
                   | (pl.col("c_penalty") != pl.col("penalty"))
                   | pl.col("c_bad"))
          .with_columns(detail=pl.format(
              "tranches : encaissé {}, reversé {}, à temps {}, pénalités {} ; "
              "ligne : encaissé {}, reversé {}, à temps {}, pénalités {}",
              _s("c_collected"), _s("c_remitted"), _s("c_on_time"), _s("c_penalty"),
              _s("collected"), _s("remitted"), _s("remitted_on_time"), _s("penalty"))),
          "les tranches ne correspondent pas aux totaux de la période")


def _check_ogd_totals(result: RemittanceResult) -> None:
    """Per-OGD totals are the sums of their periods."""
    sums = [col for col in OGD_TOTAL_COLUMNS if col not in ("ogd", "collection_rate")]
    expected = result.periods.group_by("ogd").agg(pl.col(sums).sum().name.suffix("_p"))
    o = result.ogd_totals.join(expected, on="ogd", how="full", coalesce=True)
    mismatch = pl.lit(False)
    for col in sums:
        mismatch = mismatch | pl.col(col).ne_missing(pl.col(f"{col}_p"))
    _fail(o.filter(mismatch)
          .with_columns(detail=pl.format("total encaissé {} / somme des périodes {}",
                                         _s("collected"), _s("collected_p"))),
          "les totaux de l'OGD ne sont pas la somme de ses périodes")


def check_invariants(result: RemittanceResult) -> None:
    """Raise InvariantError when the audit's own arithmetic does not hold."""
    _check_periods(result)
    _check_chunks(result)
    _check_ogd_totals(result)
