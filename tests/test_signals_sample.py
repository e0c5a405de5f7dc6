"""Abusers planted in a generated sample are found by the right indicator after a real liquidation.

`ramu samples` writes a 20 000-line batch; `plant_abusers` rewrites a few
providers' and beneficiaries' lines; the real `ramu liquidate` liquidates it;
the signals read its liquidation.parquet, with the invoices' emergency flag
(joined by row_id), the providers' level and the acts' max_qty.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from liq_helpers import explain, invoke
from ramu_cli.contract import INVOICES
from ramu_cli.io.readers import scan_table
from ramu_cli.samples.abuse import PLANTED_VISITS, plant_abusers
from ramu_cli.signals import compute_signals, with_max_qty
from ramu_cli.tariffs import default_tariff_folder, load_tariffs

SEED = 0
KEYS = ["invoice_id", "line_no", "provider_id", "service_date", "submission_date"]


@pytest.fixture(scope="module")
def acts() -> pl.DataFrame:
    return load_tariffs(default_tariff_folder()).acts


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory, acts):
    base = tmp_path_factory.mktemp("signals")
    batch = base / "2026-10"
    result = invoke(["samples", batch, "--month", "2026-10", "--invoices", 20_000, "--seed", SEED, "--no-abusers"])
    assert result.exit_code == 0, explain(result)
    original = pl.read_parquet(batch / "invoices.parquet")
    providers = pl.read_parquet(batch / "providers.parquet")
    invoices, planted = plant_abusers(original, providers, acts, np.random.default_rng([SEED, 11]))
    invoices.write_parquet(batch / "invoices.parquet")
    result = invoke(["liquidate", batch, "--out", base / "run", "--month", "2026-10"])
    assert result.exit_code == 0, explain(result)
    return {"batch": batch, "run": base / "run", "original": original, "invoices": invoices,
            "providers": providers, "planted": planted}


@pytest.fixture(scope="module")
def signals(planted_run, acts) -> pl.DataFrame:
    flags = scan_table(planted_run["batch"] / "invoices.parquet", INVOICES).typed().select("row_id", "emergency")
    lines = (pl.scan_parquet(planted_run["run"] / "liquidation.parquet")
             .join(flags, on="row_id", how="left", maintain_order="left")
             .join(planted_run["providers"].lazy().select("provider_id", "level"), on="provider_id", how="left",
                   maintain_order="left"))
    return compute_signals(with_max_qty(lines, acts)).collect()


def test_every_abuse_was_planted(planted_run):
    planted = planted_run["planted"]
    assert sorted(planted.providers) == ["lines_per_beneficiary", "share_at_max_qty", "share_emergency"]
    assert len(set(planted.providers.values())) == 3
    assert len(planted.beneficiaries) == 3


@pytest.mark.parametrize("indicator", ["share_at_max_qty", "lines_per_beneficiary", "share_emergency"])
def test_planted_provider_flagged_by_its_indicator(planted_run, signals, indicator):
    provider = planted_run["planted"].providers[indicator]
    mine = signals.filter((pl.col("kind") == "provider") & (pl.col("id") == provider))
    assert indicator in mine["indicator"].to_list(), mine
    row = mine.filter(pl.col("indicator") == indicator).row(0, named=True)
    assert row["robust_z"] > 3.5 and row["peers"] >= 5 and row["value"] > row["peer_median"]


def test_planted_beneficiaries_flagged_for_their_providers(planted_run, signals):
    flagged = signals.filter(pl.col("indicator") == "distinct_providers")
    values = dict(zip(flagged["id"].to_list(), flagged["value"].to_list(), strict=True))
    for bid in planted_run["planted"].beneficiaries:
        assert values.get(bid, 0) >= PLANTED_VISITS, bid


def test_planting_keeps_rows_keys_and_dates(planted_run):
    before, after = planted_run["original"], planted_run["invoices"]
    assert after.columns == before.columns and after.height == before.height == 20_000
    assert after.select(KEYS).equals(before.select(KEYS))


def test_planting_touches_only_the_planted(planted_run):
    before, after, planted = planted_run["original"], planted_run["invoices"], planted_run["planted"]
    changed = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_old")) for c in before.columns])
    diff = after.with_row_index().join(before.with_row_index(), on="index", suffix="_old").filter(changed)
    assert diff.height > 0
    ok = (pl.col("provider_id").is_in(list(planted.providers.values()))
          | pl.col("beneficiary_id").is_in(planted.beneficiaries))
    assert diff.filter(~ok).is_empty()


def test_max_qty_provider_bills_every_line_at_the_max(planted_run, acts):
    provider = planted_run["planted"].providers["share_at_max_qty"]
    lines = with_max_qty(planted_run["invoices"].lazy().filter(pl.col("provider_id") == provider), acts).collect()
    capped = lines.filter(pl.col("max_qty").is_not_null() & (pl.col("quantity") >= 1))
    assert capped.height > 0 and (capped["quantity"] == capped["max_qty"]).all()


def test_emergency_provider_sends_a_third(planted_run):
    provider = planted_run["planted"].providers["share_emergency"]
    own = planted_run["invoices"].filter(pl.col("provider_id") == provider)
    assert own["emergency"].sum() >= own.height / 3


def test_planting_is_deterministic(planted_run, acts):
    again, planted = plant_abusers(planted_run["original"], planted_run["providers"], acts,
                                   np.random.default_rng([SEED, 11]))
    assert again.equals(planted_run["invoices"]) and planted == planted_run["planted"]


def test_same_providers_in_another_chunk(planted_run, acts):
    # A batch written in chunks plants the same providers in each: pass the first call's choice.
    first = planted_run["planted"].providers
    _, again = plant_abusers(planted_run["original"], planted_run["providers"], acts,
                             np.random.default_rng([SEED, 12]), chosen=first)
    assert again.providers == first


def test_nothing_planted_where_no_level_has_peers(planted_run, acts):
    # 100 lines: no provider reaches 40 lines, so no provider abuse can be planted.
    head = planted_run["original"].head(100)
    out, planted = plant_abusers(head, planted_run["providers"], acts, np.random.default_rng([SEED, 11]))
    assert planted.providers == {} and out.height == 100
    assert out.select(KEYS).equals(head.select(KEYS))
