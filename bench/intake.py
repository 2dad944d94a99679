"""Intake of N dossiers by C concurrent clients over POST /api/v1/dossiers: throughput, no duplicate or gap.

Then, on the same server, one client alternating the clerk's web intake form and the API (`web_vs_api`).
"""
from __future__ import annotations

import http.client
import itertools
import json
import secrets
import statistics
import time
import urllib.parse
from collections import defaultdict
from html.parser import HTMLParser

import sqlalchemy as sa

from bench.common import HOST, drive, gunicorn, make_app

DEMO_PASSWORD = "onestop2026"  # onestop/devdata/demo.py: the bench database is `onestop demo` + `generate`
APPLICANT = {"full_name": "Trần Thị Bích", "id_number": "079190001234", "phone": "0903123456",
             "email": "bich.tran@example.vn", "address": "Số 5 đường Quang Trung, phường 2"}


def run(dossiers: int = 1000, clients: int = 20, procedure_code: str = "1.009994", web: int = 60) -> dict:
    from onestop import accounts
    from onestop.extensions import db
    from onestop.models import Dossier, Procedure, User

    app = make_app()
    with app.app_context():
        clerk = db.session.execute(sa.select(User).filter_by(username="tiepnhan")).scalar_one()
        proc = db.session.execute(sa.select(Procedure).filter_by(code=procedure_code)).scalar_one()
        documents = [{"name": d.name, "originals": d.originals, "copies": d.copies} for d in proc.documents]
        _, token = accounts.create_token(clerk, "benchmark intake")
        db.session.commit()
        before = db.session.execute(sa.select(sa.func.count(Dossier.id))).scalar()
        db.engine.dispose()
    vacuum_intake_tables()
    body = json.dumps({"procedure_code": procedure_code, "applicant": APPLICANT, "channel": "counter",
                       "documents": documents}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with gunicorn(workers=2) as port:
        result = drive(port, ["/api/v1/dossiers"], seconds=600, clients=clients, max_requests=dossiers,
                       method="POST", bodies=[body], headers=headers)
        with app.app_context():
            after = db.session.execute(sa.select(sa.func.count(Dossier.id))).scalar()
            db.engine.dispose()
        web_run = None
        if web:
            try:
                web_run = web_vs_api(port, token, documents, procedure_code, requests=web)
            except Exception as exc:  # noqa: BLE001 - the API figures above still stand
                web_run = {"error": f"{type(exc).__name__}: {exc}"}
    responses = result.pop("_responses")
    codes = []
    for raw in responses:
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict) and "code" in data and "error" not in data:
            codes.append(data["code"])
    out = {"dossiers": dossiers, "clients": clients, **result, "codes_returned": len(codes),
           "duplicate_codes": len(codes) - len(set(codes))}
    # Gaps: per unit and day, the numbers this run received must be consecutive after what existed.
    by_day = defaultdict(list)
    for code in codes:
        prefix, number = code.rsplit("-", 1)
        by_day[prefix].append(int(number))
    gaps = 0
    for numbers in by_day.values():
        numbers.sort()
        gaps += (numbers[-1] - numbers[0] + 1) - len(numbers)
    out["gaps"] = gaps
    with app.app_context():
        stored = db.session.execute(sa.select(sa.func.count(Dossier.id)).where(Dossier.code.in_(codes))).scalar() \
            if codes else 0
        db.engine.dispose()
    out["new_rows"] = after - before
    out["missing"] = dossiers - stored
    out["ok"] = (out["statuses"] == {"201": dossiers} and out["duplicate_codes"] == 0 and gaps == 0
                 and out["missing"] == 0 and out["new_rows"] == dossiers)
    if web_run is not None and "error" not in web_run:
        web_codes = web_run.pop("_codes")
        web_ids = web_run.pop("_web_ids")
        with app.app_context():
            web_run["web_post"]["stored"] = db.session.execute(
                sa.select(sa.func.count(Dossier.id)).where(Dossier.code.in_(web_codes))).scalar() if web_codes else 0
            # every dossier the form made, warm-up included; the replayed form must have made none
            web_run["web_post"]["rows_of_form_ids"] = db.session.execute(
                sa.select(sa.func.count(Dossier.id)).where(Dossier.applicant_id_number.in_(web_ids))).scalar()
            db.engine.dispose()
        web_run["holds"] = (web_run["holds"] and web_run["web_post"]["stored"] == web
                            and web_run["web_post"]["rows_of_form_ids"] == len(web_ids))
    if web_run is not None:
        out["web"] = web_run
    return out


