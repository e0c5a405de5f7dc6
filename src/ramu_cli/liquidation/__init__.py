"""`ramu liquidate`'s core: invoice lines in, one decision per line, payment orders.

registry  usable beneficiaries and providers, and the registry anomalies
lookups   each line joined to B, V, A, price and coverage at its service date
pipeline  duplicate flags → lookups → every code (rules/) → amounts → result
codes     each line's codes as a list, from a bit mask
amounts   tariff_price … funder, in whole francs
orders    payment orders per (ogd, provider, funder)
totals    the run's totals: one definition for the run, invariants, report, manifest, verify
invariants  what must hold before anything is written
outputs   the run folder: liquidation.parquet, documents, manifest

Kept empty of imports: `ramu_cli.liquidation.totals` is read by `verify`
without loading the pipeline.
"""
