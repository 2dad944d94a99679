"""Online submission (nộp hồ sơ trực tuyến): drafts, the confirmed contact, uploads, reuse, the desk's answer.

A citizen's browser holds a draft token (only its SHA-256 is stored). The draft
keeps the applicant's details, the contact proved with a one-time code
(onestop/otp.py) and one checked file per required document (onestop/files.py
checks, as at the desk). Submitting turns the draft into a dossier through
`workflow.submit_online` (status `submitted`, channel online, at the procedure's
main desk); the draft row is locked and remembers its dossier, so a double click
or a retry gives the same dossier, never a second one. Drafts expire after
DRAFT_DAYS.

A returning citizen who proves the same ID number and contact may reuse the
scans of their earlier dossiers (`Attachment.reused_from_id`, the 766 reuse
indicator); nothing is offered from a dossier of another ID number or contact.

After submission the citizen answers from the lookup page (with the key): the
desk's "complete it" (`ask_completion`) and the agency's supplement request, by
uploading exactly what is missing (`workflow.citizen_event`).
"""
from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from . import files, filestore, mailer, otp, transaction, validation, workflow
from .errors import Conflict, NotFound, ValidationError
from .extensions import db
from .models import Attachment, Dossier, DossierEvent, OnlineDraft, OnlineDraftFile, OutboxMessage, Procedure, User
from .papers.common import lookup_url
from .status import Channel, OnlineLevel
from .status import DossierStatus as S
from .timeutil import fmt_datetime
from .timeutil import now as utcnow

DRAFT_DAYS = 7
COOKIE = "onestop_draft"
PURPOSE = "online_submit"
# Online submissions confirmed with one contact per day (beyond that, the desk).
MAX_PER_CONTACT_PER_DAY = 5
REUSE_LIMIT = 50
ONLINE_LEVELS = (OnlineLevel.FULL, OnlineLevel.PARTIAL)


def offered_online(procedure: Procedure) -> bool:
    return procedure.active and procedure.online_level in ONLINE_LEVELS


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- drafts ----------------------------------------------------------------------

def draft_for(token: str | None, procedure: Procedure | None = None, *, now: datetime | None = None,
              lock: bool = False) -> OnlineDraft | None:
    """The draft this browser holds (for that procedure), unless it expired."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    stmt = sa.select(OnlineDraft).where(OnlineDraft.token_hash == _token_hash(token),
                                        OnlineDraft.expires_at > (now or utcnow()))
    if procedure is not None:
        stmt = stmt.where(OnlineDraft.procedure_id == procedure.id)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.execute(stmt).scalar_one_or_none()


def save_details(procedure: Procedure, draft: OnlineDraft | None, applicant: dict, contact,
                 *, now: datetime | None = None) -> tuple[OnlineDraft, str | None]:
    """Check the applicant and the contact (as the desk does) and keep them; a new draft gives a new token."""
    if not offered_online(procedure):
        raise ValidationError(_("Thủ tục này không được cung cấp trực tuyến; vui lòng nộp tại bộ phận một cửa."),
                              field="procedure_code")
    if draft is not None and draft.dossier_id is not None:
        draft = None  # already submitted: a new submission starts a new draft
    now = now or utcnow()
    person = validation.applicant(applicant)
    _channel, contact = otp.normalise(contact)
    token = None
    if draft is None:
        token = secrets.token_urlsafe(32)
        draft = OnlineDraft(token_hash=_token_hash(token), procedure_id=procedure.id, created_at=now)
        db.session.add(draft)
    if draft.contact != contact or (draft.applicant or {}).get("id_number") != person["id_number"]:
        draft.contact_confirmed_at = None  # what was proved no longer matches
        for f in list(draft.files):
            if f.reused_from_id is not None:
                draft.files.remove(f)
    draft.applicant, draft.contact = person, contact
    draft.updated_at, draft.expires_at = now, now + timedelta(days=DRAFT_DAYS)
    db.session.flush()
    return draft, token


def send_code(draft: OnlineDraft, *, now: datetime | None = None) -> otp.Issued:
    """A one-time code to the draft's contact."""
    if not draft.contact:
        raise ValidationError(_("Hãy nhập thông tin người nộp và địa chỉ liên hệ trước."), field="contact")
    return otp.issue(draft.contact, PURPOSE, now=now)


