"""Issue 11: the rejection notices of providers `A/B` and `A_B` no longer overwrite each other."""

from __future__ import annotations

import hashlib

from liq_helpers import line, liquidate_batch, prov


def test_notices_of_a_slash_b_and_a_underscore_b_are_two_files(write_batch, tariff_dir, tmp_path):
    # Before: both notices were written to rejections/A_B.html; the second replaced the first.
    run = liquidate_batch(write_batch, tariff_dir, tmp_path,
                          [line(provider_id="A/B", act_code="INCONNU"), line(provider_id="A_B", act_code="INCONNU")],
                          extra_providers=[prov("A/B", "CSCOM"), prov("A_B", "CSCOM")])
    assert [r["status"] for r in run] == ["REJECTED", "REJECTED"]
    hashed = "A_B-" + hashlib.sha256(b"A/B").hexdigest()[:8]          # sanitised: short hash of the id added
    notices = sorted(p.name for p in (run.out / "rejections").iterdir())
    assert notices == sorted([f"{hashed}.html", "A_B.html"])           # a safe id keeps its own name
    assert "A/B" in (run.out / "rejections" / f"{hashed}.html").read_text(encoding="utf-8")
    assert "A_B" in (run.out / "rejections" / "A_B.html").read_text(encoding="utf-8")
