"""Agencies, users, tokens, calendar, catalogue import and demo data."""
import json
import os
import sys
from datetime import date
from pathlib import Path

import click

from .. import accounts, admin_ops, agencies, calendar
from ..audit import record
from ..devdata import demo
from ..errors import DomainError
from ..extensions import db
from ..models import User


def fail(message: str) -> None:
    """One line on stderr and a non-zero exit (CONTRACT.md)."""
    db.session.rollback()
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(1)


def register(group) -> None:
    group.add_command(agency_group)
    group.add_command(user_group)
    group.add_command(token_group)
    group.add_command(calendar_group)
    group.add_command(procedures_group)
    group.add_command(demo_command)


@click.group("agency", help="Cơ quan (agencies).")
def agency_group():
    pass


@agency_group.command("create")
@click.argument("identifier")
@click.option("--name", required=True, help="Tên cơ quan.")
@click.option("--parent", default=None, help="Mã định danh cơ quan cấp trên.")
@click.option("--kind", default=None, help="province, center, department, district, commune, office.")
def agency_create(identifier, name, parent, kind):
    """Add an agency, e.g. 000.00.17.H56."""
    try:
        agency = agencies.create_agency(identifier, name, parent, kind)
        record("admin.agency_create", target=agency, actor_name="cli",
               details={"after": {"identifier": agency.identifier, "name": agency.name}})
        db.session.commit()
    except DomainError as exc:
        fail(exc.message)
    click.echo(f"Đã tạo cơ quan {agency.identifier} – {agency.name}")


@click.group("user", help="Tài khoản cán bộ (staff accounts).")
def user_group():
    pass


@user_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "clerk", "specialist", "leader", "inspector"]))
@click.option("--agency", "agency_code", required=True, help="Mã định danh cơ quan.")
@click.option("--name", "full_name", required=True, help="Họ và tên.")
@click.option("--email", default=None)
def user_create(username, role, agency_code, full_name, email):
    """Add a staff account; the password comes from ONESTOP_PASSWORD or a prompt."""
    password = os.environ.get("ONESTOP_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            fail("cần ONESTOP_PASSWORD hoặc nhập mật khẩu từ bàn phím")
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(username, role=role, agency_identifier=agency_code,
                                    full_name=full_name, password=password, email=email)
        record("admin.user_create", target=user, actor_name="cli",
               details={"after": {"username": user.username, "role": role, "agency": agency_code}})
        db.session.commit()
    except DomainError as exc:
        fail(exc.message)
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role_label})")


@click.group("token", help="Mã truy cập API (API tokens).")
def token_group():
    pass


@token_group.command("create")
@click.argument("username")
@click.option("--name", default=None, help="Ghi chú cho token (vd. tên hệ thống tích hợp).")
def token_create(username, name):
    """Print a new API token for the user, and only the token."""
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is None:
        fail(f"không có tài khoản {username}")
    if not user.active:
        fail(f"tài khoản {username} đã bị vô hiệu hóa")
    token, raw = accounts.create_token(user, name)
    record("admin.token_create", target=user, actor_name="cli", details={"prefix": token.prefix})
    db.session.commit()
    click.echo(raw)


@click.group("calendar", help="Lịch làm việc (working calendar).")
def calendar_group():
    pass


@calendar_group.command("set")
@click.argument("day")
@click.option("--off", "kind", flag_value="off", help="Ngày nghỉ.")
@click.option("--work", "kind", flag_value="work", help="Ngày làm việc (làm bù).")
@click.option("--clear", "kind", flag_value="clear", help="Bỏ điều chỉnh, theo lịch mặc định.")
@click.option("--reason", default=None)
def calendar_set(day, kind, reason):
    """Override one day: DATE as YYYY-MM-DD (or DD/MM/YYYY)."""
    if kind is None:
        fail("cần --off, --work hoặc --clear")
    try:
        parsed = date.fromisoformat(day) if "-" in day else date(*reversed([int(x) for x in day.split("/")]))
    except (ValueError, TypeError):
        fail(f"ngày không hợp lệ: {day}")
    before = calendar.set_override(parsed, None if kind == "clear" else kind, reason)
    record("admin.calendar_set", actor_name="cli", target_type="calendar", target_id=parsed.isoformat(),
           details={"before": before, "after": None if kind == "clear" else {"kind": kind, "reason": reason}})
    db.session.commit()
    labels = {"off": "ngày nghỉ", "work": "ngày làm việc", "clear": "theo lịch mặc định"}
    click.echo(f"{parsed:%d/%m/%Y}: {labels[kind]}")


@click.group("procedures", help="Danh mục thủ tục hành chính (procedure catalogue).")
def procedures_group():
    pass


@procedures_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def procedures_import(file):
    """Import a JSON (or CSV) catalogue; importing the same file again changes nothing."""
    path = Path(file)
    if not path.exists():
        fail(f"không tìm thấy tệp {file}")
    try:
        result = admin_ops.import_catalogue(None, path.name, path.read_bytes())
        db.session.commit()
    except DomainError as exc:
        fail(exc.message)
    click.echo(json.dumps(result.summary()))


@click.command("demo")
def demo_command():
    """Load the demo province once (agencies, procedures, one user per role)."""
    added = demo.load()
    db.session.commit()
    click.echo(f"Dữ liệu mẫu: thêm {added['agencies']} cơ quan, {added['users']} tài khoản, "
               f"{added['procedures']} thủ tục.")
    click.echo(f"Tài khoản mẫu (mật khẩu: {demo.DEMO_PASSWORD}):")
    for username, role, agency, full_name in demo.USERS:
        click.echo(f"  {username:<20} {role:<11} {agency}  {full_name}")
