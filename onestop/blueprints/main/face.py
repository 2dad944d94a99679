"""The province's emblem and banner colour, served to every page (the CSP allows no inline style)."""
from __future__ import annotations

from flask import Response, abort

from ... import province
from . import bp


def _cached(resp: Response) -> Response:
    # Links carry ?v=<version>: a change gives a new address, so a long cache is safe.
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@bp.route("/province/emblem")
def province_emblem():
    found = province.emblem()
    if found is None:
        abort(404)
    data, content_type = found
    return _cached(Response(data, mimetype=content_type))


@bp.route("/province/face.css")
def province_css():
    face = province.face()
    css = (f":root {{ --os-banner: {face.banner_color}; --os-banner-text: {face.banner_text_color}; }}\n"
           ".os-navbar, .province-banner { background: var(--os-banner); }\n"
           ".province-banner, .province-banner a { color: var(--os-banner-text); }\n")
    return _cached(Response(css, mimetype="text/css"))
