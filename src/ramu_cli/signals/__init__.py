"""Signals: providers and beneficiaries whose month stands out (cli-contract, version 2).

`compute_signals` (core) reads the liquidation's lines and returns the signals
frame; `write_signals_csv` and `render_signals_section` turn it into
`signals.csv` and the report's "Signaux à examiner" section. Thresholds come
from the optional `[signals]` keys of policy.toml (`thresholds_from_policy`).
"""

from ramu_cli.signals.core import SIGNAL_SCHEMA, compute_signals, with_max_qty
from ramu_cli.signals.thresholds import SignalThresholds, thresholds_from_policy

__all__ = ["SIGNAL_SCHEMA", "SignalThresholds", "compute_signals", "thresholds_from_policy", "with_max_qty"]
