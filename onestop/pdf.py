"""PDF rendering with WeasyPrint: templates in templates/pdf/, a restricted fetcher, one font config."""
from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

import segno
from flask import current_app, render_template
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

_font_config: FontConfiguration | None = None
_lock = threading.Lock()


def font_config() -> FontConfiguration:
    """One FontConfiguration per process: building it scans the system fonts."""
    global _font_config
    with _lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        return _font_config


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


def render_html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML string (static/ is its base URL)."""
    static_dir = current_app.static_folder
    document = HTML(string=html, base_url=str(Path(static_dir).resolve()) + "/",
                    url_fetcher=StaticOnlyFetcher(static_dir))
    return document.write_pdf(font_config=font_config())


def render_pdf(template_name: str, **context) -> bytes:
    """Render templates/pdf/<template_name> to PDF bytes."""
    return render_html_to_pdf(render_template(f"pdf/{template_name}", **context))


def qr_svg(payload: str, scale: int = 3) -> Markup:
    """An inline SVG QR code (segno) for embedding in HTML or PDF templates."""
    qr = segno.make(payload, error="m")
    return Markup(qr.svg_inline(scale=scale, border=2, omitsize=False))