def vacuum_intake_tables() -> None:
    """VACUUM what intake writes, as autovacuum would between runs (PostgreSQL only).

    Each intake leaves one dead row version of its dossier (the UPDATE that gives it its number), and the
    benchmark receives thousands in minutes on one desk and day: back-to-back runs found 46,000 dead rows
    in `dossiers` (below autovacuum's threshold of 20 % of the table) and ran 10-15 % slower for it
    (213/s after a VACUUM against 183/s before, same code). A province's desk receives hundreds a day.
    """
    from bench.common import database_url

    url = sa.engine.make_url(database_url())
    if not url.get_backend_name().startswith("postgresql"):
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM (ANALYZE) dossiers, dossier_steps, dossier_documents, code_sequences, "
                                 "audit_log, portal_sync"))
    finally:
        engine.dispose()


# -- the clerk's web form beside the API (issue 18: "the web intake page answers in <= 2 x the API's time") --

class _Forms(HTMLParser):
    """Every <form> of a page as a browser would submit it: {form id or index: [(name, value), ...]}."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, list[tuple[str, str]]] = {}
        self._form: list | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = self.forms.setdefault(a.get("id") or str(len(self.forms)), [])
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.append((a["name"], a.get("value") or "on"))
            elif kind == "file":
                self._form.append((a["name"], _FILE))
            elif kind not in ("submit", "button", "image", "reset"):
                self._form.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self._form.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


_FILE = object()  # an <input type=file> left empty


def _forms(html: bytes) -> dict[str, list[tuple[str, str]]]:
    parser = _Forms()
    parser.feed(html.decode("utf-8"))
    return parser.forms


def _multipart(fields: list[tuple[str, object]]) -> tuple[bytes, str]:
    """multipart/form-data as a browser sends the intake form (an empty file input included)."""
    boundary = "----OneStopBench" + secrets.token_hex(8)
    parts = []
    for name, value in fields:
        if value is _FILE:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename=""\r\n'
                         "Content-Type: application/octet-stream\r\n\r\n\r\n")
        else:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


class _Browser:
    """One keep-alive connection and its cookies, like a clerk's browser tab (redirects are not followed)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes, float]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        elapsed = time.perf_counter() - started
        for name, value in r.getheaders():
            if name.lower() == "set-cookie":
                key, _, val = value.split(";", 1)[0].partition("=")
                if "max-age=0" in value.lower() or "expires=thu, 01 jan 1970" in value.lower():
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val.strip()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data, elapsed

    def close(self):
        self.conn.close()


