"""`onestop portal-sync` and `onestop portal-resend`: the national portal outbox, for cron and operators."""
import json

import click
import sqlalchemy as sa

from .. import portal_sync
from ..extensions import db
from ..models import Dossier
from .core import fail


def register(group) -> None:
    group.add_command(portal_sync_command)
    group.add_command(portal_resend_command)


@click.command("portal-sync")
@click.option("--limit", type=click.IntRange(1, 10000), default=portal_sync.BATCH, show_default=True)
def portal_sync_command(limit):
    """Deliver the due records to the national portal now; prints progress, then one JSON line."""
    if not portal_sync.enabled():
        click.echo("ONESTOP_PORTAL_URL chưa đặt: chưa đồng bộ, các bản ghi vẫn chờ gửi.", err=True)

    def progress(done, total):
        click.echo(f"{done}/{total}", err=True)

    result = portal_sync.deliver(limit=limit, progress=progress)
    click.echo(json.dumps({**result, "states": portal_sync.summary()}, ensure_ascii=False))


@click.command("portal-resend")
@click.option("--dossier", "code", default=None, help="Mã hồ sơ: gửi lại bản ghi đầy đủ của hồ sơ.")
@click.option("--failed", is_flag=True, help="Đưa mọi bản ghi gửi lỗi trở lại hàng đợi.")
def portal_resend_command(code, failed):
    """Queue a dossier's full record again, or every failed record."""
    if bool(code) == bool(failed):
        fail("hãy chỉ định --dossier MÃ hoặc --failed")
    if code:
        dossier = db.session.execute(sa.select(Dossier).where(Dossier.code == code.strip())).scalar_one_or_none()
        if dossier is None:
            fail(f"không có hồ sơ {code}")
        row = portal_sync.resend_dossier(dossier)
        db.session.commit()
        click.echo(f"Đã xếp hàng bản ghi {row.id} của hồ sơ {dossier.code} ({row.state_label}).")
        return
    n = portal_sync.requeue_failed()
    db.session.commit()
    click.echo(f"Đã đưa {n} bản ghi gửi lỗi trở lại hàng đợi.")
