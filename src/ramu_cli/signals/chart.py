"""An inline SVG chart for one indicator: each flagged provider's value, its peers' median beside it.

No script, no network, byte-stable (coordinates with one decimal). Texts come
already formatted (ramu_cli.french) and are escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = 'font-family="DejaVu Sans, Arial, Helvetica, sans-serif"'
VALUE_COLOR, MEDIAN_COLOR = "#c0392b", "#8e9aa6"
BAR, GAP, PAIR = 12, 3, 36       # bar height, space between the two bars, height of one provider's row
LEGEND = 22
LABEL_CHARS = 42
LABEL_PX, TEXT_PX = 6.6, 7.0     # average width of a character at 11 px (labels; digits)


@dataclass(frozen=True)
class Row:
    label: str          # who (provider's name and id)
    value: float
    median: float
    value_text: str     # already formatted: "1 234 FCFA", "35,9 %"
    median_text: str


def _n(x: float) -> str:
    return f"{x:.1f}"


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def _legend(left: int) -> list[str]:
    out = []
    x = left
    for name, color in (("Valeur du prestataire", VALUE_COLOR), ("Médiane de ses pairs (même niveau)", MEDIAN_COLOR)):
        out.append(f'<rect x="{x}" y="5" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 16}" y="15" fill="#222">{escape(name)}</text>')
        x += 28 + math.ceil(len(name) * LABEL_PX)
    return out


def _bar(x: int, y: float, w: float, color: str, text: str, span_end: float) -> list[str]:
    return [f'<rect x="{x}" y="{_n(y)}" width="{_n(w)}" height="{BAR}" fill="{color}"/>',
            f'<text x="{_n(min(x + w + 6, span_end))}" y="{_n(y + BAR - 2)}" fill="#222">{escape(text)}</text>']


def label_width(rows: Sequence[Row]) -> int:
    """Room for the longest label (cut at LABEL_CHARS): give it to several charts to align their bars."""
    return math.ceil(max((len(_cut(r.label)) for r in rows), default=0) * LABEL_PX) + 14


def median_chart(rows: Sequence[Row], title: str, *, width: int = 720, label_w: int | None = None) -> Markup:
    """Two bars per provider: its value (red) and its peers' median (grey), on one scale."""
    if not rows:
        return Markup("")
    t = escape(title)
    label_w = label_w or label_width(rows)
    text_w = math.ceil(max(len(s) for r in rows for s in (r.value_text, r.median_text)) * TEXT_PX) + 12
    span = max(60, width - label_w - text_w)
    top = max(max(r.value, r.median) for r in rows) or 1.0
    height = LEGEND + len(rows) * PAIR + 4
    out = ['<figure class="chart">', f"<figcaption>{t}</figcaption>",
           f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" '
           f'width="100%" style="max-width:{width}px" {FONT} font-size="11">', f"<title>{t}</title>"]
    out += _legend(label_w)
    for i, r in enumerate(rows):
        y = LEGEND + i * PAIR + (PAIR - 2 * BAR - GAP) / 2
        out.append(f'<text x="{label_w - 8}" y="{_n(y + BAR + GAP / 2 + 4)}" text-anchor="end" fill="#222">'
                   f"<title>{escape(r.label)}</title>{escape(_cut(r.label))}</text>")
        out += _bar(label_w, y, max(0.0, r.value / top * span), VALUE_COLOR, r.value_text, width - text_w + 6)
        out += _bar(label_w, y + BAR + GAP, max(0.0, r.median / top * span), MEDIAN_COLOR, r.median_text,
                    width - text_w + 6)
    out.append("</svg></figure>")
    return Markup("\n".join(out))
