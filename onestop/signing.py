"""Digital seals (chữ ký số của cơ quan) on the PDFs a dossier is given: results and receipts.

The one home of signatures: sealing a PDF with an agency's certificate (PAdES baseline B-B, pyHanko),
verifying a sealed PDF (valid, by which agency, unchanged since sealing), and the demo province's own
certificate authority. See docs/esign.md for the settings and the production path (PKCS#11 tokens or an
HSM, a timestamp authority for B-T).

Settings (config.py):
- ONESTOP_SIGNING_DIR holds `<agency identifier>.p12` (the agency's key and certificate) and `ca.pem`
  (the province's certificate authority, the trust anchor of verification);
- ONESTOP_SIGNING_PASSWORD opens the PKCS#12 files (and the demo CA's key);
- ONESTOP_SIGNING_TRUST names other PEM files of trusted roots (comma-separated), when the CA that issued
  the agencies' certificates is not the one in ONESTOP_SIGNING_DIR;
- ONESTOP_SIGNING_DEMO: the demo data (`onestop demo`) creates a demo CA and agency certificates when
  missing.
"""
from __future__ import annotations

import asyncio
import io
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app, flash, has_request_context
from flask_babel import gettext as _

from .status import SignatureCheck
from .timeutil import now as utcnow

log = logging.getLogger(__name__)
# pyHanko logs a traceback for every modified file it reviews; the verification page reports it plainly.
logging.getLogger("pyhanko.sign.diff_analysis").setLevel(logging.ERROR)

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
FIELD_NAME = "OneStopSeal"
CA_YEARS = 10
AGENCY_YEARS = 3

_lock = threading.Lock()
# (path, mtime) -> loaded signer; a renewed .p12 file has a new mtime and is loaded again.
_signers: dict[tuple[str, float], object] = {}
_trust: dict[tuple, list] = {}


class SigningUnavailable(Exception):
    """No usable certificate for the agency: the file is kept unsigned and staff are told why."""


# -- settings -------------------------------------------------------------------


def signing_dir() -> Path:
    return Path(current_app.config["ONESTOP_SIGNING_DIR"])


def _password() -> bytes | None:
    value = current_app.config.get("ONESTOP_SIGNING_PASSWORD")
    return value.encode("utf-8") if value else None


def certificate_path(identifier: str) -> Path:
    """Where the agency's PKCS#12 file is expected: `<ONESTOP_SIGNING_DIR>/<identifier>.p12`."""
    return signing_dir() / f"{identifier}.p12"


def trust_paths() -> list[Path]:
    """The PEM files of the roots verification trusts: ONESTOP_SIGNING_TRUST, else the province's CA."""
    configured = current_app.config.get("ONESTOP_SIGNING_TRUST") or ""
    paths = [Path(p.strip()) for p in configured.split(",") if p.strip()]
    return paths or [signing_dir() / CA_CERT]


# -- sealing ----------------------------------------------------------------------


def _signer_for(identifier: str):
    from pyhanko.sign import signers

    path = certificate_path(identifier)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise SigningUnavailable(
            _("Chưa cấu hình chứng thư số cho cơ quan %(agency)s (không có tệp %(file)s).",
              agency=identifier, file=path.name)) from None
    key = (str(path), mtime)
    with _lock:
        signer = _signers.get(key)
    if signer is not None:
        return signer
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(path.read_bytes(), other_certs=(), passphrase=_password())
    except (OSError, ValueError):
        raise SigningUnavailable(
            _("Không mở được chứng thư số của cơ quan %(agency)s (sai mật khẩu hoặc tệp hỏng).",
              agency=identifier)) from None
    with _lock:
        for old in [k for k in _signers if k[0] == key[0]]:
            del _signers[old]
        _signers[key] = signer
    return signer


def _off_loop(fn, *args, **kwargs):
    """Call one of pyHanko's blocking functions (they call asyncio.run) even from a thread whose event loop
    is running (a browser driver, an async server): then in a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def _existing_signatures(data: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return len(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)


def seal(data: bytes, identifier: str, *, reason: str, location: str | None = None) -> bytes:
    """The PDF sealed with the agency's certificate (PAdES B-B, SHA-256); raises SigningUnavailable.

    A PDF without signatures gets a certification signature that allows no change afterwards; one already
    signed (e.g. by the leader's token) keeps its signatures and gets the agency's seal appended.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _signer_for(identifier)
    try:
        first = _existing_signatures(data) == 0
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME if first else f"{FIELD_NAME}{utcnow():%Y%m%d%H%M%S%f}",
            md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason, location=location, certify=first,
            docmdp_permissions=fields.MDPPerm.NO_CHANGES)
        out = io.BytesIO()
        _off_loop(signers.sign_pdf, writer, meta, signer=signer, output=out)
    except Exception as exc:  # a PDF pyHanko cannot rewrite (encrypted, broken cross-references)
        log.warning("Could not seal a PDF for %s: %s", identifier, exc)
        raise SigningUnavailable(_("Không ký số được tệp PDF này (tệp được mã hóa, đã bị khóa "
                                   "bởi một chữ ký số khác hoặc bị lỗi cấu trúc).")) from None
    return out.getvalue()


def tell_staff(message: str) -> None:
    """Why a file stays unsigned: in the log, and to the member of staff on their next page."""
    log.warning("Unsigned: %s", message)
    if has_request_context():
        flash(message, "warning")


def seal_or_keep(data: bytes, agency, *, reason: str) -> tuple[bytes, bool]:
    """(bytes to store, sealed?): the sealed PDF, or the file unchanged when sealing is not possible."""
    try:
        return seal(data, agency.identifier, reason=reason, location=agency.name), True
    except SigningUnavailable as exc:
        tell_staff(_("Tệp được lưu nhưng chưa được ký số: %(why)s", why=str(exc)))
        return data, False


