"""pandera schemas built from the contract's column specs, and their failures as Problems.

The contract (contract.py) is the one description of every table; these
schemas are derived from it, so a typed table and the liquidation output are
checked against the same words the rulebook uses. Readers find unreadable
cells; pandera checks what a typed frame must hold (types, enums, bounds).
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from ramu_cli.contract import FUNDERS, LIQUIDATION_COLUMNS, OGDS, STATUSES, Kind, Table
from ramu_cli.errors import Problem


def _column(kind: Kind, dtype: pl.DataType, nullable: bool, values=(), lo=None, hi=None) -> pa.Column:
    checks = []
    if values:
        checks.append(pa.Check.isin(list(values)))
    if lo is not None:
        checks.append(pa.Check.ge(lo))
    if hi is not None:
        checks.append(pa.Check.le(hi))
    return pa.Column(dtype, checks=checks, nullable=nullable)


def table_schema(table: Table) -> pa.DataFrameSchema:
    """The schema a typed table of the contract must satisfy (extra columns allowed)."""
    columns = {c.name: _column(c.kind, c.dtype, c.nullable, c.values, c.min_value, c.max_value)
               for c in table.columns}
    return pa.DataFrameSchema(columns, strict=False, name=table.role)


def _liquidation_schema() -> pa.DataFrameSchema:
    nullable_inputs = {"invoice_id", "line_no", "provider_id", "beneficiary_id", "ogd", "act_code",
                       "service_date", "submission_date", "quantity", "unit_price"}
    columns = {}
    for name, dtype in LIQUIDATION_COLUMNS.items():
        nullable = name in nullable_inputs or name in {"tariff_price", "rate_percent", "reason", "funder"}
        columns[name] = pa.Column(dtype, nullable=nullable)
    for name in ("billed", "allowed_qty", "allowed", "payable", "copay", "disallowed"):
        columns[name] = pa.Column(pl.Int64, checks=pa.Check.ge(0), nullable=False)
    columns["row_id"] = pa.Column(pl.Int64, checks=pa.Check.ge(1), nullable=False, unique=True)
    columns["ogd"] = pa.Column(pl.String, checks=pa.Check.isin(list(OGDS)), nullable=True)
    columns["rate_percent"] = pa.Column(pl.Int64, checks=[pa.Check.ge(0), pa.Check.le(100)], nullable=True)
    columns["status"] = pa.Column(pl.String, checks=pa.Check.isin(list(STATUSES)), nullable=False)
    columns["funder"] = pa.Column(pl.String, checks=pa.Check.isin(list(FUNDERS)), nullable=True)
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name="liquidation")


LIQUIDATION_SCHEMA = _liquidation_schema()


def schema_problems(df: pl.DataFrame, schema: pa.DataFrameSchema, file: str) -> list[Problem]:
    """Every failure of `df` against `schema`, located by the frame's row_id when it has one."""
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        row_ids = df["row_id"] if "row_id" in df.columns else None
        problems = []
        for r in cases.iter_rows(named=True):
            index = r.get("index")
            row = int(row_ids[index]) if row_ids is not None and index is not None else None
            problems.append(Problem(file, f"contrôle « {r['check']} » non respecté",
                                    column=r.get("column"), row=row,
                                    value=None if r["failure_case"] is None else str(r["failure_case"]),
                                    code="schema_check_failed"))
        return problems
    return []
