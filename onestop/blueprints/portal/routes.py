"""The public catalogue: a searchable list and one page per procedure, cacheable by ETag."""
from __future__ import annotations

import hashlib
from urllib.parse import quote

from flask import Response, abort, make_response, render_template, request
from flask_babel import get_locale

from ... import online
from ...errors import NotFound
from ...status import OnlineLevel
from . import bp

# Private: every page carries the visitor's form token (the language switch); the ETag spares the body.
CACHE_CONTROL = "private, max-age=300"


def clean_query(value) -> str:
    return (value or "").strip()[:200]


def _cached(build):
    """Answer 304 when the phone's copy is of the current catalogue; otherwise render it, tagged."""
    tag = f"{online.catalogue_version()}-{get_locale()}-{request.full_path}"
    etag = hashlib.sha256(tag.encode()).hexdigest()[:24]
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = make_response(build())
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


@bp.route("/")
def catalogue():
    q = clean_query(request.args.get("q"))
    field = clean_query(request.args.get("linh_vuc")) or None
    online_only = request.args.get("truc_tuyen") == "1"
    after = clean_query(request.args.get("sau")) or None

    def build():
        procedures, next_after = online.search(q, field=field, online_only=online_only, after=after)
        return render_template("portal/catalogue.html", procedures=procedures, next_after=next_after, q=q,
                               field=field, fields=online.fields(), online_only=online_only)
    return _cached(build)


@bp.route("/<code>")
def procedure(code: str):
    try:
        found = online.published(code)
    except NotFound:
        abort(404)
    return _cached(lambda: render_template("portal/procedure.html", procedure=found,
                                           desks=online.receiving_desks(found), forms=online.blank_forms(found)))


@bp.route("/<code>/mau/<int:form_id>")
def blank_form(code: str, form_id: int):
    """A blank form the admin published for one of the procedure's documents."""
    try:
        row, data = online.blank_form_bytes(online.published(code), form_id)
    except NotFound:
        abort(404)
    return Response(data, mimetype=row.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.original_name)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"})


@bp.context_processor
def vocabularies():
    return {"OnlineLevel": OnlineLevel}