# -- verification ---------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What the public verification page says of a PDF."""

    check: SignatureCheck
    signer: str | None = None  # the agency named in the certificate
    signer_identifier: str | None = None
    issuer: str | None = None
    signed_at: datetime | None = None  # as the signer declared it (no timestamp authority)

    @property
    def valid(self) -> bool:
        return self.check == SignatureCheck.VALID


def _trust_roots() -> list:
    from asn1crypto import pem, x509

    paths = trust_paths()
    key = tuple((str(p), p.stat().st_mtime if p.exists() else 0) for p in paths)
    with _lock:
        roots = _trust.get(key)
    if roots is not None:
        return roots
    roots = []
    for p in paths:
        try:
            raw = p.read_bytes()
        except OSError:
            log.warning("Trusted root file %s is missing", p)
            continue
        blobs = [der for _t, _h, der in pem.unarmor(raw, multiple=True)] if pem.detect(raw) else [raw]
        roots.extend(x509.Certificate.load(der) for der in blobs)
    with _lock:
        _trust.clear()
        _trust[key] = roots
    return roots


def _name_part(name, field: str) -> str | None:
    value = name.native.get(field)
    if isinstance(value, list):
        value = value[-1] if value else None
    return value


def verify(data: bytes) -> Verification:
    """Check a PDF's last signature: intact, issued under a trusted root, nothing changed after it."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError):
        return Verification(SignatureCheck.UNREADABLE)
    if not signatures:
        return Verification(SignatureCheck.NO_SIGNATURE)
    embedded = signatures[-1]
    context = ValidationContext(trust_roots=_trust_roots(), allow_fetching=False)
    try:
        status = _off_loop(validate_pdf_signature, embedded, context)
    except Exception as exc:  # a signature dictionary or CMS blob too broken to evaluate
        log.info("Signature could not be evaluated: %s", exc)
        return Verification(SignatureCheck.TAMPERED)
    cert = status.signing_cert
    facts = {
        "signer": _name_part(cert.subject, "organization_name") or _name_part(cert.subject, "common_name"),
        "signer_identifier": _name_part(cert.subject, "organization_identifier"),
        "issuer": _name_part(cert.issuer, "common_name"),
        "signed_at": status.signer_reported_dt,
    }
    if not (status.intact and status.valid):
        return Verification(SignatureCheck.TAMPERED, **facts)
    unchanged = (status.coverage == SignatureCoverageLevel.ENTIRE_FILE
                 or status.modification_level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES))
    if not unchanged or status.docmdp_ok is False:
        return Verification(SignatureCheck.MODIFIED, **facts)
    if not status.trusted:
        return Verification(SignatureCheck.UNKNOWN_SIGNER, **facts)
    return Verification(SignatureCheck.VALID, **facts)


def verify_upload(file_storage) -> Verification:
    """Check an uploaded file (size and content, as every upload) and verify it; only PDFs carry seals."""
    from . import files
    from .errors import ValidationError

    data, content_type = files.check_upload(file_storage, field="file")
    if content_type != "application/pdf":
        raise ValidationError(_("Chỉ kiểm tra được tệp PDF đã ký số; tệp %(name)s là ảnh.",
                                name=file_storage.filename), field="file")
    return verify(data)


# -- the province's certificate authority (demo, and `onestop certificates`) ------------------------


def _encryption():
    from cryptography.hazmat.primitives import serialization

    password = _password()
    return serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    tmp.replace(path)


def _common_name(name: str) -> str:
    """X.509 allows 64 bytes of common name; Vietnamese letters take two or three each."""
    encoded = name.encode("utf-8")[:64]
    return encoded.decode("utf-8", "ignore").strip()


def load_or_create_ca(name: str):
    """The CA's (certificate, key) in ONESTOP_SIGNING_DIR, created when missing. Returns (cert, key, created)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = signing_dir() / CA_CERT, signing_dir() / CA_KEY
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=_password())
        return cert, key, False
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.COMMON_NAME, _common_name(name))])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       _encryption()))
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key, True


def issue_agency_certificate(ca_cert, ca_key, identifier: str, name: str) -> Path:
    """A seal certificate for the agency (its name and identifier in the subject), stored as its .p12 file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, identifier),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.COMMON_NAME, _common_name(name))])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365 * AGENCY_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    blob = pkcs12.serialize_key_and_certificates(identifier.encode(), key, cert, [ca_cert], _encryption())
    path = certificate_path(identifier)
    _write(path, blob)
    return path


def default_ca_name() -> str:
    """The demo CA is named after the province (the agency tree's root)."""
    from .extensions import db
    from .models import Agency

    province = db.session.execute(
        db.select(Agency.name).where(Agency.parent_id.is_(None)).order_by(Agency.id).limit(1)).scalar()
    return f"CA chuyên dùng mẫu – {province}" if province else "CA chuyên dùng mẫu – OneStop"


def ensure_certificates(agencies, *, ca_name: str | None = None, renew: bool = False, progress=None) -> dict:
    """Create the CA and a certificate for each agency lacking one; returns counts. `progress(agency, path)`."""
    ca_cert, ca_key, created = load_or_create_ca(ca_name or default_ca_name())
    made = 0
    for agency in agencies:
        if not renew and certificate_path(agency.identifier).exists():
            continue
        path = issue_agency_certificate(ca_cert, ca_key, agency.identifier, agency.name)
        made += 1
        if progress is not None:
            progress(agency, path)
    return {"ca_created": created, "certificates": made}


def demo_enabled() -> bool:
    return bool(current_app.config.get("ONESTOP_SIGNING_DEMO"))
