"""Database models: agencies, staff, procedures, dossiers and their history.

No `from __future__ import annotations` here: with it SQLAlchemy evaluates every `Mapped[...]` string at
import (about 0.1 s of each process start-up, issue 18); only forward references are quoted.
"""
from datetime import UTC, date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .status import Channel, DeadlineState, DossierStatus, EnumString, OnlineLevel, Rating, StepResult, TimeUnit


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores aware datetimes as naive UTC and gives them back aware (UTC).

    One representation on SQLite and PostgreSQL keeps comparisons in SQL exact.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL on SQLite
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ROLE_LABELS = {
    "admin": _l("Quản trị hệ thống"),
    "clerk": _l("Cán bộ tiếp nhận"),
    "specialist": _l("Chuyên viên"),
    "leader": _l("Lãnh đạo"),
    # -- roles: integrity (issue 20) --
    "inspector": _l("Thanh tra"),
}

AGENCY_KINDS = {
    "province": _l("UBND tỉnh, thành phố"),
    "center": _l("Trung tâm Phục vụ hành chính công tỉnh"),
    "center_branch": _l("Chi nhánh Trung tâm Phục vụ hành chính công tỉnh"),
    "department": _l("Sở, ban, ngành"),
    "commune": _l("UBND xã, phường, đặc khu"),
    "commune_center": _l("Trung tâm Phục vụ hành chính công xã, phường"),
    "office": _l("Phòng, đơn vị"),
    # Districts ended on 1 July 2025 (two-level local government); kept so older data stays readable.
    "district": _l("UBND cấp huyện (trước 01/7/2025)"),
}
# Kinds of agency that have a one-stop desk and may receive dossiers.
DESK_KINDS = ("center", "center_branch", "commune", "commune_center", "district")


class Agency(db.Model):
    __tablename__ = "agencies"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    identifier: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(255))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="department")
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("agencies.id"), index=True
    )
    address: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    active: so.Mapped[bool] = so.mapped_column(default=True)

    parent: so.Mapped["Agency | None"] = so.relationship(remote_side=[id], back_populates="children")
    children: so.Mapped[list["Agency"]] = so.relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<Agency {self.identifier}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    full_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    failed_logins: so.Mapped[int] = so.mapped_column(default=0)
    locked_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    # Part of the signed-in session's id (get_id): a new one (sign-out, password change or reset,
    # deactivation) ends every session that carries the old one, copied cookies included.
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64), default=lambda: User.new_session_token())

    agency: so.Mapped["Agency"] = so.relationship()

    @staticmethod
    def new_session_token() -> str:
        from secrets import token_urlsafe

        return token_urlsafe(24)

    def rotate_session_token(self) -> None:
        """End every session of this user (they sign in again)."""
        self.session_token = self.new_session_token()

    def get_id(self) -> str:  # Flask-Login's alternative id: the session ends when the token changes
        if not self.session_token:
            self.rotate_session_token()
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        from flask import current_app, has_app_context

        method = "scrypt"
        if has_app_context():
            method = current_app.config.get("ONESTOP_PASSWORD_METHOD", method)
        self.password_hash = generate_password_hash(password, method=method)
        self.rotate_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS.get(self.role, self.role))

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(12))
    name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    user: so.Mapped[User] = so.relationship()


