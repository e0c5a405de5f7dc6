"""Each side's digest, and the refusals of what cannot be compared without guessing.

One streamed pass per side reads its digest: per line the file row, row_id,
key, status, payable, whether it is an R14 rejection, whether a cell is
unreadable, a 64-bit hash of the key and one of every compared column. The pairing runs on
these narrow frames; only the lines that differ are read again in full. The
checks run on the digests too (exit 3, nothing written):
- an unreadable or empty required cell (status, payable) or an unreadable
  value in any other column: a diff does not guess what a cell meant;
- a line key held by two lines that are not R14 rejections (`liquidate` keeps
  a repeated invoice line and rejects every copy after the first with R14:
  those copies are paired like lines with an incomplete key);
- when both sides have row_id (it pairs lines whose key is incomplete), a
  row_id twice on one side.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.diff.sides import FILE_ROW, KEY, Side
from ramu_cli.errors import InputError, Problem

MAX_PROBLEMS = 200   # listed in the error; the message says how many there are in all
HASH_SEED = 20261031  # any fixed seed: both sides are hashed alike within one run


def _r14(present: frozenset[str]) -> pl.Expr:
    """A line rejected as unreadable or invalid (R14), as far as the side's columns say."""
    rejected = pl.col("status") == "REJECTED"
    if "reasons" in present:
        return rejected & pl.col("reasons").list.contains("R14")
    if "reason" in present:
        return rejected & (pl.col("reason") == "R14")
    return pl.lit(False)


def digest(side: Side, compared: tuple[str, ...]) -> pl.LazyFrame:
    """The side's lines, narrow: what pairing, checks and totals need, and hashes of the key and compared columns."""
    def opt(name: str, dtype: pl.DataType) -> pl.Expr:
        return (pl.col(name) if name in side.columns else pl.lit(None, dtype)).alias(name)
    return side.lines.select(
        FILE_ROW, opt("row_id", pl.Int64()), *KEY, "status", "payable",
        _r14(side.columns).alias("r14"), "cell_fault",
        pl.struct(list(KEY)).hash(HASH_SEED).alias("key_hash"),
        pl.struct(list(compared)).hash(HASH_SEED).alias("digest"))


def _cell_problems(side: Side) -> tuple[list[Problem], int]:
    """Unreadable or missing cells: (the first MAX_PROBLEMS, how many in all)."""
    df = side.scan.problems().collect()
    problems = [Problem(str(side.path), f"{r['message']} — côté {side.name}", column=r["column"],
                        row=r[FILE_ROW], value=r["value"],
                        code="missing_value" if r["value"] is None else "unreadable_value")
                for r in df.head(MAX_PROBLEMS).iter_rows(named=True)]
    return problems, df.height


def _repeated(lines: pl.DataFrame, column: str) -> pl.Expr:
    """Lines whose (non-null) value of `column` another line has too.

    Found by sorting (several times faster than `is_duplicated` on millions of lines).
    """
    values = lines.get_column(column).drop_nulls().sort()
    twice = values.filter(values == values.shift(1)).unique()
    return pl.col(column).is_in(twice.implode())


def _repeats(lines: pl.DataFrame, by: list[str], candidates: pl.Expr, extra: list[str]) -> pl.DataFrame:
    """Values of `by` held by more than one line, with those lines' file rows and `extra`.

    Only the `candidates` (the few lines whose value, or its hash, repeats) are
    grouped: grouping or even copying every line would cost much more.
    """
    return (lines.filter(candidates).group_by(by).agg(pl.col(FILE_ROW), *[pl.col(c) for c in extra])
            .filter(pl.col(FILE_ROW).list.len() > 1)
            .sort(pl.col(FILE_ROW).list.min()))


def _key_problem(side: Side, r: dict, rows: list[int], second: int) -> Problem:
    listed = ", ".join(str(x) for x in rows)
    key = f"{r['provider_id']} / {r['invoice_id']} / {r['line_no']}"
    return Problem(
        str(side.path), f"la ligne de facture (prestataire {r['provider_id']}, facture {r['invoice_id']}, "
        f"ligne {r['line_no']}) figure {len(rows)} fois, lignes {listed} du fichier — côté {side.name}. "
        "Une liquidation n'a qu'une ligne par clé (les copies d'une clé y sont rejetées R14) : retirez les "
        "lignes en double", column=", ".join(KEY), row=second, value=key, code="duplicate_key")


def _keyed(side: Side, lines: pl.DataFrame) -> tuple[pl.Series, list[Problem]]:
    """Whether each line is paired on its key; the repeated keys that are errors."""
    complete_expr = pl.all_horizontal([pl.col(k).is_not_null() for k in KEY])
    complete = lines.select(complete_expr).to_series()
    groups = _repeats(lines, list(KEY), complete_expr & _repeated(lines, "key_hash"), ["r14"])
    keyless: list[int] = []
    problems: list[Problem] = []
    for r in groups.iter_rows(named=True):
        rows = sorted(zip(r[FILE_ROW], r["r14"], strict=True))
        valid = [row for row, r14 in rows if not r14]
        if len(valid) > 1:
            problems.append(_key_problem(side, r, [x for x, _ in rows], valid[1]))
            continue
        # The key stays with the first line that is not an R14 rejection (or the first line).
        holder = valid[0] if valid else rows[0][0]
        keyless += [row for row, _ in rows if row != holder]
    if keyless:
        complete = complete & ~lines[FILE_ROW].is_in(pl.Series(keyless, dtype=pl.Int64).implode())
    return complete.alias("keyed"), problems


def _row_id_problems(side: Side, lines: pl.DataFrame) -> list[Problem]:
    repeated = _repeats(lines, ["row_id"], _repeated(lines, "row_id"), [])
    problems = []
    for r in repeated.head(MAX_PROBLEMS).iter_rows(named=True):
        rows = sorted(r[FILE_ROW])
        problems.append(Problem(
            str(side.path), f"row_id {r['row_id']} figure {len(rows)} fois, lignes "
            f"{', '.join(str(x) for x in rows)} du fichier — côté {side.name} ; il sert à apparier les lignes "
            "dont la clé est incomplète : corrigez-le ou retirez la colonne row_id",
            column="row_id", row=rows[1], value=str(r["row_id"]), code="duplicate_row_id"))
    return problems


def checked_digests(a: Side, b: Side, compared: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both sides' digests (one streamed pass each) with `keyed`; exit 3 on what cannot be compared."""
    digests = pl.collect_all([digest(a, compared), digest(b, compared)], engine="streaming")
    problems: list[Problem] = []
    said: list[str] = []
    out = []
    for side, lines in zip((a, b), digests, strict=True):
        if lines["cell_fault"].any():
            cells, n = _cell_problems(side)
            problems += cells
            said.append(f"{n} cellule(s) illisible(s) ou vide(s) dans {side.path} (côté {side.name})")
            continue  # keys cannot be trusted until the cells read
        keyed, dups = _keyed(side, lines)
        if a.has_row_id and b.has_row_id:
            dups += _row_id_problems(side, lines)
        if dups:
            said.append(f"{len(dups)} doublon(s) dans {side.path} (côté {side.name})")
            problems += dups[:MAX_PROBLEMS]
        out.append(lines.drop("cell_fault").with_columns(keyed))
    if problems:
        raise InputError("Comparaison impossible : " + " ; ".join(said) + ". Corrigez le fichier indiqué "
                         "(ligne et colonne ci-dessous), puis relancez « ramu diff ».", problems)
    return out[0], out[1]
