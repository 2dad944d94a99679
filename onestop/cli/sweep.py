"""`onestop sweep` and `onestop notices ...`: the deadline sweep and the outbox, for cron and operators."""
import json

import click
import sqlalchemy as sa

from .. import notices, sweep
from ..extensions import db
from ..models import OutboxMessage
from ..timeutil import iso, parse_iso
from .core import fail


def register(group) -> None:
    group.add_command(sweep_command)
    group.add_command(notices_group)
    group.add_command(scheduler_command)


@click.command("scheduler")
def scheduler_command():
    """Run the sweep and the notice delivery on schedule until stopped (production: one such process)."""
    from flask import current_app

    from .. import scheduler

    click.echo("Bộ lập lịch OneStop đang chạy (Ctrl+C để dừng).", err=True)
    scheduler.run_forever(current_app._get_current_object())


def _moment(value):
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        fail(f"thời điểm không hợp lệ: {value!r} (ISO-8601, ví dụ 2026-11-21T09:30:00+07:00)")


@click.command("sweep")
@click.option("--at", "at", default=None, help="Thời điểm quét (ISO-8601); mặc định: bây giờ.")
@click.option("--force", is_flag=True, help="Quét cả khi lần quét trước còn trong chu kỳ (vẫn giữ khóa).")
def sweep_command(at, force):
    """One deadline sweep; prints one JSON line of newly flagged dossiers."""
    result = sweep.run(_moment(at), respect_interval=not force)
    click.echo(json.dumps(result, ensure_ascii=False))


@click.group("notices", help="Hộp thư đi: email và webhook (outbox).")
def notices_group():
    pass


@notices_group.command("deliver")
@click.option("--at", "at", default=None, help="Thời điểm gửi (ISO-8601); mặc định: bây giờ.")
def notices_deliver(at):
    """Send the due pending messages once; prints one JSON line of outcomes."""
    click.echo(json.dumps(notices.deliver(_moment(at)), ensure_ascii=False))


@notices_group.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), default=None)
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
def notices_list(status, limit):
    """The newest messages: id, status, channel, kind, attempts, recipient, last error."""
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    click.echo(json.dumps(notices.summary(), ensure_ascii=False))
    for m in db.session.execute(stmt).scalars():
        line = f"{m.id}\t{m.status}\t{m.channel}\t{m.kind}\t{m.attempts}\t{m.recipient}\t{iso(m.next_attempt_at)}"
        if m.last_error:
            line += f"\t{m.last_error}"
        click.echo(line)


@notices_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Gửi lại mọi thư đã thất bại.")
def notices_retry(ids, all_failed):
    """Put failed messages (or the given ids) back in the queue."""
    if not ids and not all_failed:
        fail("hãy chỉ định mã thư hoặc --all-failed")
    n = notices.requeue(list(ids), all_failed=all_failed)
    db.session.commit()
    click.echo(f"Đã đưa {n} thư trở lại hàng đợi.")