class Procedure(db.Model):
    __tablename__ = "procedures"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(500))
    name_search: so.Mapped[str] = so.mapped_column(sa.String(600), default="")
    field: so.Mapped[str] = so.mapped_column(sa.String(200), index=True)
    time_limit: so.Mapped[int] = so.mapped_column()
    time_unit: so.Mapped[str] = so.mapped_column(sa.String(20), default="working_days")
    same_day: so.Mapped[bool] = so.mapped_column(default=False)
    fee: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    receiving_agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    clock_on_supplement: so.Mapped[str] = so.mapped_column(sa.String(10), default="restart")
    result_location: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    # Decree 118/2025: the agency that decides (None: the first agency of the route), the desks that may
    # receive (`desks`; `receiving_agency` is the main one and always among them), or any desk of the
    # province for procedures published as received regardless of administrative boundary.
    deciding_agency_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("agencies.id"))
    anywhere: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # A shorter time limit for dossiers submitted online (same unit), and how far it is offered online.
    online_time_limit: so.Mapped[int | None] = so.mapped_column()
    online_level: so.Mapped[OnlineLevel] = so.mapped_column(EnumString(OnlineLevel, 10), default=OnlineLevel.NONE,
                                                          server_default=OnlineLevel.NONE.value)
    legal_basis: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Decision 766 transparency: the date of the decision announcing (or amending) the procedure, the date
    # it was published on the portal, whether that decision amends it, and whether it is published in full.
    announced_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    published_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    amended: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    published_in_full: so.Mapped[bool | None] = so.mapped_column()

    receiving_agency: so.Mapped["Agency"] = so.relationship(foreign_keys=[receiving_agency_id])
    deciding_agency: so.Mapped["Agency | None"] = so.relationship(foreign_keys=[deciding_agency_id])
    desks: so.Mapped[list["Agency"]] = so.relationship(secondary="procedure_desks", order_by="Agency.identifier")
    documents: so.Mapped[list["ProcedureDocument"]] = so.relationship(
        order_by="ProcedureDocument.position", cascade="all, delete-orphan",
        back_populates="procedure",
    )
    route: so.Mapped[list["RouteStep"]] = so.relationship(
        order_by="RouteStep.position", cascade="all, delete-orphan", back_populates="procedure",
    )

    @property
    def is_interagency(self) -> bool:
        return len({step.agency_id for step in self.route}) > 1

    @property
    def time_label(self) -> str:
        return self._time_label(self.time_limit)

    @property
    def online_time_label(self) -> str | None:
        return self._time_label(self.online_time_limit) if self.online_time_limit else None

    def _time_label(self, amount: int) -> str:
        if self.same_day:
            return _("Trong ngày")
        if self.time_unit == TimeUnit.WORKING_HOURS:
            return _("%(n)s giờ làm việc", n=amount)
        if self.time_unit == TimeUnit.CALENDAR_DAYS:
            return _("%(n)s ngày", n=amount)
        return _("%(n)s ngày làm việc", n=amount)

    @property
    def deciding(self) -> Agency:
        """The competent agency: the one named, else the first of the route."""
        return self.deciding_agency or (self.route[0].agency if self.route else self.receiving_agency)


class ProcedureDocument(db.Model):
    __tablename__ = "procedure_documents"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    procedure_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("procedures.id"), index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    name: so.Mapped[str] = so.mapped_column(sa.String(500))
    originals: so.Mapped[int] = so.mapped_column(default=1)
    copies: so.Mapped[int] = so.mapped_column(default=0)

    procedure: so.Mapped[Procedure] = so.relationship(back_populates="documents")


procedure_desks = sa.Table(
    "procedure_desks", db.metadata,
    sa.Column("procedure_id", sa.ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id"), primary_key=True, index=True),
)


class Setting(db.Model):
    """A province's choice for one rule (see onestop/settings.py for the rules and their defaults)."""

    __tablename__ = "settings"

    key: so.Mapped[str] = so.mapped_column(sa.String(60), primary_key=True)
    value: so.Mapped[dict | list | int | str | None] = so.mapped_column(sa.JSON)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))


class RouteStep(db.Model):
    __tablename__ = "route_steps"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    procedure_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("procedures.id"), index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"))
    time: so.Mapped[int] = so.mapped_column()
    task: so.Mapped[str | None] = so.mapped_column(sa.String(255))

    procedure: so.Mapped[Procedure] = so.relationship(back_populates="route")
    agency: so.Mapped["Agency"] = so.relationship()


class DossierStatusFacts:
    """What a dossier's status says, for the ORM dossier and for the rows read without it (citizen.py)."""

    @property
    def status_label(self) -> str:
        return DossierStatus(self.status).label

    @property
    def status_code(self) -> int:
        return DossierStatus(self.status).code

    @property
    def is_open(self) -> bool:
        return DossierStatus(self.status).is_open


