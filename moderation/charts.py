"""Bar charts drawn by the server as SVG: no JavaScript, no library, no CDN.

Each chart is an image with a text alternative (role="img", <title>, <desc>); the page
shows the same numbers in a table beside it, so the chart is never the only way to read
them (WCAG 1.1.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 300
# Characters that fit in LABEL_WIDTH at 13 px in the fonts the site uses.
LABEL_CHARS = 34
BAR_WIDTH = 360
VALUE_WIDTH = 70


def bar_chart(
    title: str, rows: Sequence[tuple[str, float]], *, unit: str = "", decimals: int = 0
) -> SafeString:
    """Return an SVG horizontal bar chart of (label, value) rows."""
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    top = max((value for _label, value in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="chart-{id(rows)}-t">',
        f'<title id="chart-{id(rows)}-t">{escape(title)}</title>',
        "<desc>"
        + escape("; ".join(f"{label}: {value:.{decimals}f}{unit}" for label, value in rows))
        + "</desc>",
    ]
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = round(BAR_WIDTH * value / top) if value > 0 else 0
        text_y = y + BAR_HEIGHT - 6
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end" '
            f'font-size="13" fill="#1b1b1b">{escape(short)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="#004b87"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{text_y}" font-size="13" '
            f'fill="#1b1b1b">{value:.{decimals}f}{escape(unit)}</text>'
        )
    if not rows:
        parts.append(f'<text x="8" y="{BAR_HEIGHT}" font-size="13">–</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