def _stats(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    n = len(ms)
    return {"requests": n, "median_ms": round(statistics.median(ms), 2) if n else None,
            "p95_ms": round(ms[min(n - 1, int(n * 0.95))], 2) if n else None,
            "min_ms": round(ms[0], 2) if n else None, "max_ms": round(ms[-1], 2) if n else None}


def web_vs_api(port: int, token: str, documents: list[dict], procedure_code: str = "1.009994",
               requests: int = 60, warmup: int = 10, username: str = "tiepnhan",
               password: str = DEMO_PASSWORD) -> dict:
    """One client, sequentially: the clerk's intake form POST (CSRF on) beside POST /api/v1/dossiers.

    The web side signs in through /auth/login, then per dossier GETs /reception/intake?procedure=… (untimed:
    a fresh CSRF-bound form and intake_token) and POSTs it with outcome=accept (timed; answers 302 to the new
    dossier). The API side posts the same applicant and documents with the Bearer token. Web and API requests
    alternate so that both see the same load on the machine. Each dossier gets its own citizen ID: the desk
    warns about the same ID and procedure received within `intake_duplicate_minutes` (the API does not).
    """
    ids = (f"0791{n:08d}" for n in itertools.count(secrets.randbelow(90_000_000)))
    browser = _Browser(port)
    api = http.client.HTTPConnection(HOST, port, timeout=60)
    api_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    web_times: list[float] = []
    api_times: list[float] = []
    web_codes: list[str] = []
    api_codes: list[str] = []
    web_ids: list[str] = []
    statuses: dict[str, dict[str, int]] = {"web": {}, "api": {}, "web_get": {}}
    try:
        status, _, page, _ = browser.request("GET", "/auth/login")
        login = next(fields for fields in _forms(page).values() if any(n == "password" for n, _ in fields))
        values = dict(login, username=username, password=password)
        status, headers, _, _ = browser.request(
            "POST", "/auth/login", body=urllib.parse.urlencode(values).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"sign-in of {username} through /auth/login answered {status}")
        intake_path = f"/reception/intake?procedure={urllib.parse.quote(procedure_code)}"
        api_body = {"procedure_code": procedure_code, "channel": "counter", "documents": documents}
        for i in range(warmup + requests):
            status, _, page, _ = browser.request("GET", intake_path)
            statuses["web_get"][str(status)] = statuses["web_get"].get(str(status), 0) + 1
            fields = _forms(page).get("intake-form")
            if status != 200 or fields is None:
                raise RuntimeError(f"GET {intake_path} answered {status} without the intake form")
            id_number = next(ids)
            web_ids.append(id_number)
            applicant = dict(APPLICANT, id_number=id_number)
            fields = [(n, applicant.get(n, v) if v is not _FILE else v) for n, v in fields]
            fields.append(("outcome", "accept"))
            web_body, content_type = _multipart(fields)
            status, headers, _, took = browser.request("POST", intake_path, body=web_body,
                                                       headers={"Content-Type": content_type})
            statuses["web"][str(status)] = statuses["web"].get(str(status), 0) + 1
            location = headers.get("location", "")
            if i >= warmup:
                web_times.append(took)
                if status == 302 and "/reception/dossiers/" in location:
                    web_codes.append(urllib.parse.unquote(location.split("/reception/dossiers/", 1)[1].split("?")[0]))
            body = json.dumps(dict(api_body, applicant=dict(APPLICANT, id_number=next(ids)))).encode()
            started = time.perf_counter()
            api.request("POST", "/api/v1/dossiers", body=body, headers=api_headers)
            r = api.getresponse()
            data = r.read()
            took = time.perf_counter() - started
            statuses["api"][str(r.status)] = statuses["api"].get(str(r.status), 0) + 1
            if i >= warmup:
                api_times.append(took)
                if r.status == 201:
                    api_codes.append(json.loads(data)["code"])
        # The last form posted again (Back, double click): the same dossier, nothing new.
        status, headers, _, _ = browser.request("POST", intake_path, body=web_body,
                                                headers={"Content-Type": content_type})
        replay_to = headers.get("location", "")
        replay_same = status == 302 and bool(web_codes) and replay_to.split("?")[0].endswith("/" + web_codes[-1])
    finally:
        browser.close()
        api.close()
    web, api_stats = _stats(web_times), _stats(api_times)
    ratio = round(web["median_ms"] / api_stats["median_ms"], 2) if web_times and api_times else None
    return {"requests": requests, "warmup": warmup, "procedure": procedure_code, "statuses": statuses,
            "web_post": {**web, "new_dossiers": len(set(web_codes)), "codes": len(web_codes),
                         "replay_gives_same_dossier": replay_same},
            "api_post": {**api_stats, "new_dossiers": len(set(api_codes))},
            "ratio": ratio, "holds": ratio is not None and ratio <= 2 and len(set(web_codes)) == requests,
            "_codes": web_codes, "_web_ids": web_ids}