class Dossier(DossierStatusFacts, db.Model):
    __tablename__ = "dossiers"
    __table_args__ = (
        sa.Index("ix_dossiers_agency_status_due", "current_agency_id", "status", "due_at", "id"),
        sa.Index("ix_dossiers_agency_received", "current_agency_id", "received_at", "id"),
        sa.Index("ix_dossiers_agency_due", "current_agency_id", "due_at", "id"),
        sa.Index("ix_dossiers_status_due", "status", "due_at"),
        sa.Index("ix_dossiers_receiving_received", "receiving_agency_id", "received_at", "id"),
        sa.Index("ix_dossiers_received_at", "received_at"),
        sa.Index("ix_dossiers_finished_at", "finished_at"),
        sa.Index("ix_dossiers_procedure", "procedure_id", "received_at"),
        # The sweep's partial index (ix_dossiers_sweep_open) is declared in deadlines.py, beside its rule.
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    lookup_key: so.Mapped[str] = so.mapped_column(sa.String(16))
    procedure_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("procedures.id"))
    receiving_agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"))
    current_agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"))
    current_step_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("dossier_steps.id", use_alter=True)
    )
    assignee_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    status: so.Mapped[DossierStatus] = so.mapped_column(EnumString(DossierStatus, 24))
    channel: so.Mapped[Channel] = so.mapped_column(EnumString(Channel, 10))

    applicant_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    applicant_id_number: so.Mapped[str | None] = so.mapped_column(sa.String(20), index=True)
    applicant_phone: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    applicant_email: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    applicant_address: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    applicant_tax_code: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    # Lower-case, diacritic-free "code name" used by searches (see text.fold).
    search_text: so.Mapped[str] = so.mapped_column(sa.String(300), default="")

    fee: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    sets: so.Mapped[int] = so.mapped_column(default=1)
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)

    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    clock_started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    handover_due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    original_due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    apology_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    paused_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    supplement_count: so.Mapped[int] = so.mapped_column(default=0)
    # The citizen's time to supply the papers asked for; flagged once by the sweep when it passes.
    supplement_due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    supplement_expired: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # When the sweep warned the agency that an apology is due (so that it comes a working day ahead).
    apology_warned_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    payment_amount: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    finish_state: so.Mapped[DeadlineState | None] = so.mapped_column(EnumString(DeadlineState, 10))
    returned_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    collected_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    collected_id_number: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    # Set by the deadline sweep: 0 nothing, 1 due soon flagged, 2 overdue flagged.
    alert_level: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)
    digitised: so.Mapped[bool] = so.mapped_column(default=False)
    electronic_result: so.Mapped[bool] = so.mapped_column(default=False)
    # -- Dossier columns: Decision 766 indicators (issue 15) --
    # Paid online (None: no fee was paid, or the desk did not record how), and the identity checked
    # against the national population database (None: not recorded). Read by reports/score766.py.
    paid_online: so.Mapped[bool | None] = so.mapped_column()
    population_checked: so.Mapped[bool | None] = so.mapped_column()
    # -- Dossier columns: online public services (issue 16) --
    # The desk asked the citizen to complete an online submission (still `submitted`); cleared when they do.
    completion_requested_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # -- Dossier columns: the desk's fixes (issue 19) --
    # -- Dossier columns: integrity (issue 20) --
    # The contact (phone or email, as typed) the desk proved is the applicant's with a one-time code, and when.
    contact_confirmed: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    contact_confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # -- Dossier columns: queue (issue 21) --

    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Bumped by exactly one per workflow action (compare-and-swap in workflow.perform).
    version: so.Mapped[int] = so.mapped_column(default=1)

    procedure: so.Mapped[Procedure] = so.relationship()
    receiving_agency: so.Mapped["Agency"] = so.relationship(foreign_keys=[receiving_agency_id])
    current_agency: so.Mapped["Agency"] = so.relationship(foreign_keys=[current_agency_id])
    assignee: so.Mapped[User | None] = so.relationship(foreign_keys=[assignee_id])
    created_by: so.Mapped[User | None] = so.relationship(foreign_keys=[created_by_id])
    documents: so.Mapped[list["DossierDocument"]] = so.relationship(
        order_by="DossierDocument.position", cascade="all, delete-orphan", back_populates="dossier"
    )
    steps: so.Mapped[list["DossierStep"]] = so.relationship(
        order_by="DossierStep.seq", cascade="all, delete-orphan", back_populates="dossier",
        foreign_keys="DossierStep.dossier_id",
    )
    current_step: so.Mapped["DossierStep | None"] = so.relationship(
        foreign_keys=[current_step_id], post_update=True
    )
    events: so.Mapped[list["DossierEvent"]] = so.relationship(
        order_by="DossierEvent.id", cascade="all, delete-orphan", back_populates="dossier"
    )

    @property
    def channel_label(self) -> str:
        channel = Channel.parse(self.channel)
        return channel.label if channel else str(self.channel)

    def __repr__(self) -> str:
        return f"<Dossier {self.code} {self.status}>"


