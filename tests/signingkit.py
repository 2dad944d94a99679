"""Helpers for the digital seal tests: small real PDFs, a tampered copy, a second (untrusted) CA."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pypdf

from onestop import signing

TITLE = "Giay phep xay dung so 123"
_FOREIGN = Path(tempfile.mkdtemp(prefix="onestop-foreign-ca-"))


def sample_pdf(title: str = TITLE) -> bytes:
    """A one-page PDF whose title is stored as plain text (so a copy can be altered without breaking it)."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=420, height=595)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tampered(sealed: bytes) -> bytes:
    """The same file with one letter of its signed title changed: same size, still a readable PDF."""
    assert b"xay dung" in sealed
    return sealed.replace(b"xay dung", b"xay dunG", 1)


def appended(sealed: bytes) -> bytes:
    """The sealed file with an incremental update after the seal (what an editor saving over it does)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sealed_by_foreign_ca(app, data: bytes, identifier: str, name: str) -> bytes:
    """Sealed by a certificate with the agency's very name, issued by a CA the province does not trust."""
    own = app.config["ONESTOP_SIGNING_DIR"]
    app.config["ONESTOP_SIGNING_DIR"] = str(_FOREIGN)
    try:
        if not signing.certificate_path(identifier).exists():
            agency = type("Agency", (), {"identifier": identifier, "name": name})()
            signing.ensure_certificates([agency], ca_name="CA giả mạo")
        return signing.seal(data, identifier, reason="Giả mạo")
    finally:
        app.config["ONESTOP_SIGNING_DIR"] = own


def flipped(sealed: bytes) -> bytes:
    """One bit flipped inside the first content stream (any PDF, compressed or not), before the seal."""
    at = sealed.index(b"stream\n") + 20
    return sealed[:at] + bytes([sealed[at] ^ 0x01]) + sealed[at + 1:]