def confirm_contact(draft: OnlineDraft, code, *, now: datetime | None = None) -> None:
    """The code sent to the contact: the contact is the citizen's (wrong codes are counted by otp)."""
    now = now or utcnow()
    otp.check(draft.contact, PURPOSE, code, now=now)
    draft.contact_confirmed_at = now
    draft.updated_at = now
    db.session.flush()


def required_documents(procedure: Procedure) -> list[str]:
    return [doc.name for doc in procedure.documents]


def _store(data: bytes, content_type: str) -> str:
    stored_name = uuid.uuid4().hex
    store = filestore.current()
    store.put(stored_name, data, content_type)
    transaction.track_stored(lambda: store.delete(stored_name))
    return stored_name


def _slot(draft: OnlineDraft, position: int) -> str:
    names = required_documents(draft.procedure)
    if not isinstance(position, int) or not 0 <= position < len(names):
        raise ValidationError(_("Giấy tờ không có trong thành phần hồ sơ của thủ tục."), field="documents")
    for f in list(draft.files):
        if f.position == position:
            draft.files.remove(f)
    db.session.flush()
    return names[position]


def attach(draft: OnlineDraft, position: int, file_storage, *, now: datetime | None = None) -> OnlineDraftFile:
    """Check one upload by content and size (as at the desk) and keep it for that required document."""
    data, content_type = files.check_upload(file_storage, field=f"file_{position}")
    name = _slot(draft, position)
    row = OnlineDraftFile(position=position, document_name=name, original_name=files._clean_name(file_storage.filename),
                          stored_name=_store(data, content_type), content_type=content_type, size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), created_at=now or utcnow())
    draft.files.append(row)
    draft.updated_at = now or utcnow()
    db.session.flush()
    return row


def reusable(draft: OnlineDraft) -> list[Attachment]:
    """Scans of this citizen's earlier dossiers: same ID number and the same contact, proved in this draft."""
    if draft.contact_confirmed_at is None or not draft.applicant:
        return []
    contact = draft.contact
    mine = sa.select(Dossier.id).where(
        Dossier.applicant_id_number == draft.applicant["id_number"],
        sa.or_(Dossier.contact_confirmed == contact, Dossier.applicant_email == contact,
               Dossier.applicant_phone == contact))
    return list(db.session.execute(
        sa.select(Attachment).where(Attachment.kind == "scan", Attachment.dossier_id.in_(mine))
        .order_by(Attachment.id.desc()).limit(REUSE_LIMIT)).scalars())


def reuse(draft: OnlineDraft, position: int, attachment_id, *, now: datetime | None = None) -> OnlineDraftFile:
    """Use an earlier scan of this same citizen for a required document (refused for anyone else's)."""
    offered = {a.id: a for a in reusable(draft)}
    att = offered.get(attachment_id) if isinstance(attachment_id, int) else None
    if att is None:
        raise ValidationError(_("Không dùng lại được giấy tờ này: chỉ dùng lại giấy tờ của chính ông/bà đã nộp "
                                "trước đây."), field=f"reuse_{position}")
    name = _slot(draft, position)
    row = OnlineDraftFile(position=position, document_name=name, original_name=att.original_name, stored_name=None,
                          content_type=att.content_type, size=att.size, sha256=att.sha256, reused_from_id=att.id,
                          created_at=now or utcnow())
    draft.files.append(row)
    db.session.flush()
    return row


def missing_documents(draft: OnlineDraft) -> list[str]:
    have = {f.position for f in draft.files}
    return [name for i, name in enumerate(required_documents(draft.procedure)) if i not in have]