class DossierDocument(db.Model):
    __tablename__ = "dossier_documents"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    name: so.Mapped[str] = so.mapped_column(sa.String(500))
    originals: so.Mapped[int] = so.mapped_column(default=0)
    copies: so.Mapped[int] = so.mapped_column(default=0)
    certified_copies: so.Mapped[int] = so.mapped_column(default=0)
    # Of the certified copies, how many are electronic certified copies (None: not recorded; Decision 766).
    e_certified_copies: so.Mapped[int | None] = so.mapped_column()

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="documents")


class DossierStep(db.Model):
    """One agency's turn with a dossier: the desk's hand-over or a route step."""

    __tablename__ = "dossier_steps"
    __table_args__ = (
        sa.Index("ix_dossier_steps_dossier_seq", "dossier_id", "seq"),
        sa.Index("ix_dossier_steps_agency_result", "agency_id", "result"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dossiers.id"))
    seq: so.Mapped[int] = so.mapped_column()
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(10), default="route")  # desk|route|extra
    task: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    share: so.Mapped[int] = so.mapped_column(default=0)
    started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    result: so.Mapped[StepResult | None] = so.mapped_column(EnumString(StepResult, 10))
    given_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    received_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    handed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    alert_level: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="steps", foreign_keys=[dossier_id])
    agency: so.Mapped["Agency"] = so.relationship()
    given_by: so.Mapped[User | None] = so.relationship(foreign_keys=[given_by_id])
    handed_by: so.Mapped[User | None] = so.relationship(foreign_keys=[handed_by_id])

    @property
    def result_label(self) -> str:
        result = StepResult.parse(self.result)
        return result.label if result else ""


# Actions the citizen takes online; their events have no staff actor.
CITIZEN_ACTIONS = frozenset({"submit", "online_completion", "online_supplement"})
ACTION_LABELS = {
    "intake": _l("Tiếp nhận hồ sơ"),
    "submit": _l("Đăng ký trực tuyến"),
    "accept": _l("Tiếp nhận hồ sơ"),
    "refuse": _l("Từ chối tiếp nhận"),
    "forward": _l("Chuyển xử lý"),
    "request_supplement": _l("Yêu cầu bổ sung hồ sơ"),
    "supplement_received": _l("Nhận hồ sơ bổ sung"),
    "request_payment": _l("Yêu cầu thực hiện nghĩa vụ tài chính"),
    "payment_received": _l("Đã thực hiện nghĩa vụ tài chính"),
    "stop": _l("Dừng xử lý"),
    "complete": _l("Hoàn thành xử lý, chuyển trả kết quả"),
    "return": _l("Trả kết quả"),
    "withdraw": _l("Công dân rút hồ sơ"),
    "apologize": _l("Xin lỗi và hẹn lại ngày trả kết quả"),
    "reassign": _l("Phân công xử lý"),
    "due_soon": _l("Sắp đến hạn"),
    "overdue": _l("Quá hạn"),
    "step_overdue": _l("Bước xử lý quá hạn"),
    "attach": _l("Đính kèm tệp"),
    "feedback": _l("Đánh giá mức độ hài lòng"),
    # -- actions: online public services (issue 16) --
    "ask_completion": _l("Yêu cầu hoàn thiện hồ sơ trực tuyến"),
    "online_completion": _l("Công dân hoàn thiện hồ sơ trực tuyến"),
    "online_supplement": _l("Công dân nộp bổ sung trực tuyến"),
}


class DossierEvent(db.Model):
    __tablename__ = "dossier_events"
    __table_args__ = (
        sa.Index("ix_dossier_events_dossier", "dossier_id", "id"),
        sa.Index("ix_dossier_events_action_at", "action", "at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dossiers.id"))
    action: so.Mapped[str] = so.mapped_column(sa.String(30))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    status_from: so.Mapped[DossierStatus | None] = so.mapped_column(EnumString(DossierStatus, 24))
    status_to: so.Mapped[DossierStatus | None] = so.mapped_column(EnumString(DossierStatus, 24))
    from_agency_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("agencies.id"))
    to_agency_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("agencies.id"))
    step_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("dossier_steps.id"))
    step_due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    step_result: so.Mapped[StepResult | None] = so.mapped_column(EnumString(StepResult, 10))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Details that are not for citizens' eyes (documents asked for, amounts, new dates).
    data: so.Mapped[dict | None] = so.mapped_column(sa.JSON)

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="events")
    actor: so.Mapped[User | None] = so.relationship()
    from_agency: so.Mapped["Agency | None"] = so.relationship(foreign_keys=[from_agency_id])
    to_agency: so.Mapped["Agency | None"] = so.relationship(foreign_keys=[to_agency_id])

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def by_citizen(self) -> bool:
        """Done by the citizen online (submitting, completing, supplementing), not by staff or the system."""
        return self.actor_id is None and self.action in CITIZEN_ACTIONS


