"""Synthetic RAMU batches for demos, tests and benchmarks (`ramu samples`).

`write_sample_batch` writes the five files of a month's batch (beneficiaries,
providers, invoices, contributions, remittances) into a folder, as Parquet, CSV
or XLSX. The same seed and options give byte-identical files. The package
never prints: it returns a `SampleResult` that the command renders.

Where to look:

- `options.py`: what is asked (`SampleOptions`), what is reported (`SampleResult`), default sizes;
- `generate.py`: `write_sample_batch`, the order of the draws and the seed's streams;
- `faults.py`: the injected codes, their rates, and a table of where each one is made;
- `period.py`, `dates.py`, `draws.py`: the month as day numbers, date and drawing helpers;
- `beneficiaries.py`: the registry (families, rights, ids, anomalies) and its patient pools;
- `providers.py`: providers, conventions, bank details, and their pools;
- `acts.py`: the tariff folder as arrays, and the draw of each line's act (R05, R06, R07);
- `invoice_heads.py`: whole-invoice faults, providers, dates, patients, flags (R01–R04, R08, R10–R12);
- `invoice_lines.py`: line faults, quantities, prices (R09, R14, A01, A02);
- `invoices.py`: one chunk of lines as the `invoices` table;
- `contributions.py`: contributions and remittances;
- `writing.py`: Parquet, CSV and XLSX writers;
- `geography.py`, `care_patterns.py`: data (regions, names, banks; what providers bill).
"""

from __future__ import annotations

from ramu_cli.samples.beneficiaries import OGD_SHARES
from ramu_cli.samples.dates import parse_month
from ramu_cli.samples.faults import FAULT_CODES, INVOICE_FAULT_RATES, LINE_FAULT_RATES
from ramu_cli.samples.generate import write_sample_batch
from ramu_cli.samples.options import (
    CHUNK_LINES,
    FORMATS,
    MAX_BENEFICIARIES,
    XLSX_MAX_LINES,
    SampleOptions,
    SampleResult,
    default_beneficiaries,
    default_contributors,
    default_providers,
)

__all__ = [
    "CHUNK_LINES",
    "FAULT_CODES",
    "FORMATS",
    "INVOICE_FAULT_RATES",
    "LINE_FAULT_RATES",
    "MAX_BENEFICIARIES",
    "OGD_SHARES",
    "XLSX_MAX_LINES",
    "SampleOptions",
    "SampleResult",
    "default_beneficiaries",
    "default_contributors",
    "default_providers",
    "parse_month",
    "write_sample_batch",
]
