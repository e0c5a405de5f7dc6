"""What a CSV file is before polars reads it: encoding, line endings, separator, header.

The contract (data-contract.md, "Reading, for every input file"): a file that
is valid UTF-8 is UTF-8; a file with no valid UTF-8 multibyte sequence at all
is Windows-1252; a file that mixes both, or a BOM followed by invalid UTF-8,
is unusable, so that no name is silently garbled. Deciding that needs the
whole file: it is decoded in chunks of SNIFF_CHUNK bytes, invalid bytes kept
as lone surrogates (`surrogateescape`), so each chunk costs one C-speed decode
and the memory stays flat however large the file.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ramu_cli.errors import InputError, Problem

# Bytes decoded at a time (a module constant so tests can force many chunks).
SNIFF_CHUNK = 1 << 20

# An invalid byte comes back from `surrogateescape` as U+DC80..U+DCFF.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# A character of a valid multibyte sequence: anything beyond ASCII but those.
_MULTIBYTE_CHAR = re.compile("[^\x00-\x7f\udc80-\udcff]")
# The header is looked for in at most this many characters from the start.
HEAD_CHARS = 1 << 20


@dataclass(frozen=True)
class CsvDialect:
    encoding: str        # "utf-8" or "cp1252"
    separator: str       # "," or ";"
    cr_only: bool        # lines end with CR alone (old Mac, some Excel exports)
    header: list[str]    # the column names as written (BOM removed)


def _line_breaks(text: str, after_cr: bool) -> int:
    """Line ends in `text` (LF, CRLF or CR alone); `after_cr`: the text before ended with CR."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks - 1 if after_cr and text.startswith("\n") else breaks


def _ends_first_line(text: str) -> bool:
    """The text holds the whole first line and what follows its end (to tell CR from CRLF)."""
    return "\n" in text or "\r" in text[:-1]


@dataclass
class _Scan:
    """Where (file line, from 1) the first invalid byte and the first multibyte character are."""

    first_invalid: int | None = None
    first_multibyte: int | None = None
    head: str = ""  # the start of the file, through its first line end: header, line endings


def _scan(path: Path) -> _Scan:
    found = _Scan()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    line, after_cr = 1, False
    with path.open("rb") as fh:
        while found.first_invalid is None or found.first_multibyte is None:
            chunk = fh.read(SNIFF_CHUNK)
            pending = len(decoder.getstate()[0])
            text = decoder.decode(chunk, final=not chunk)
            if len(found.head) < HEAD_CHARS and not _ends_first_line(found.head):
                found.head += text
            if not text.isascii():
                consumed = pending + len(chunk) - len(decoder.getstate()[0])
                if found.first_invalid is None and (m := _ESCAPED_BYTE.search(text)):
                    found.first_invalid = line + _line_breaks(text[:m.start()], after_cr)
                # Fewer characters than bytes: some character took several bytes.
                if found.first_multibyte is None and len(text) < consumed:
                    m = _MULTIBYTE_CHAR.search(text)
                    assert m is not None
                    found.first_multibyte = line + _line_breaks(text[:m.start()], after_cr)
            if not chunk:
                break
            line += _line_breaks(text, after_cr)
            after_cr = text.endswith("\r") if text else after_cr
    return found


def _mixed_error(path: Path, scan: _Scan) -> InputError:
    bad, good = scan.first_invalid, scan.first_multibyte
    where = ("commence par une marque d'ordre des octets UTF-8 (BOM)" if good == 1 and
             scan.head.startswith("\ufeff") else f"contient de l'UTF-8 (ligne {good})")
    message = (f"{path} : encodage mélangé. Le fichier {where} mais la ligne {bad} contient un "
               "caractère qui n'est pas de l'UTF-8 (probablement du Windows-1252) : les noms "
               "accentués seraient déformés. Enregistrez le fichier entier dans un seul encodage "
               "(« CSV UTF-8 » dans Excel), puis relancez.")
    return InputError(message, [Problem(str(path), "encodage mélangé : caractère non UTF-8 dans un "
                                        "fichier UTF-8", row=bad, code="mixed_encoding")])


def _header_line(head: str) -> str:
    text = head.lstrip("\ufeff")
    ends = [i for i in (text.find("\r"), text.find("\n")) if i >= 0]
    return text[:min(ends)] if ends else text


def sniff_csv(path: Path) -> CsvDialect:
    """Encoding (whole file), line endings, separator and header of a CSV file."""
    scan = _scan(path)
    if scan.first_invalid is not None and scan.first_multibyte is not None:
        raise _mixed_error(path, scan)
    encoding = "utf-8" if scan.first_invalid is None else "cp1252"
    head = scan.head
    if encoding == "cp1252":  # the escapes back to bytes, then Windows-1252 (latin-1 for 5 bytes)
        head = head.encode("utf-8", "surrogateescape").decode("cp1252", errors=LATIN1_FALLBACK)
    header_line = _header_line(head)
    separator = ";" if header_line.count(";") > header_line.count(",") else ","
    first_cr, first_lf = head.find("\r"), head.find("\n")
    cr_only = first_cr >= 0 and (first_lf < 0 or first_cr < first_lf) and head[first_cr + 1:first_cr + 2] != "\n"
    header = next(csv.reader([header_line], delimiter=separator), []) if header_line else []
    return CsvDialect(encoding, separator, cr_only, header)


def _latin1_for_undefined(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


# cp1252 leaves five bytes undefined; latin-1 maps them, so a file that uses
# them still reads instead of failing. Only those bytes fall back to latin-1:
# the rest stays Windows-1252 (œ, ’, € …).
LATIN1_FALLBACK = "ramu-cp1252-latin1"
codecs.register_error(LATIN1_FALLBACK, _latin1_for_undefined)


def copy_as_utf8_lf(path: Path, dialect: CsvDialect, target: Path) -> Path:
    """Stream `path` into a UTF-8 copy polars can scan: transcoded, CR line ends made LF."""
    decoder = codecs.getincrementaldecoder(dialect.encoding)(
        errors=LATIN1_FALLBACK if dialect.encoding == "cp1252" else "strict")
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while True:
            data = src.read(1 << 22)
            text = decoder.decode(data, final=not data)
            dst.write(text.replace("\r", "\n") if dialect.cr_only else text)
            if not data:
                break
    return target