class CodeSequence(db.Model):
    """Last dossier number given per receiving unit per day (no gaps, no reuse)."""

    __tablename__ = "code_sequences"

    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    last_value: so.Mapped[int] = so.mapped_column(default=0)


class CalendarOverride(db.Model):
    __tablename__ = "calendar_overrides"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(4))  # off | work
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class Attachment(db.Model):
    """A stored file: a scan, a result, or an issued receipt/slip (kept as issued)."""

    __tablename__ = "attachments"
    __table_args__ = (sa.Index("ix_attachments_dossier_kind", "dossier_id", "kind"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dossiers.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))  # scan | result | receipt | slip
    original_name: so.Mapped[str] = so.mapped_column(sa.String(255))
    stored_name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(80))
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    uploaded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    # A document digitised for an earlier dossier of the same citizen, reused instead of a new upload (766).
    reused_from_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("attachments.id"))
    # Which required (or asked-for) document this scan is, when the citizen uploaded it online.
    document_name: so.Mapped[str | None] = so.mapped_column(sa.String(500))

    dossier: so.Mapped[Dossier] = so.relationship()
    uploaded_by: so.Mapped[User | None] = so.relationship()


class Feedback(db.Model):
    __tablename__ = "feedback"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dossiers.id"), unique=True)
    rating: so.Mapped[Rating] = so.mapped_column(EnumString(Rating, 20), index=True)
    comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    # -- Feedback columns: integrity (issue 20) --
    # Optional answers, never shown to the desk: did anyone ask for money or offer to speed the dossier up;
    # did the citizen have to come more than once.
    asked_money: so.Mapped[bool | None] = so.mapped_column()
    came_again: so.Mapped[bool | None] = so.mapped_column()
    # The anonymous PAKN a "yes" to money opened for the inspection staff.
    pakn_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("pakn.id"))

    dossier: so.Mapped[Dossier] = so.relationship()
    pakn: so.Mapped["Pakn | None"] = so.relationship()

    @property
    def rating_label(self) -> str:
        return Rating(self.rating).label


class OutboxMessage(db.Model):
    """A notice to deliver (email or webhook), written with the change that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))  # email | webhook
    recipient: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    subject: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    dossier_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending")  # pending|sent|failed
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())


class AuditLog(db.Model):
    """Append-only record of sign-ins, dossier actions, admin changes and exports."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_at", "at"), sa.Index("ix_audit_log_action", "action"))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    ip: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    action: so.Mapped[str] = so.mapped_column(sa.String(60))
    target_type: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    target_id: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    details: so.Mapped[dict | None] = so.mapped_column(sa.JSON)


class SweepState(db.Model):
    """When the deadline sweep last ran (one row)."""

    __tablename__ = "sweep_state"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    last_run_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_result: so.Mapped[dict | None] = so.mapped_column(sa.JSON)


class SignInThrottle(db.Model):
    """Failed sign-ins counted per (account, address), per address and per account (onestop/throttle.py).

    `kind` is "pair", "address", "account" or "known" (an address the account signed in from); unused
    parts of the key are "". Names are kept as typed, so unknown accounts are throttled like real ones.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (sa.Index("ix_sign_in_throttle_updated_at", "updated_at"),)

    kind: so.Mapped[str] = so.mapped_column(sa.String(8), primary_key=True)
    account: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True, default="")
    address: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True, default="")
    failures: so.Mapped[int] = so.mapped_column(default=0)
    window_started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    next_allowed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class LookupFailure(db.Model):
    """Wrong second factors given for one dossier; past a threshold only the printed lookup key opens it."""

    __tablename__ = "lookup_failures"

    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"),
                                                  primary_key=True)
    failures: so.Mapped[int] = so.mapped_column(default=0)
    last_failed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())


class IdempotentRequest(db.Model):
    """The first answer to a request sent with an idempotency key; a repeat (same user and key) gets it again."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "scope", "key", name="uq_idempotent_requests_user_scope_key"),
        sa.Index("ix_idempotent_requests_created_at", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    scope: so.Mapped[str] = so.mapped_column(sa.String(120))
    key: so.Mapped[str] = so.mapped_column(sa.String(200))
    # SHA-256 of what was asked (method, path and body): the same key with another request is refused.
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))
    status: so.Mapped[int | None] = so.mapped_column()
    body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    location: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


