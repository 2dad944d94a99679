"""Every upload form found on the staff pages refuses files whose content is not what they claim."""
from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from factories import APPLICANT

from onestop.extensions import db
from onestop.models import Attachment, Dossier

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BAD_FILES = [
    ("windows-exe-renamed", EXE, "ket-qua.pdf", "application/pdf"),
    ("png-declared-as-pdf", PNG, "ban-quet.pdf", "application/pdf"),
    ("html-as-jpeg", b"<html><script>alert(1)</script></html>", "anh.jpg", "image/jpeg"),
]


class Forms(HTMLParser):
    """The multipart forms of a page: action, the fields with their default values, the file fields."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "multipart" in (a.get("enctype") or ""):
            self._form = {"action": a.get("action"), "data": {}, "files": []}
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input" and a.get("type") == "file":
            self._form["files"].append(a["name"])
        elif tag == "input" and a.get("type") in ("checkbox", "radio"):
            if a.get("type") == "checkbox" or "checked" in a:
                self._form["data"].setdefault(a["name"], a.get("value", "y"))
        elif tag == "button" or (tag == "input" and a.get("type") == "submit"):
            # The intake form's buttons choose the outcome: take "accept" (the path that stores scans).
            if a.get("value") == "accept" or a["name"] not in self._form["data"]:
                self._form["data"][a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") != "button":
            self._form["data"][a["name"]] = a.get("value") or APPLICANT.get(a["name"], "")
        elif tag == "textarea":
            self._form["data"][a["name"]] = APPLICANT.get(a["name"], "Ghi chú")
        elif tag == "select":
            self._select = a["name"]

    def handle_starttag_option(self, a):
        if self._select and self._select not in self._form["data"] and a.get("value"):
            self._form["data"][self._select] = a["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def upload_forms(html: str) -> list[dict]:
    parser = Forms()
    parser.handle_starttag = _with_options(parser)
    parser.feed(html)
    return [f for f in parser.forms if f["files"]]


def _with_options(parser):
    base = Forms.handle_starttag.__get__(parser)

    def handle(tag, attrs):
        if tag == "option" and parser._form is not None:
            parser.handle_starttag_option(dict(attrs))
        else:
            base(tag, attrs)
    return handle


def attachments() -> int:
    return db.session.execute(db.select(db.func.count(Attachment.id))).scalar_one()


def found_forms(client, auth, case) -> list[tuple[str, dict]]:
    """(user, form) for the upload forms of the desk's dossier page, the intake page and the agency's page."""
    out = []
    for username, page in (("tiepnhan", f"/reception/dossiers/{case.code}"),
                           ("tiepnhan", "/reception/intake?procedure=1.009994"),
                           ("chuyenvien", f"/processing/dossiers/{case.code}")):
        auth.login(username)
        html = client.get(page).get_data(as_text=True)
        out += [(username, f) for f in upload_forms(html)]
        auth.logout()
    return out


def test_upload_forms_are_found_on_the_pages(client, auth, case):
    actions = [f["action"] for _, f in found_forms(client, auth, case)]
    assert any(a.endswith("/scans") for a in actions)
    assert any("/actions/complete" in a for a in actions)
    assert any(a.endswith("/reception/intake") or "intake" in a for a in actions)


@pytest.mark.parametrize(("label", "content", "name", "mimetype"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_wrong_content_is_refused_by_every_upload_form(client, auth, case, label, content, name, mimetype):
    forms = found_forms(client, auth, case)
    assert forms
    for username, form in forms:
        auth.login(username)
        before = (case.state(), attachments(), db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one())
        data = dict(form["data"])
        data[form["files"][0]] = (io.BytesIO(content), name, mimetype)
        r = client.post(form["action"], data=data, content_type="multipart/form-data")
        body = r.get_data(as_text=True)
        assert r.status_code == 422, (form["action"], r.status_code)
        assert name in body and ("không phải PDF, JPEG hoặc PNG" in body or "không khớp" in body
                                 or "nhưng nội dung là" in body), form["action"]
        after = (case.state(), attachments(), db.session.execute(db.select(db.func.count(Dossier.id))).scalar_one())
        assert after == before, form["action"]
        auth.logout()


def test_a_real_pdf_goes_through_the_same_form(client, auth, case):
    """The refusals above are about content: the same scan form takes a genuine PDF."""
    auth.login("tiepnhan")
    r = client.post(f"/reception/dossiers/{case.code}/scans",
                    data={"scans": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "ban-quet.pdf", "application/pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    assert attachments() == 2
