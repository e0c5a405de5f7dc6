"""What `ramu samples` is asked for (`SampleOptions`), what it reports back
(`SampleResult`), and the default sizes of a batch of N invoice lines."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("parquet", "csv", "xlsx")
CHUNK_LINES = 1_000_000          # invoice lines generated and written at a time
XLSX_MAX_LINES = 200_000         # XLSX is for small batches only
MAX_BENEFICIARIES = 1_000_000    # default ceiling (an explicit --beneficiaries may exceed it)


@dataclass(frozen=True)
class SampleOptions:
    month: str                      # YYYY-MM
    invoices: int = 5000
    seed: int = 0
    fmt: str = "parquet"
    beneficiaries: int | None = None
    providers: int | None = None
    contributors: int | None = None
    abusers: bool = True            # plant abusive providers and beneficiaries (samples.abuse) for the signals


@dataclass
class SampleResult:
    month: str
    seed: int
    fmt: str
    files: dict[str, Path]                       # role -> path inside the folder written
    rows: dict[str, int]                         # role -> data rows
    invoices: int = 0                            # distinct invoices
    faults: dict[str, int] = field(default_factory=dict)   # code -> lines injected
    free_care_lines: int = 0
    registry_anomalies: int = 0
    providers_out_of_convention: int = 0
    closed_rights: int = 0

    @property
    def faulty_lines(self) -> int:
        return sum(self.faults.values())


def default_beneficiaries(invoices: int) -> int:
    return int(min(MAX_BENEFICIARIES, max(500, invoices // 2)))


def default_providers(invoices: int) -> int:
    """About 2 000 at national scale (10 million lines), fewer for small batches (≥ 40)."""
    return int(min(2000, max(40, round(2000 * math.sqrt(invoices / 10_000_000)))))


def default_contributors(invoices: int) -> int:
    return int(min(20_000, max(200, invoices // 1000)))