# -- Tables: PAKN and the national portal sync (issue 15) --
from .status import PaknKind, PaknStatus, SyncState  # noqa: E402


class Pakn(db.Model):
    """A citizen's complaint or recommendation (phản ánh, kiến nghị) about a dossier or a desk (onestop/pakn.py)."""

    __tablename__ = "pakn"
    __table_args__ = (
        sa.Index("ix_pakn_agency_status_due", "agency_id", "status", "due_at"),
        sa.Index("ix_pakn_created_at", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)  # PAKN-2026-000123
    kind: so.Mapped[PaknKind] = so.mapped_column(EnumString(PaknKind, 20))
    status: so.Mapped[PaknStatus] = so.mapped_column(EnumString(PaknStatus, 12), default=PaknStatus.OPEN)
    dossier_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    # The agency concerned: it answers (its staff, or leaders of the agencies above it).
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    content: so.Mapped[str] = so.mapped_column(sa.Text)
    contact_name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    contact_phone: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    contact_email: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    anonymous: so.Mapped[bool] = so.mapped_column(default=False)
    # With the code, what lets the citizen see the answer and rate it.
    key: so.Mapped[str] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    due_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    answered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    answer: so.Mapped[str | None] = so.mapped_column(sa.Text)
    answered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    rating: so.Mapped[Rating | None] = so.mapped_column(EnumString(Rating, 20))
    rated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    overdue_flagged_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    dossier: so.Mapped[Dossier | None] = so.relationship()
    agency: so.Mapped["Agency"] = so.relationship()
    answered_by: so.Mapped[User | None] = so.relationship()

    @property
    def kind_label(self) -> str:
        return PaknKind(self.kind).label

    @property
    def status_label(self) -> str:
        return PaknStatus(self.status).label

    @property
    def rating_label(self) -> str | None:
        return Rating(self.rating).label if self.rating else None


class PortalSync(db.Model):
    """A record for the national portal (DongBoHoSoMC or CapNhatTienDoHoSoMC), written with the change.

    `event_id` is the history row it comes from; not a foreign key, as dossier_events is partitioned
    by year on PostgreSQL and a partitioned table cannot be referenced.
    """

    __tablename__ = "portal_sync"
    __table_args__ = (
        sa.Index("ix_portal_sync_state_next", "state", "next_attempt_at"),
        sa.UniqueConstraint("event_id", "service", name="uq_portal_sync_event_service"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    event_id: so.Mapped[int | None] = so.mapped_column()
    service: so.Mapped[str] = so.mapped_column(sa.String(40))
    payload: so.Mapped[str] = so.mapped_column(sa.Text)  # JSON, as sent
    state: so.Mapped[SyncState] = so.mapped_column(EnumString(SyncState, 10), default=SyncState.PENDING)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    dossier: so.Mapped[Dossier] = so.relationship()

    @property
    def state_label(self) -> str:
        return SyncState(self.state).label



# -- Tables: online public services (issue 16) --


class OneTimeCode(db.Model):
    """A one-time code sent to a citizen's email or phone (onestop/otp.py); only its keyed hash is kept."""

    __tablename__ = "one_time_codes"
    __table_args__ = (sa.Index("ix_one_time_codes_contact_purpose", "contact", "purpose", "created_at"),
                      sa.Index("ix_one_time_codes_expires_at", "expires_at"))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    contact: so.Mapped[str] = so.mapped_column(sa.String(255))
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))  # email | sms
    purpose: so.Mapped[str] = so.mapped_column(sa.String(40))
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())


