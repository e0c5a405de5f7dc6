"""Inline SVG bar charts for the HTML reports: no script, no network, byte-stable.

Charts take their value texts already formatted (by `ramu_cli.french`): this
module draws, it never formats an amount. Every text is escaped. Coordinates
are written with one decimal so the same figures always give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

FONT = "font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\""
ROW = 20           # height of one bar row
BAR = 13           # height of one bar
LABEL_CHARS = 50   # longer labels are cut with "…" (the full label is in a tooltip)
# Room for texts is estimated from their length (DejaVu Sans at 11 px): a label
# character is about 6.6 px wide on average, a digit or space about 7 px.
LABEL_PX, VALUE_PX = 6.6, 7.0
COLORS = ("#2f6690", "#d9822b", "#c0392b", "#7f8c8d")


def _n(x: float) -> str:
    return f"{x:.1f}"


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _open(width: int, height: float, title: str) -> list[str]:
    t = escape(title)
    return ['<figure class="chart">', f"<figcaption>{t}</figcaption>",
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" '
            f'viewBox="0 0 {width} {_n(height)}" width="100%" style="max-width:{width}px" {FONT} font-size="11">',
            f"<title>{t}</title>"]


def _layout(labels: Sequence[str], texts: Sequence[str], width: int) -> tuple[int, int]:
    """Where bars start and how long the longest may be, so that no text is cut."""
    label_w = math.ceil(max(len(_cut(x)) for x in labels) * LABEL_PX) + 14
    value_w = math.ceil(max(len(t) for t in texts) * VALUE_PX) + 12
    return label_w, max(60, width - label_w - value_w)


def _label(x: int, y: float, label: str) -> str:
    return (f'<text x="{x - 8}" y="{_n(y + BAR / 2 + 4)}" text-anchor="end" fill="#222">'
            f"<title>{escape(label)}</title>{escape(_cut(label))}</text>")


def hbar_chart(rows: Sequence[tuple[str, int | float, str]], title: str, *,
               width: int = 720, color: str = COLORS[0]) -> Markup:
    """Horizontal bars: one (label, value, value_text) per row, longest bar = largest value."""
    if not rows:
        return Markup("")
    top = max((v for _, v, _ in rows), default=0) or 1
    left, span = _layout([r[0] for r in rows], [r[2] for r in rows], width)
    height = len(rows) * ROW + 6
    out = _open(width, height, title)
    for i, (label, value, text) in enumerate(rows):
        y = 3 + i * ROW + (ROW - BAR) / 2
        w = max(0.0, value / top * span)
        out.append(_label(left, y, label))
        out.append(f'<rect x="{left}" y="{_n(y)}" width="{_n(w)}" height="{BAR}" fill="{color}"/>')
        out.append(f'<text x="{_n(left + w + 6)}" y="{_n(y + BAR / 2 + 4)}" fill="#222">{escape(text)}</text>')
    out.append("</svg></figure>")
    return Markup("\n".join(out))


def stacked_hbar_chart(rows: Sequence[tuple[str, Sequence[int], str]], series: Sequence[str], title: str, *,
                       width: int = 720, colors: Sequence[str] = COLORS) -> Markup:
    """Stacked horizontal bars: (label, values per series, total text) per row, and a legend on top."""
    if not rows:
        return Markup("")
    top = max((sum(vals) for _, vals, _ in rows), default=0) or 1
    left, span = _layout([r[0] for r in rows], [r[2] for r in rows], width)
    legend_h = 24
    height = legend_h + len(rows) * ROW + 6
    out = _open(width, height, title)
    x = left
    for name, color in zip(series, colors, strict=False):  # colors may outnumber series
        out.append(f'<rect x="{x}" y="5" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 16}" y="15" fill="#222">{escape(name)}</text>')
        x += 28 + 7 * len(name)
    for i, (label, values, text) in enumerate(rows):
        y = legend_h + 3 + i * ROW + (ROW - BAR) / 2
        out.append(_label(left, y, label))
        x0 = float(left)
        for name, value, color in zip(series, values, colors, strict=False):
            w = max(0.0, value / top * span)
            if w > 0:
                out.append(f'<rect x="{_n(x0)}" y="{_n(y)}" width="{_n(w)}" height="{BAR}" fill="{color}">'
                           f"<title>{escape(label)} — {escape(name)}</title></rect>")
            x0 += w
        out.append(f'<text x="{_n(x0 + 6)}" y="{_n(y + BAR / 2 + 4)}" fill="#222">{escape(text)}</text>')
    out.append("</svg></figure>")
    return Markup("\n".join(out))
