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


#: one colour per Decision 766 group, in GROUPS order (transparency … digitisation)
GROUP_COLOURS = ("#0b4f8a", "#1e7b34", "#6a3d9a", "#b35c00", "#b3261e", "#2a7f8f")


def _points_text(value) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def score_trend(trend: list[dict], groups: list[tuple[str, str]], title: str, links: list[str] | None = None,
                no_data: str = "—") -> Markup:
    """Stacked bars: each month's 766 points by group (out of 100), the total written on top.

    `groups` is [(key, label)] in the score's order; `links` (one per month) make each bar a link.
    """
    height, left, right, top, bottom = 300, 40, 10, 58, 30
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    step = plot_w / max(1, len(trend))
    bar_w = min(44.0, step * 0.6)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="os-chart" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    x = left
    for i, (_key, label) in enumerate(groups):  # the legend, on two lines of three
        lx, ly = left + (i % 3) * 230, 30 + (i // 3) * 14
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{GROUP_COLOURS[i % 6]}" />'
                     f'<text x="{lx + 14}" y="{ly}" font-size="10">{escape(label)}</text>')
    for pts in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pts / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#dde" />'
                     f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end">{pts}</text>')
    for i, t in enumerate(trend):
        x = left + i * step + (step - bar_w) / 2
        y = top + plot_h
        bars = []
        for j, (key, label) in enumerate(groups):
            value = t["groups"].get(key) or 0
            h = plot_h * value / 100
            y -= h
            if h > 0:
                bars.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                            f'fill="{GROUP_COLOURS[j % 6]}"><title>{escape(t["month"])} · {escape(label)}: '
                            f'{_points_text(t["groups"].get(key))}</title></rect>')
        total = t["total"] if bars else None
        bars.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" font-size="11" font-weight="bold" '
                    f'text-anchor="middle">{_points_text(total) if total is not None else escape(no_data)}</text>')
        body = "".join(bars)
        if links and links[i]:
            body = f'<a href="{escape(links[i])}">{body}</a>'
        parts.append(body)
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" font-size="10" '
                     f'text-anchor="middle">{escape(t["month"])}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#889" />')
    parts.append("</svg>")
    return Markup("".join(parts))