class OnlineDraft(db.Model):
    """An online submission being written (onestop/submission.py); the citizen's browser holds its token."""

    __tablename__ = "online_drafts"
    __table_args__ = (sa.Index("ix_online_drafts_expires_at", "expires_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # SHA-256 of the token in the citizen's cookie; the token itself is never stored.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    procedure_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("procedures.id", ondelete="CASCADE"))
    applicant: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    contact: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    contact_confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    dossier_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("dossiers.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    procedure: so.Mapped[Procedure] = so.relationship()
    dossier: so.Mapped[Dossier | None] = so.relationship()
    files: so.Mapped[list["OnlineDraftFile"]] = so.relationship(
        order_by="OnlineDraftFile.position", cascade="all, delete-orphan", back_populates="draft")


class OnlineDraftFile(db.Model):
    """One required document of a draft: a checked upload kept in the file store, or an earlier scan reused."""

    __tablename__ = "online_draft_files"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    draft_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("online_drafts.id", ondelete="CASCADE"), index=True)
    position: so.Mapped[int] = so.mapped_column()
    document_name: so.Mapped[str] = so.mapped_column(sa.String(500))
    original_name: so.Mapped[str] = so.mapped_column(sa.String(255))
    stored_name: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    content_type: so.Mapped[str] = so.mapped_column(sa.String(80))
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    reused_from_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("attachments.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    draft: so.Mapped[OnlineDraft] = so.relationship(back_populates="files")


class BlankForm(db.Model):
    """A blank form (mẫu đơn, tờ khai) the admin uploads for one required document of a procedure."""

    __tablename__ = "blank_forms"
    __table_args__ = (sa.UniqueConstraint("procedure_id", "document_name",
                                          name="uq_blank_forms_procedure_document"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    procedure_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("procedures.id", ondelete="CASCADE"))
    # Keyed by the document's name, so that editing the procedure's other rows keeps it.
    document_name: so.Mapped[str] = so.mapped_column(sa.String(500))
    original_name: so.Mapped[str] = so.mapped_column(sa.String(255))
    stored_name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(80))
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    uploaded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))



# -- Tables: the province's face (issue 19) --
class ProvinceFace(db.Model):
    """The one row naming the province on every page: name, emblem, banner colour, contacts (admin page)."""

    __tablename__ = "province_face"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    banner_color: so.Mapped[str] = so.mapped_column(sa.String(7), default="#0b4f8a", server_default="#0b4f8a")
    address: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    hotline: so.Mapped[str | None] = so.mapped_column(sa.String(50))
    working_hours: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    emblem: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)
    emblem_type: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


# -- Tables: integrity and broker leads (issue 20) --


class LeadReview(db.Model):
    """A leader's or inspector's note that a broker lead was looked at (onestop/integrity.py); audited."""

    __tablename__ = "lead_reviews"
    __table_args__ = (sa.Index("ix_lead_reviews_kind_key", "kind", "key", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    key: so.Mapped[str] = so.mapped_column(sa.String(255))
    note: so.Mapped[str] = so.mapped_column(sa.Text)
    reviewed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))

    reviewed_by: so.Mapped[User] = so.relationship()


# The broker signals group the dossiers by contact; these let a lead's dossiers be listed without a scan.
sa.Index("ix_dossiers_applicant_phone", Dossier.applicant_phone, Dossier.received_at)
sa.Index("ix_dossiers_applicant_email", Dossier.applicant_email, Dossier.received_at)
sa.Index("ix_dossiers_collected_id_number", Dossier.collected_id_number, Dossier.returned_at)


# -- Tables: the centre's floor, counters and tickets (issue 21) --
from .status import TicketState  # noqa: E402


class QueueCounter(db.Model):
    """A counter (quầy) of a desk's hall and the fields it serves (none listed: every field)."""

    __tablename__ = "queue_counters"
    __table_args__ = (sa.UniqueConstraint("agency_id", "number", name="uq_queue_counters_agency_number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"))
    number: so.Mapped[int] = so.mapped_column()
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    fields: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    agency: so.Mapped["Agency"] = so.relationship()


class QueueSequence(db.Model):
    """Last queue number handed out per desk per local day (one upsert per ticket, like CodeSequence)."""

    __tablename__ = "queue_sequences"

    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    last_value: so.Mapped[int] = so.mapped_column(default=0)


