"""Writing a sample table as Parquet, CSV (as officers type it) or XLSX, in chunks.

Parquet row groups of CHUNK_LINES rows (zstd); CSV in UTF-8 with a BOM, `;`,
dates DD/MM/YYYY and booleans oui/non, so Excel opens it right; XLSX through
the project's byte-stable writer. Columns starting with `_` are helpers
(the text of an unreadable date) and are never written as such.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ramu_cli.io.xlsx import write_xlsx
from ramu_cli.samples.options import CHUNK_LINES

_ARROW = {pl.String: pa.string(), pl.Int64: pa.int64(), pl.Date: pa.date32(), pl.Boolean: pa.bool_()}
UTF8_BOM = b"\xef\xbb\xbf"     # Excel then shows the accents right


def _arrow_schema(df: pl.DataFrame) -> pa.Schema:
    return pa.schema([(name, _ARROW[dtype.base_type()]) for name, dtype in df.schema.items()])


def csv_frame(df: pl.DataFrame) -> pl.DataFrame:
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


class TableWriter:
    """One output table written in one or more chunks, in the chosen format."""

    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt = path, fmt
        self._pq: pq.ParquetWriter | None = None
        self._csv: BinaryIO | None = None
        self._frames: list[pl.DataFrame] = []
        self.rows = 0

    def write(self, df: pl.DataFrame) -> None:
        self.rows += df.height
        plain = df.select([c for c in df.columns if not c.startswith("_")])
        if self.fmt == "parquet":
            schema = _arrow_schema(plain)
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.path, schema, compression="zstd")
            self._pq.write_table(plain.to_arrow().cast(schema), row_group_size=CHUNK_LINES)
        elif self.fmt == "csv":
            if self._csv is None:
                self._csv = self.path.open("wb")
                self._csv.write(UTF8_BOM)
                csv_frame(df).write_csv(self._csv, separator=";", include_header=True)
            else:
                csv_frame(df).write_csv(self._csv, separator=";", include_header=False)
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


def write_table(folder: Path, role: str, fmt: str, df: pl.DataFrame) -> Path:
    """A whole table in one go: `folder/role.fmt`."""
    path = folder / f"{role}.{fmt}"
    writer = TableWriter(path, fmt)
    writer.write(df)
    writer.close()
    return path
