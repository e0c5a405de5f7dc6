"""What a spreadsheet cell written by ramu may start with, and the workbooks' fixed time.

Shared by the CSV writer (writers.py) and the XLSX writer (xlsx.py): both
import it, neither imports the other.
"""

from __future__ import annotations

from datetime import datetime

# Fixed workbook creation time: without it XLSX bytes change on every run.
XLSX_CREATED = datetime(2000, 1, 1)
# Cells starting with these are formulas to Excel: a leading quote keeps them text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The same as a regex anchored at the start of a cell, for polars' str.contains/replace.
FORMULA_START = "^[" + "".join(f"\\x{{{ord(ch):X}}}" for ch in FORMULA_STARTS) + "]"