# -- submitting -------------------------------------------------------------------

def _submitted_today(contact: str, now: datetime) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Dossier).where(
        Dossier.contact_confirmed == contact, Dossier.channel == Channel.ONLINE,
        Dossier.created_at > now - timedelta(days=1))).scalar_one()


def submit(token: str, procedure: Procedure, *, now: datetime | None = None) -> Dossier:
    """The draft becomes a dossier (once: a repeat of the same draft gives the same dossier)."""
    now = now or utcnow()
    draft = draft_for(token, procedure, now=now, lock=True)
    if draft is None:
        raise NotFound(_("Hồ sơ đang soạn đã hết hạn hoặc không còn. Vui lòng bắt đầu lại."))
    if draft.dossier_id is not None:
        return draft.dossier
    if draft.contact_confirmed_at is None:
        raise ValidationError(_("Hãy xác nhận địa chỉ liên hệ bằng mã xác nhận trước khi nộp."), field="code")
    missing = missing_documents(draft)
    if missing:
        raise ValidationError(_("Còn thiếu giấy tờ: %(names)s.", names="; ".join(missing)), field="documents")
    if _submitted_today(draft.contact, now) >= MAX_PER_CONTACT_PER_DAY:
        raise ValidationError(_("Địa chỉ liên hệ này đã nộp %(n)d hồ sơ trực tuyến trong 24 giờ qua. Vui lòng thử "
                                "lại sau hoặc nộp tại bộ phận một cửa.", n=MAX_PER_CONTACT_PER_DAY),
                              field="contact", code="online_too_many")
    applicant = dict(draft.applicant)
    if "@" in draft.contact and not applicant.get("email"):
        applicant["email"] = draft.contact
    documents = [{"name": d.name, "originals": d.originals, "copies": d.copies} for d in procedure.documents]
    dossier = workflow.submit_online(procedure=procedure, applicant=applicant, documents=documents,
                                     contact=draft.contact, now=now)
    _move_files(draft, dossier, now)
    draft.dossier_id = dossier.id
    draft.updated_at = now
    db.session.flush()
    with force_locale("vi"):
        text = _("Hồ sơ %(code)s (%(procedure)s) đã được nộp trực tuyến lúc %(at)s. Mã tra cứu: %(key)s. Bộ phận "
                 "một cửa sẽ kiểm tra và báo kết quả tiếp nhận. Tra cứu: %(url)s", code=dossier.code,
                 procedure=procedure.name, at=fmt_datetime(now), key=dossier.lookup_key, url=lookup_url(dossier))
        subject = "[Một cửa] " + _("Đã nộp trực tuyến hồ sơ %(code)s", code=dossier.code)
    tell(dossier, subject, text, kind="online.submitted")
    return dossier


def _move_files(draft: OnlineDraft, dossier: Dossier, now: datetime) -> None:
    for f in draft.files:
        if f.reused_from_id is not None:
            earlier = db.session.get(Attachment, f.reused_from_id)
            att = files.save_bytes(dossier, files.read_bytes(earlier), kind="scan", original_name=f.original_name,
                                   content_type=f.content_type)
            att.reused_from_id = earlier.id
        else:
            att = Attachment(dossier=dossier, kind="scan", original_name=f.original_name, stored_name=f.stored_name,
                             content_type=f.content_type, size=f.size, sha256=f.sha256, uploaded_at=now)
            db.session.add(att)
        att.document_name = f.document_name
    dossier.digitised = bool(draft.files) or dossier.digitised
    for f in list(draft.files):
        draft.files.remove(f)
    db.session.flush()


def forget_old_drafts(now: datetime | None = None, *, batch: int = 500) -> int:
    """Delete up to `batch` expired drafts and the files kept for them (files of submitted drafts belong to their
    dossier); the daily job calls it until none is left."""
    now = now or utcnow()
    old = list(db.session.execute(sa.select(OnlineDraft).where(OnlineDraft.expires_at <= now)
                                  .order_by(OnlineDraft.id).limit(batch)).scalars())
    store = filestore.current()
    for draft in old:
        for f in draft.files:
            if f.stored_name:
                store.delete(f.stored_name)
        db.session.delete(draft)
    db.session.flush()
    return len(old)


