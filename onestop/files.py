"""Stored files (scans, results, issued receipts): generated names outside static/, checked by content."""
from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from . import audit, filestore, signing, transaction
from .errors import ValidationError
from .extensions import db
from .models import Attachment, Dossier, User

# kind -> (content type, accepted file name extensions)
FILE_TYPES = {
    "pdf": ("application/pdf", (".pdf",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
}
MAGIC = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"))
# Browsers and scanners sometimes declare nothing useful; the content still decides.
UNDECLARED = ("", "application/octet-stream")
KINDS = ("scan", "result", "receipt", "slip")
# Kinds the issuing agency seals with its certificate when they are PDFs (onestop/signing.py).
SEALED_KINDS = ("result", "receipt")


def files_dir() -> Path:
    return Path(current_app.config["ONESTOP_FILES_DIR"])


def max_bytes() -> int:
    return int(current_app.config["ONESTOP_UPLOAD_MAX_BYTES"])


def path_of(att: Attachment) -> Path:
    """Where the attachment's bytes live in the local store (two-level fan-out keeps directories small)."""
    return filestore.LocalStore(files_dir()).path(att.stored_name)


def sniff(data: bytes) -> str | None:
    """The file type its first bytes reveal: pdf, jpeg, png, or None."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    return None


def _size_label(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{max(1, n // 1024)} KB"


def check_upload(file_storage, field: str = "scans") -> tuple[bytes, str]:
    """Read and check one upload: size, content (magic bytes), declared type and extension.

    Returns (data, content type); raises ValidationError with a Vietnamese message.
    """
    if file_storage is None or not getattr(file_storage, "filename", None):
        raise ValidationError(_("Chưa chọn tệp."), field=field)
    limit = max_bytes()
    data = file_storage.stream.read(limit + 1)
    name = file_storage.filename
    if len(data) > limit:
        raise ValidationError(
            _("Tệp %(name)s vượt quá dung lượng cho phép (tối đa %(size)s).", name=name, size=_size_label(limit)),
            field=field)
    if not data:
        raise ValidationError(_("Tệp %(name)s rỗng.", name=name), field=field)
    kind = sniff(data)
    if kind is None:
        raise ValidationError(
            _("Tệp %(name)s không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp).", name=name), field=field)
    content_type, extensions = FILE_TYPES[kind]
    declared = (file_storage.mimetype or "").lower()
    if declared not in UNDECLARED and declared != content_type:
        raise ValidationError(
            _("Tệp %(name)s khai báo kiểu %(declared)s nhưng nội dung là %(kind)s.",
              name=name, declared=declared, kind=kind.upper()), field=field)
    if not name.lower().endswith(extensions):
        raise ValidationError(
            _("Phần mở rộng của tệp %(name)s không khớp với nội dung (%(kind)s).", name=name, kind=kind.upper()),
            field=field)
    return data, content_type


def _clean_name(name: str) -> str:
    name = Path(name.replace("\\", "/")).name.strip() or "tep"
    return name[-200:]


def save_bytes(dossier: Dossier, data: bytes, *, kind: str, original_name: str, content_type: str,
               user: User | None = None) -> Attachment:
    """Store bytes under a generated name and add their Attachment row (flushed, not committed).

    Uploads by a user are audited; files the system issues (receipts) are not.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown attachment kind {kind!r}")
    if kind in SEALED_KINDS and sniff(data) == "pdf":
        data = _sealed(dossier, data, kind=kind, user=user)
    stored_name = uuid.uuid4().hex
    att = Attachment(dossier=dossier, kind=kind, original_name=_clean_name(original_name),
                     stored_name=stored_name, content_type=content_type, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=getattr(user, "id", None))
    store = filestore.current()
    store.put(stored_name, data, content_type)
    transaction.track_stored(lambda: store.delete(stored_name))  # removed again if this transaction rolls back
    db.session.add(att)
    if kind == "scan" and not dossier.digitised:
        dossier.digitised = True
    db.session.flush()
    if user is not None:
        audit.record("dossier.attach", actor=user, target=dossier,
                     details={"kind": kind, "name": att.original_name, "size": att.size, "sha256": att.sha256})
    return att


def _sealed(dossier: Dossier, data: bytes, *, kind: str, user: User | None) -> bytes:
    """A result sealed by the agency that completes it (an electronic result), a receipt by the receiving desk.

    Without a usable certificate the file is kept unsigned and staff are told why; an image result is never
    sealed, and neither counts as an electronic result.
    """
    with force_locale("vi"):  # the reason is part of the sealed paper, whoever uploads it
        if kind == "result":
            agency = getattr(user, "agency", None) or dossier.current_agency
            reason = _("Kết quả giải quyết hồ sơ %(code)s", code=dossier.code)
        else:
            agency = dossier.receiving_agency
            reason = _("Giấy tiếp nhận hồ sơ và hẹn trả kết quả, hồ sơ %(code)s", code=dossier.code)
    data, sealed = signing.seal_or_keep(data, agency, reason=reason)
    if sealed and kind == "result":
        dossier.electronic_result = True
    return data


def save_upload(dossier: Dossier, file_storage, kind: str, user: User | None, field: str = "scans") -> Attachment:
    """Check an uploaded file (werkzeug FileStorage) and store it with the dossier."""
    data, content_type = check_upload(file_storage, field=field)
    return save_bytes(dossier, data, kind=kind, original_name=file_storage.filename,
                      content_type=content_type, user=user)


def open_attachment(att: Attachment) -> BinaryIO:
    """The stored file, opened for reading in binary mode."""
    return filestore.current().open(att.stored_name)


def read_bytes(att: Attachment) -> bytes:
    with open_attachment(att) as fh:
        return fh.read()


def attachments_of(dossier: Dossier, kind: str | None = None) -> list[Attachment]:
    stmt = db.select(Attachment).where(Attachment.dossier_id == dossier.id)
    if kind:
        stmt = stmt.where(Attachment.kind == kind)
    return list(db.session.execute(stmt.order_by(Attachment.id)).scalars())
