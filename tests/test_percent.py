"""share_percent: one decimal, half up, on integers — the same on ints and in polars."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from ramu_cli.percent import share_percent


def test_hand_computed_shares():
    # 875/1000 = 87.5 % exactly; 2/3 = 66.666… → 66.7; 1/16 = 6.25 → half up 6.3; 1/3 → 33.3.
    assert share_percent(875, 1000) == 87.5
    assert share_percent(2, 3) == 66.7
    assert share_percent(1, 16) == 6.3
    assert share_percent(1, 3) == 33.3
    assert share_percent(0, 5) == 0.0
    assert share_percent(7, 0) is None


@given(st.lists(st.tuples(st.integers(0, 10**12), st.integers(0, 10**12)), min_size=1, max_size=30))
def test_expression_agrees_with_integers(pairs):
    df = pl.DataFrame(pairs, schema={"part": pl.Int64, "whole": pl.Int64}, orient="row")
    got = df.select(share_percent(pl.col("part"), pl.col("whole")).alias("s"))["s"].to_list()
    # polars may store 3.8000000000000003 where Python computes 3.8: the same one-decimal figure.
    assert [None if g is None else round(g, 1) for g in got] == [share_percent(p, w) for p, w in pairs]