# -- telling the citizen -------------------------------------------------------------

def tell(dossier: Dossier, subject: str, text: str, *, kind: str) -> OutboxMessage | None:
    """A notice to the contact the citizen confirmed (email through the outbox, SMS through the gateway)."""
    contact = dossier.contact_confirmed
    if not contact:
        return None
    if "@" in contact:
        if not mailer.enabled():
            return None
        message = OutboxMessage(channel="email", recipient=contact, subject=subject, body=text + "\n", kind=kind,
                                dossier_id=dossier.id, next_attempt_at=utcnow())
    else:
        gateway = current_app.config.get("ONESTOP_SMS_GATEWAY_URL")
        if not gateway:
            return None
        body = json.dumps({"to": contact, "text": text, "kind": kind}, ensure_ascii=False, separators=(",", ":"))
        message = OutboxMessage(channel="webhook", recipient=gateway, subject="sms", body=body, kind=kind,
                                dossier_id=dossier.id, next_attempt_at=utcnow())
    db.session.add(message)
    return message


def _emailed_by_notices(dossier: Dossier) -> bool:
    """notices.py already emails the applicant's address for accept and refuse."""
    return bool(dossier.applicant_email and dossier.applicant_email == dossier.contact_confirmed
                and mailer.enabled())


# -- the desk's online queue ------------------------------------------------------------

def desk_queue(user: User, *, limit: int = 100) -> list[Dossier]:
    """Online submissions waiting at this clerk's desk, oldest first."""
    return list(db.session.execute(
        sa.select(Dossier).where(Dossier.receiving_agency_id == user.agency_id, Dossier.status == S.SUBMITTED,
                                 Dossier.channel == Channel.ONLINE)
        .order_by(Dossier.received_at, Dossier.id).limit(limit)).scalars())


def desk_dossier(user: User, code: str) -> Dossier:
    dossier = db.session.execute(sa.select(Dossier).where(Dossier.code == code)).scalar_one_or_none()
    if dossier is None or dossier.channel != Channel.ONLINE or dossier.receiving_agency_id != user.agency_id:
        raise NotFound(_("Không tìm thấy hồ sơ trực tuyến này ở bộ phận của ông/bà."))
    return dossier


def accept(dossier: Dossier, *, actor: User, version) -> DossierEvent:
    """Accept: the clock starts now (deadlines.replan_on_acceptance); the citizen is told the appointment."""
    event = workflow.accept(dossier, actor=actor, version=version)
    dossier.completion_requested_at = None
    if not _emailed_by_notices(dossier):
        with force_locale("vi"):
            tell(dossier, "[Một cửa] " + _("Hồ sơ %(code)s đã được tiếp nhận", code=dossier.code),
                 _("Hồ sơ %(code)s đã được tiếp nhận. Hẹn trả kết quả: %(due)s. Tra cứu: %(url)s",
                   code=dossier.code, due=fmt_datetime(dossier.due_at), url=lookup_url(dossier)),
                 kind="online.accept")
    return event


def refuse(dossier: Dossier, *, actor: User, version, reason) -> DossierEvent:
    event = workflow.refuse(dossier, actor=actor, version=version, reason=reason)
    if not _emailed_by_notices(dossier):
        with force_locale("vi"):
            tell(dossier, "[Một cửa] " + _("Hồ sơ %(code)s không được tiếp nhận", code=dossier.code),
                 _("Hồ sơ %(code)s không được tiếp nhận. Lý do: %(reason)s", code=dossier.code, reason=event.note),
                 kind="online.refuse")
    return event


