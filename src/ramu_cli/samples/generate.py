"""`write_sample_batch`: the six files of a synthetic month, from one seed.

Each part draws from its own numpy Generator seeded by (seed, part), so the
same options give byte-identical files: acts' popularity (seed, 5), registry
(seed, 1), providers (seed, 2), contributions and remittances (seed, 3),
invoice chunk k (seed, 7, k), the abusers planted in chunk k (seed, 11, k;
samples.abuse, unless SampleOptions.abusers is False). Invoice lines are made
and written CHUNK_LINES at a time, so ten million lines stream through a
bounded amount of memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from ramu_cli.errors import InputError
from ramu_cli.samples.abuse import plant_into_chunk
from ramu_cli.samples.acts import Acts
from ramu_cli.samples.batch import Batch
from ramu_cli.samples.beneficiaries import draw_registry
from ramu_cli.samples.contributions import draw_contributions
from ramu_cli.samples.faults import FAULT_CODES, LABEL, LABELS
from ramu_cli.samples.invoices import invoice_chunk
from ramu_cli.samples.options import (
    CHUNK_LINES,
    FORMATS,
    SampleOptions,
    SampleResult,
    default_beneficiaries,
    default_contributors,
    default_providers,
)
from ramu_cli.samples.period import period_of
from ramu_cli.samples.providers import draw_providers
from ramu_cli.samples.writing import TableWriter, write_table
from ramu_cli.tariffs import Tariffs

# Streams of the seed, one per part (see the module's docstring).
REGISTRY, PROVIDERS, CONTRIBUTIONS, ACTS, INVOICES, ABUSE = 1, 2, 3, 5, 7, 11

Progress = Callable[[int, int], None]


def write_sample_batch(folder: Path, options: SampleOptions, tariffs: Tariffs,
                       on_progress: Progress | None = None) -> SampleResult:
    """Write the five files of a synthetic batch into `folder` (which must exist)."""
    if options.fmt not in FORMATS:
        raise ValueError(f"format inconnu : {options.fmt}")
    seed, fmt, n_lines = options.seed, options.fmt, options.invoices
    period = period_of(options.month, tariffs.policy)
    acts = Acts(tariffs, period.window_start, period.last_day + 40, np.random.default_rng([seed, ACTS]))
    m0, m1 = period.first_day - period.window_start, period.last_day - period.window_start
    if not acts.priced[:, :, m0:m1 + 1].all(axis=2).any():
        raise InputError(f"Dossier des tarifs « {tariffs.folder} » : aucun acte n'a de prix valide "
                         f"pendant tout le mois {options.month} ; impossible de générer des factures.")
    beneficiaries, patients = draw_registry(np.random.default_rng([seed, REGISTRY]),
                                            options.beneficiaries or default_beneficiaries(n_lines), period)
    providers, provider_pools = draw_providers(np.random.default_rng([seed, PROVIDERS]),
                                               options.providers or default_providers(n_lines), period)
    contributions, remittances = draw_contributions(np.random.default_rng([seed, CONTRIBUTIONS]),
                                                    options.contributors or default_contributors(n_lines), period)
    batch = Batch(period=period, acts=acts, patients=patients, providers=provider_pools,
                  act_rules=tariffs.acts)
    if patients.clean.size == 0 or provider_pools.clean[0].size == 0:
        raise InputError("Registre ou liste de prestataires trop petits pour générer des factures : "
                         "augmentez --beneficiaries ou --providers.")

    files = {"beneficiaries": write_table(folder, "beneficiaries", fmt, beneficiaries),
             "providers": write_table(folder, "providers", fmt, providers)}
    planter = (lambda frame, labels, k, chosen: plant_into_chunk(
        frame, labels, providers, tariffs.acts, np.random.default_rng([seed, ABUSE, k]), chosen)
               ) if options.abusers else None
    invoices = _write_invoices(folder / f"invoices.{fmt}", fmt, batch, seed, n_lines, on_progress, planter)
    files["invoices"] = invoices.path
    files["authorizations"] = write_table(folder, "authorizations", fmt, invoices.authorizations())
    files["contributions"] = write_table(folder, "contributions", fmt, contributions)
    files["remittances"] = write_table(folder, "remittances", fmt, remittances)
    return SampleResult(
        month=options.month, seed=seed, fmt=fmt, files=files,
        rows={"beneficiaries": beneficiaries.height, "providers": providers.height,
              "invoices": n_lines, "contributions": contributions.height,
              "remittances": remittances.height,
              "authorizations": invoices.authorization_rows},
        invoices=invoices.invoices,
        faults={code: int(invoices.counts[LABEL[code]]) for code in FAULT_CODES},
        free_care_lines=invoices.free_care_lines, registry_anomalies=patients.anomaly_rows,
        providers_out_of_convention=int(provider_pools.out.size), closed_rights=patients.closed)


class _InvoiceTotals:
    """What the invoice chunks add up to: lines by fault label, invoices, free-care lines."""

    def __init__(self, path: Path):
        self.path = path
        self.counts = np.zeros(len(LABELS), np.int64)
        self.invoices = 0
        self.free_care_lines = 0
        self.parts: list[pl.DataFrame] = []     # authorization rows, chunk by chunk

    @property
    def authorization_rows(self) -> int:
        return sum(p.height for p in self.parts)

    def authorizations(self) -> pl.DataFrame:
        return pl.concat(self.parts)


def _write_invoices(path: Path, fmt: str, batch: Batch, seed: int, n_lines: int,
                    on_progress: Progress | None, planter: Callable | None = None) -> _InvoiceTotals:
    """Draw and write the invoice lines CHUNK_LINES at a time, each chunk from its own stream;
    `planter` plants the abusers (the same providers in every chunk)."""
    writer = TableWriter(path, fmt)
    totals = _InvoiceTotals(path)
    done, chunk_no = 0, 0
    chosen: dict[str, str] | None = None
    parts = -(-n_lines // CHUNK_LINES)
    while done < n_lines:
        n = min(CHUNK_LINES, n_lines - done)
        chunk = invoice_chunk(batch.chunk(chunk_no, parts), np.random.default_rng([seed, INVOICES, chunk_no]),
                              n, totals.invoices)
        frame = chunk.frame
        if planter is not None:
            frame, chosen = planter(frame, chunk.labels, chunk_no, chosen)
        writer.write(frame)
        totals.counts += np.bincount(chunk.labels, minlength=len(LABELS))
        totals.invoices += chunk.invoices
        totals.free_care_lines += chunk.free_care_lines
        totals.parts.append(chunk.authorizations)
        del chunk
        done += n
        chunk_no += 1
        if on_progress is not None:
            on_progress(done, n_lines)
    writer.close()
    return totals
