"""Helpers for the security tests: routes from app.url_map, URL building, personal-data scans."""
from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass

import pypdf
from factories import APPLICANT

from config import TestConfig
from onestop import create_app
from onestop.extensions import db
from onestop.models import Attachment, Dossier
from onestop.text import fold

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Routes anyone may open (the brief of issue 10 and CONTRACT.md); every other route is staff-only.
PUBLIC_PREFIXES = ("/static", "/healthz", "/lookup", "/open311", "/api/v1/openapi.json", "/api/v1/procedures",
                   "/api/v1/lookup", "/auth/login", "/lang/",
                   "/thu-tuc",  # the public catalogue of procedures (issue 16)
                   "/verify",  # checking a signed file (issue 16)
                   "/province/",  # the province's emblem and colours (issue 19)
                   # the hall's kiosk, board, rating tablet (device keys) and a ticket's status (issue 21)
                   "/queue/kiosk/", "/queue/board/", "/queue/rate/", "/queue/t/",
                   "/bang-diem")  # the public scoreboard (issue 20)
# "/" only sends visitors on to the public lookup (checked in test_access.py); a citizen files a PAKN and
# opens it with its code and key (issue 15).
PUBLIC_RULES = {"/", "/pakn/", "/pakn/new", "/pakn/<code>", "/pakn/<code>/rate"}


def is_public(rule: str) -> bool:
    return rule in PUBLIC_RULES or rule.startswith(PUBLIC_PREFIXES)


def routes() -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) for every route of the app, built without touching a database."""
    app = create_app(TestConfig)
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method, rule.endpoint))
    return sorted(out)


STAFF_ROUTES = [r for r in routes() if not is_public(r[0])]


@dataclass
class Case:
    """One dossier of 1.009994, received at the centre and held by Sở Xây dựng, with a scan."""

    dossier: Dossier
    code: str
    attachment_id: int
    token_id: int

    def url(self, rule: str, endpoint: str) -> str:
        """Fill the rule's arguments from this dossier and the demo data."""
        values = {
            "code": self.code,
            "identifier": "000.00.21.H56",
            "day": "2026-12-01",
            "username": "chuyenvien",
            "token_id": str(self.token_id),
            "attachment_id": str(self.attachment_id),
            "filename": "css/app.css",
            "counter_id": "1",
            "token": "0" * 16,
            "decision": "accept",  # the desk's answer to an online dossier (issue 16)
            "form_id": "1",  # a procedure's blank form (issue 16)
        }
        if endpoint.startswith("admin.procedure"):
            values["code"] = "1.009994"
        if endpoint == "main.set_language":
            values["code"] = "en"
        if endpoint == "reception.act":
            values["action"] = "return"
        elif endpoint == "processing.act":
            values["action"] = "complete"
        elif endpoint.startswith("queue."):
            values["action"] = "next"

        def fill(match):
            return values[match.group(1)]

        return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", fill, re.sub(r"<any\([^)]*\):", "<", rule))

    def state(self) -> tuple:
        """What an attacker might try to change: status, version, events, attachments."""
        db.session.expire_all()
        d = db.session.get(Dossier, self.dossier.id)
        attachments = db.session.execute(db.select(db.func.count(Attachment.id))).scalar_one()
        return d.status, d.version, len(d.events), attachments


def personal_data() -> list[str]:
    """The applicant's details as they could leak: as typed and folded (no diacritics, lower case)."""
    values = [APPLICANT[k] for k in ("full_name", "id_number", "phone", "email", "address")]
    values += [fold(APPLICANT["full_name"]), fold(APPLICANT["address"]), "Lê Lợi", "duc.nguyen"]
    return values


def readable(response) -> str:
    """The response as text a person (or a scraper) would get: JSON decoded, xlsx unzipped."""
    data = response.data
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    if data[:5] == b"%PDF-":
        return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return data.decode("utf-8", "replace")


def leaks(response) -> list[str]:
    """The personal data found in the response (raw, and diacritic-folded)."""
    text = readable(response)
    folded = fold(text)
    return [v for v in personal_data() if v in text or fold(v) in folded]
