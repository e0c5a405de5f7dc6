"""Everything the invoice draws read: the month, the tariff arrays, the registry, the providers."""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from ramu_cli.samples.acts import Acts
from ramu_cli.samples.beneficiaries import Patients
from ramu_cli.samples.period import Period
from ramu_cli.samples.providers import Providers


@dataclass(frozen=True)
class Batch:
    period: Period
    acts: Acts
    patients: Patients
    providers: Providers
    act_rules: pl.DataFrame        # the tariff folder's acts table (R15–R18, A03: samples.claims)

    def chunk(self, part: int, parts: int) -> Batch:
        """The batch as chunk `part` of `parts` sees it: its own share of the beneficiaries.

        Accidental duplicates (same beneficiary, provider, act and day) are removed
        within a chunk; giving each person to one chunk keeps them out across chunks.
        """
        if parts == 1:
            return self
        return replace(self, patients=self.patients.share(part, parts))
