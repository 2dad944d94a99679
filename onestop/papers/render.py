"""WeasyPrint for the printed papers: fonts and the stylesheet prepared once per process, a fetcher that
reads static/ only, and the QR code.

WeasyPrint takes most of a second to import, so it is imported on the first render, not when the app
or the CLI starts.
"""
from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from flask import current_app, render_template
from markupsafe import Markup

STYLESHEET = "papers.css"  # in templates/pdf/, beside the papers' templates
_lock = threading.Lock()
_prepared: dict[tuple[str, str], Prepared] = {}
# Drop them while WeasyPrint's libraries are still loaded: FontConfiguration frees fontconfig objects.
atexit.register(_prepared.clear)


@dataclass(frozen=True)
class Prepared:
    """What every render reuses: the font configuration (with the shipped fonts) and the parsed stylesheet."""

    font_config: Any
    stylesheet: Any
    fetcher: Any
    base_url: str


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):
        """Lets a PDF load `data:` URLs and files under static/ only: no network, no other files."""

        def __init__(self, static_dir: str):
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
            self.static_dir = Path(static_dir).resolve()

        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = Path(unquote(urlparse(url).path)).resolve()
                if not path.is_relative_to(self.static_dir):
                    raise ValueError(f"PDF may not load {url}")
            elif not url.startswith("data:"):
                raise ValueError(f"PDF may not load {url}")
            return super().fetch(url, headers)

    return StaticOnlyFetcher


def stylesheet_path() -> Path:
    return Path(current_app.root_path, current_app.template_folder or "templates", "pdf", STYLESHEET)


def prepared() -> Prepared:
    """The process's fonts and stylesheet, built on first use (building them scans the system fonts)."""
    static_dir = str(Path(current_app.static_folder).resolve())
    css_path = str(stylesheet_path().resolve())
    key = (static_dir, css_path)
    found = _prepared.get(key)
    if found is not None:
        return found
    with _lock:
        found = _prepared.get(key)
        if found is None:
            from weasyprint import CSS
            from weasyprint.text.fonts import FontConfiguration

            fetcher = _fetcher_class()(static_dir)
            base_url = static_dir + "/"
            font_config = FontConfiguration()
            # The @font-face rules register the fonts of static/fonts/ in font_config, once.
            stylesheet = CSS(string=Path(css_path).read_text(encoding="utf-8"), base_url=base_url,
                             url_fetcher=fetcher, font_config=font_config)
            found = _prepared[key] = Prepared(font_config, stylesheet, fetcher, base_url)
    return found


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML string with the papers' stylesheet (static/ is its base URL)."""
    from weasyprint import HTML

    ready = prepared()
    document = HTML(string=html, base_url=ready.base_url, url_fetcher=ready.fetcher)
    return document.write_pdf(stylesheets=[ready.stylesheet], font_config=ready.font_config)


def render_html(template_name: str, data: dict) -> str:
    """The HTML of templates/pdf/<template_name> for a paper's data."""
    return render_template(f"pdf/{template_name}", **data)


def render(template_name: str, data: dict) -> bytes:
    """Render templates/pdf/<template_name> with a paper's plain data to PDF bytes."""
    return html_to_pdf(render_html(template_name, data))


def qr_image(payload: str, scale: int = 8) -> Markup:
    """The QR code of a paper as an <img> of a 1-bit PNG (segno).

    A PNG costs WeasyPrint about half what the same code as inline SVG paths costs to lay out; printed
    without interpolation (papers.css) it stays sharp.
    """
    import segno

    qr = segno.make(payload, error="m")
    return Markup('<img class="qr-code" src="{}" alt="QR">').format(qr.png_data_uri(scale=scale, border=2))