class QueueTicket(db.Model):
    """A number taken at a desk's kiosk, from taking to the end of its service."""

    __tablename__ = "queue_tickets"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "day", "number", name="uq_queue_tickets_agency_day_number"),
        sa.Index("ix_queue_tickets_agency_day_state", "agency_id", "day", "state", "id"),
        sa.Index("ix_queue_tickets_agency_taken", "agency_id", "taken_at"),
        sa.Index("ix_queue_tickets_counter_state", "counter_id", "state"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"))
    day: so.Mapped[date] = so.mapped_column(sa.Date)
    number: so.Mapped[int] = so.mapped_column()
    field: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    state: so.Mapped[TicketState] = so.mapped_column(EnumString(TicketState, 12), default=TicketState.WAITING)
    # The public status page's address: unguessable, so numbers cannot be walked through.
    token: so.Mapped[str] = so.mapped_column(sa.String(24), unique=True)
    # The kiosk form's one-time token: a double tap gives the same ticket, not two.
    request_token: so.Mapped[str | None] = so.mapped_column(sa.String(40), unique=True)
    taken_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    called_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_called_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    calls: so.Mapped[int] = so.mapped_column(default=0)
    started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    done_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    counter_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("queue_counters.id"))
    clerk_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    dossier_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("dossiers.id"), index=True)

    agency: so.Mapped["Agency"] = so.relationship()
    counter: so.Mapped[QueueCounter | None] = so.relationship()

    @property
    def state_label(self) -> str:
        return TicketState(self.state).label


class CounterRating(db.Model):
    """A citizen's rating on the counter's tablet, once per ticket; anonymous to the desk's staff."""

    __tablename__ = "counter_ratings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("queue_tickets.id"), unique=True)
    counter_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("queue_counters.id"), index=True)
    dossier_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("dossiers.id"), index=True)
    rating: so.Mapped[Rating] = so.mapped_column(EnumString(Rating, 20))
    # Did anyone ask for money or offer to speed things up; did the citizen have to come more than once.
    asked_money: so.Mapped[bool | None] = so.mapped_column()
    came_again: so.Mapped[bool | None] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)



# The deadline rules declare the sweep's partial indexes; load them with the models.
from . import deadlines as _deadlines  # noqa: E402,F401

# -- Tables: performance facts (issue 18) --
# The sweep's partial indexes on steps and dossiers are declared in deadlines.py beside the rules they follow.


# -- Tables: Decision 766 facts (issues 15 and 18) --
# Counts kept as dossiers move (onestop/reports/facts766.py), so a year's score reads a few thousand rows
# instead of every dossier. One row per (local day or month, procedure, receiving desk); the columns are the
# counts score766.py defines (received_conditions, ended_conditions, open_conditions).
FACT_RECEIVED = ("new", "new_online", "digitised", "pop_known", "pop_checked", "reused",
                 "ecert_known", "ecert_base", "ecert_yes")
FACT_ENDED = ("ended", "pulled", "finished", "fin_ok", "fin_late", "fin_not_satisfied", "fin_pakn", "fin_bad",
              "result_fin", "e_result", "end_synced", "end_fee_known", "end_paid_online")
FACT_OPEN = ("open", "open_ok", "open_synced", "open_fee_known", "open_paid_online")


def _fact_columns(names: tuple[str, ...]) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in names]


def _facts_table(name: str, first: str, names: tuple[str, ...]) -> sa.Table:
    """A kept-facts table: one row per (day or month, procedure, receiving desk) with its counts."""
    return sa.Table(
        name, db.metadata,
        sa.Column(first, sa.Date, primary_key=True),
        sa.Column("procedure_id", sa.Integer, primary_key=True),
        sa.Column("desk_id", sa.Integer, primary_key=True),
        *_fact_columns(names),
    )


score766_days = _facts_table("score766_days", "day", FACT_RECEIVED + FACT_ENDED)
score766_months = _facts_table("score766_months", "month", FACT_RECEIVED + FACT_ENDED)  # its first day
# The dossiers still open when a day closed, as they stood then (taken as the day closes, and by a rebuild
# for the last day of every month before it).
score766_open = _facts_table("score766_open", "day", FACT_OPEN)
# One row per closed day: its counts are in score766_days (and its month's in score766_months) unless
# score766_dirty names it: a change to one of its dossiers after it closed (the listener in marks766.py).
score766_ledger = sa.Table(
    "score766_ledger", db.metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("counted_at", UTCDateTime()),
    sa.Column("open_taken_at", UTCDateTime()),  # the open dossiers at its end are in score766_open
)
score766_dirty = sa.Table(
    "score766_dirty", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, nullable=False, index=True),
)

# The flush listener marking the closed days of the 766 facts a change touches (issues 15 and 18).
from . import marks766 as _marks766  # noqa: E402,F401
