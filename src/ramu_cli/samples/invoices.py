"""One chunk of invoice lines, as the `invoices` table has them.

`invoice_chunk` draws the invoices' headers (`invoice_heads.py`), then their
lines (`invoice_lines.py`), and writes the frame: made-up ids for unknown
beneficiaries (R01), empty ids and unreadable dates (R14).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ramu_cli.contract import OGDS
from ramu_cli.samples.batch import Batch
from ramu_cli.samples.beneficiaries import unknown_beneficiary_ids
from ramu_cli.samples.claims import claims_control
from ramu_cli.samples.dates import date_of, date_series
from ramu_cli.samples.invoice_heads import Heads, draw_heads
from ramu_cli.samples.invoice_lines import Lines, draw_lines, free_care_lines

# How officers write a date the contract cannot read (R14), CSV only.
BAD_DATE_STYLES = ("%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y")


@dataclass(frozen=True)
class Chunk:
    frame: pl.DataFrame            # the lines, plus `_bad_date` (text written in CSV for R14 dates)
    labels: np.ndarray             # fault label of each line
    invoices: int
    free_care_lines: int
    authorizations: pl.DataFrame   # the prior authorizations its lines cite (samples.claims)


def invoice_chunk(batch: Batch, rng: np.random.Generator, n_lines: int, first_seq: int) -> Chunk:
    """n_lines invoice lines, invoices numbered after `first_seq`."""
    heads = draw_heads(batch, rng, n_lines)
    lines = draw_lines(batch, rng, heads, n_lines)
    free = free_care_lines(batch.acts, lines)
    frame = _frame(batch, rng, heads, lines, first_seq)
    tariff_price = batch.acts.price[lines.ka, lines.lv, lines.t]
    lines_frame, labels, auths = claims_control(batch, rng, frame.drop("_bad_date"), lines.label,
                                                heads.ben[lines.inv], lines.lv, tariff_price)
    frame = lines_frame.with_columns(frame["_bad_date"])
    return Chunk(frame=frame, labels=labels, invoices=heads.label.size, free_care_lines=free,
                 authorizations=auths)


def _frame(batch: Batch, rng: np.random.Generator, heads: Heads, lines: Lines, first_seq: int) -> pl.DataFrame:
    inv, acts, month = lines.inv, batch.acts, batch.period.month
    seq = first_seq + inv + 1
    yymm = month[2:4] + month[5:7]
    service_line = heads.service[inv]
    frame = pl.DataFrame({
        "invoice_id": f"F{yymm}-" + pl.Series(seq).cast(pl.String).str.zfill(7),
        "line_no": lines.line_no.astype(np.int64),
        "provider_id": batch.providers.ids.gather(heads.prov[inv]),
        "beneficiary_id": _beneficiary_ids(batch, rng, heads, lines),
        "ogd": pl.Series(list(OGDS)).gather(heads.invoice_ogd[inv]),
        "service_date": date_series(service_line, lines.bad_date),
        "submission_date": date_series(heads.submission[inv]),
        "act_code": pl.concat([pl.Series(acts.codes), pl.Series(acts.unknown)]).gather(lines.act),
        "quantity": lines.qty.astype(np.int64),
        "unit_price": lines.unit.astype(np.int64),
        "referral": heads.referral[inv],
        "emergency": heads.emergency[inv],
    })
    return frame.with_columns(_bad_date_text(rng, service_line, lines.bad_date))


def _beneficiary_ids(batch: Batch, rng: np.random.Generator, heads: Heads, lines: Lines) -> pl.Series:
    """The registry's ids; R01: ids in the same format that nobody holds; R14: some left empty."""
    patients = batch.patients
    ben_ids = patients.ids.gather(np.maximum(heads.ben, 0))
    unknown_inv = np.flatnonzero(~heads.known_ben)
    if unknown_inv.size:
        ghosts = unknown_beneficiary_ids(rng, unknown_inv.size, patients.serials, heads.region[unknown_inv], 3)
        ben_ids = ben_ids.scatter(unknown_inv, ghosts)
    ben_ids = ben_ids.gather(lines.inv)
    if lines.empty_ben.any():
        ben_ids = ben_ids.scatter(np.flatnonzero(lines.empty_ben), None)
    return ben_ids


def _bad_date_text(rng: np.random.Generator, service: np.ndarray, bad_date: np.ndarray) -> pl.Series:
    """What an officer would have typed where the date is unreadable (CSV only)."""
    bad_text = pl.Series("_bad_date", [None] * service.size, pl.String)
    if bad_date.any():
        style = rng.integers(0, len(BAD_DATE_STYLES), int(bad_date.sum()))
        texts = [date_of(d).strftime(BAD_DATE_STYLES[int(v)]) for d, v in zip(service[bad_date], style, strict=True)]
        bad_text = bad_text.scatter(np.flatnonzero(bad_date), texts)
    return bad_text
