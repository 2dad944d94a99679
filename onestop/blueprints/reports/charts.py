"""Server-side SVG charts (no JavaScript, no inline styles: the CSP allows neither)."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 720


def _pct_text(value) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + "%"


def on_time_bars(rows, title: str) -> Markup:
    """Horizontal bars: on-time rate (%) per agency."""
    rows = [r for r in rows if r.figures.finished]
    if not rows:
        return Markup("")
    bar_h, gap, left, top = 18, 8, 260, 28
    height = top + len(rows) * (bar_h + gap) + 24
    scale = (WIDTH - left - 70) / 100
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="os-chart" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for pct in (0, 50, 100):
        x = left + pct * scale
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" stroke="#ccd" />'
                     f'<text x="{x:.1f}" y="{height - 6}" font-size="10" text-anchor="middle">{pct}%</text>')
    for i, row in enumerate(rows):
        y = top + i * (bar_h + gap)
        rate = row.figures.on_time_rate or 0
        colour = "#1e7b34" if rate >= 90 else ("#b35c00" if rate >= 70 else "#b3261e")
        label = escape(row.label if len(row.label) <= 40 else row.label[:39] + "…")
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" font-size="11" text-anchor="end">{label}</text>'
            f'<rect x="{left}" y="{y}" width="{rate * scale:.1f}" height="{bar_h}" fill="{colour}">'
            f'<title>{escape(row.label)}: {_pct_text(row.figures.on_time_rate)}</title></rect>'
            f'<text x="{left + rate * scale + 4:.1f}" y="{y + 13}" font-size="11">'
            f'{_pct_text(row.figures.on_time_rate)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def monthly_trend(trend: list[dict], title: str, received_label: str, finished_label: str,
                  rate_label: str) -> Markup:
    """Grouped bars (received, finished) per month and a line of the on-time rate."""
    height, left, right, top, bottom = 260, 44, 44, 40, 36
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = max([1] + [max(t["new"], t["finished"]) for t in trend])
    step = plot_w / max(1, len(trend))
    bar_w = step * 0.35
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="os-chart" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
             f'<rect x="{left}" y="22" width="10" height="10" fill="#0b4f8a" />'
             f'<text x="{left + 14}" y="31" font-size="10">{escape(received_label)}</text>'
             f'<rect x="{left + 150}" y="22" width="10" height="10" fill="#7fa7cf" />'
             f'<text x="{left + 164}" y="31" font-size="10">{escape(finished_label)}</text>'
             f'<line x1="{left + 300}" y1="27" x2="{left + 316}" y2="27" stroke="#1e7b34" stroke-width="2" />'
             f'<text x="{left + 320}" y="31" font-size="10">{escape(rate_label)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#889" />',
             f'<text x="{left - 4}" y="{top + 8}" font-size="10" text-anchor="end">{peak}</text>',
             f'<text x="{left + plot_w + 4}" y="{top + 8}" font-size="10">100%</text>']
    points = []
    for i, t in enumerate(trend):
        x = left + i * step + step * 0.15
        for j, (key, colour) in enumerate((("new", "#0b4f8a"), ("finished", "#7fa7cf"))):
            h = plot_h * t[key] / peak
            parts.append(f'<rect x="{x + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"><title>{escape(t["month"])}: {t[key]}</title></rect>')
        parts.append(f'<text x="{left + i * step + step / 2:.1f}" y="{top + plot_h + 14}" font-size="9" '
                     f'text-anchor="middle">{escape(t["month"])}</text>')
        if t["on_time_rate"] is not None:
            points.append(f'{left + i * step + step / 2:.1f},{top + plot_h * (1 - t["on_time_rate"] / 100):.1f}')
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#1e7b34" stroke-width="2" />')
    for p in points:
        x, y = p.split(",")
        parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="#1e7b34" />')
    parts.append("</svg>")
    return Markup("".join(parts))
