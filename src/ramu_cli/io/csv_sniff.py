"""What a CSV file is before polars reads it: encoding, line endings, separator, header.

The contract (data-contract.md, "Reading, for every input file"): a file that
is valid UTF-8 is UTF-8; a file with no valid UTF-8 multibyte sequence at all
is Windows-1252; a file that mixes both, or a BOM followed by invalid UTF-8,
is unusable, so that no name is silently garbled. Deciding that needs the
whole file: it is decoded in chunks of SNIFF_CHUNK bytes, strictly until a
byte is not UTF-8, then with such bytes kept as escapes (`surrogateescape`)
to look for a UTF-8 character further on. Each chunk costs one C-speed decode
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

# A character of a valid multibyte sequence: anything beyond ASCII but the
# escapes U+DC80..U+DCFF that `surrogateescape` makes of invalid bytes.
_MULTIBYTE_CHAR = re.compile("[^\x00-\x7f\udc80-\udcff]")
# The header is looked for in at most this many characters from the start.
HEAD_CHARS = 1 << 20


@dataclass(frozen=True)
class CsvDialect:
    encoding: str        # "utf-8" or "cp1252"
    separator: str       # "," or ";"
    cr_only: bool        # lines end with CR alone (old Mac, some Excel exports)
    header: list[str]    # the column names as written (BOM removed)


def _line_breaks(text: str | bytes, after_cr: bool) -> int:
    """Line ends in `text` (LF, CRLF or CR alone); `after_cr`: the text before ended with CR."""
    lf, cr, crlf = ("\n", "\r", "\r\n") if isinstance(text, str) else (b"\n", b"\r", b"\r\n")
    breaks = text.count(lf) + text.count(cr) - text.count(crlf)  # type: ignore[arg-type]
    return breaks - 1 if after_cr and text.startswith(lf) else breaks  # type: ignore[arg-type]


def _ends_first_line(text: str) -> bool:
    """The text holds the whole first line and what follows its end (to tell CR from CRLF)."""
    return "\n" in text or "\r" in text[:-1]


@dataclass
class _Scan:
    """Byte offsets of the first invalid byte and of the first multibyte character."""

    first_invalid: int | None = None
    first_multibyte: int | None = None
    head: str = ""  # the start of the file, through its first line end: header, line endings


def _scan(path: Path) -> _Scan:
    """Decode the whole file: strictly (C speed) until a byte is not UTF-8, then keeping
    such bytes as escapes, only to look for a UTF-8 character further on."""
    found = _Scan()
    strict = codecs.getincrementaldecoder("utf-8")()
    loose = None  # the decoder used once a byte is not UTF-8
    offset = 0  # bytes of the file before `chunk`
    with path.open("rb") as fh:
        while found.first_invalid is None or found.first_multibyte is None:
            chunk = fh.read(SNIFF_CHUNK)
            final = not chunk
            decoder = strict if loose is None else loose
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:  # only the strict decoder raises
                found.first_invalid = offset - len(pending) + exc.start
                loose = decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
                # Decode again from the bytes left pending by the last chunk.
                offset -= len(pending)
                chunk, pending = bytes(exc.object), b""
                text = decoder.decode(chunk, final=final)
            # Fewer characters than bytes: some character took several bytes.
            consumed = len(pending) + len(chunk) - len(decoder.getstate()[0])
            if found.first_multibyte is None and len(text) < consumed:
                m = _MULTIBYTE_CHAR.search(text)
                assert m is not None
                before = len(text[:m.start()].encode("utf-8", "surrogateescape"))
                found.first_multibyte = offset - len(pending) + before
            if len(found.head) < HEAD_CHARS and not _ends_first_line(found.head):
                found.head += text
            if final:
                break
            offset += len(chunk)
    return found


def _lines_at(path: Path, offsets: list[int]) -> list[int]:
    """The file line (from 1) of each byte offset; read again, only when a file is refused."""
    found: dict[int, int] = {}
    todo = sorted(set(offsets))
    breaks, after_cr, pos = 0, False, 0
    with path.open("rb") as fh:
        while todo:
            chunk = fh.read(SNIFF_CHUNK)
            while todo and (todo[0] < pos + len(chunk) or not chunk):
                at = todo.pop(0)
                found[at] = 1 + breaks + _line_breaks(chunk[:at - pos], after_cr)
            if not chunk:
                break
            breaks += _line_breaks(chunk, after_cr)
            after_cr = chunk.endswith(b"\r")
            pos += len(chunk)
    return [found[o] for o in offsets]


def _mixed_error(path: Path, scan: _Scan) -> InputError:
    assert scan.first_invalid is not None and scan.first_multibyte is not None
    bad, good = _lines_at(path, [scan.first_invalid, scan.first_multibyte])
    where = ("commence par une marque d'ordre des octets UTF-8 (BOM)" if scan.first_multibyte == 0
             and scan.head.startswith("\ufeff") else f"contient de l'UTF-8 (ligne {good})")
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
