"""`ramu remittances`' core: contributions and transfers in, the remittance audit out.

input       strict reading: any bad row stops the audit (exit 3) with every bad row listed
core        obligations, FIFO chunks, lateness and penalties (pure, LazyFrames in)
invariants  the audit's own arithmetic, checked before anything is written
totals      the run's totals: one definition for the run, the report, the manifest, verify
outputs     the run folder: Parquet files, workbook, report, manifest

Kept empty of imports: `ramu_cli.remittances.totals` is read by `verify`
without loading the rest.
"""
