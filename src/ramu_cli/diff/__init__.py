"""`ramu diff`: two liquidations of the same invoices compared line by line.

`sides` reads A and B (a `liquidate` folder or a liquidation table in Parquet,
CSV or XLSX) and refuses what cannot be compared; `compare` is the pure core
over LazyFrames; `report` writes diff.parquet, diff.xlsx and report.html.
"""