def ask_completion(dossier: Dossier, *, actor: User, version, reason, documents: list[str]) -> DossierEvent:
    """Ask the citizen to complete the submission; they upload what is missing from the lookup page."""
    event = workflow.ask_completion(dossier, actor=actor, version=version, reason=reason, documents=documents)
    names = (event.data or {}).get("documents") or []
    with force_locale("vi"):
        text = _("Hồ sơ %(code)s cần hoàn thiện trước khi được tiếp nhận. %(reason)s", code=dossier.code,
                 reason=event.note)
        if names:
            text += " " + _("Giấy tờ cần nộp thêm: %(names)s.", names="; ".join(names))
        text += " " + _("Nộp thêm trên trang tra cứu: %(url)s", url=lookup_url(dossier))
        tell(dossier, "[Một cửa] " + _("Hồ sơ %(code)s cần hoàn thiện", code=dossier.code), text,
             kind="online.ask_completion")
    return event


# -- the citizen's answer on the lookup page -------------------------------------------

@dataclass
class Pending:
    """What the citizen is asked to upload now: for completion (desk) or a supplement (agency)."""

    kind: str  # completion | supplement
    documents: list[str]
    reason: str | None
    asked_at: datetime
    sent: list[Attachment]


def _last(dossier: Dossier, action: str) -> DossierEvent | None:
    return db.session.execute(sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id,
                                                            DossierEvent.action == action)
                              .order_by(DossierEvent.id.desc()).limit(1)).scalar_one_or_none()


def pending(dossier: Dossier) -> Pending | None:
    """The open request for papers the citizen may answer online, or None."""
    if dossier.status == S.SUBMITTED and dossier.completion_requested_at is not None:
        kind, event = "completion", _last(dossier, "ask_completion")
    elif dossier.status == S.SUPPLEMENT_REQUESTED:
        kind, event = "supplement", _last(dossier, "request_supplement")
    else:
        return None
    if event is None:
        return None
    sent = list(db.session.execute(sa.select(Attachment).where(
        Attachment.dossier_id == dossier.id, Attachment.kind == "scan", Attachment.uploaded_at >= event.at,
        Attachment.uploaded_by_id.is_(None)).order_by(Attachment.id)).scalars())
    return Pending(kind=kind, documents=list((event.data or {}).get("documents") or []), reason=event.note,
                   asked_at=event.at, sent=sent)


def answer(dossier: Dossier, uploads: list, note=None, *, now: datetime | None = None) -> DossierEvent:
    """The citizen uploads what was asked for: the files join the dossier, its history says so."""
    now = now or utcnow()
    asked = pending(dossier)
    if asked is None:
        raise Conflict(_("Hồ sơ không có yêu cầu nộp thêm giấy tờ nào đang chờ."), code="nothing_pending")
    note = validation.clean_str(note, "note", _("Ghi chú"), max_len=1000)
    names = asked.documents or [_("Giấy tờ bổ sung")]
    checked = []
    for i, fs in enumerate(uploads[:len(names)]):
        if fs is None or not getattr(fs, "filename", None):
            continue
        data, content_type = files.check_upload(fs, field=f"file_{i}")
        checked.append((names[i], fs.filename, data, content_type))
    if not checked:
        raise ValidationError(_("Hãy chọn ít nhất một tệp giấy tờ để nộp."), field="file_0")
    saved = []
    for name, original, data, content_type in checked:
        att = files.save_bytes(dossier, data, kind="scan", original_name=original, content_type=content_type)
        att.document_name = name
        att.uploaded_at = now
        saved.append(att)
    db.session.flush()
    action = "online_completion" if asked.kind == "completion" else "online_supplement"
    if asked.kind == "completion":
        dossier.completion_requested_at = None
    text = _("Đã nộp trực tuyến: %(names)s", names="; ".join(n for n, *_rest in checked))
    return workflow.citizen_event(dossier, action, note=text + (f". {note}" if note else ""), now=now,
                                  data={"documents": [n for n, *_rest in checked],
                                        "attachments": [a.id for a in saved]})
