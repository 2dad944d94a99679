"""`onestop score766 rebuild|keep-up`: the kept facts of Decision 766 (onestop/reports/facts766.py)."""
import click

from .. import jobs
from ..extensions import db


def register(group) -> None:
    group.add_command(score766_group)


@click.group("score766")
def score766_group():
    """Số liệu Quyết định 766 được lưu sẵn theo ngày (Decision 766's kept daily facts)."""


def _run(work) -> dict:
    result = jobs.run("score766", work)
    if result.get("skipped"):
        raise click.ClickException("Một tiến trình khác đang cập nhật số liệu 766; thử lại sau.")
    return result


@score766_group.command("rebuild")
def rebuild_command():
    """Đếm lại toàn bộ số liệu 766 từ hồ sơ (count every day again from the dossiers)."""
    from ..reports import facts766

    total = facts766.days_to_close()
    with click.progressbar(length=max(total, 1), label="Đếm lại số liệu 766 theo ngày",
                           file=click.get_text_stream("stderr")) as bar:
        result = _run(lambda now: facts766.rebuild(now, progress=bar.update))
    click.echo(f"Đã đếm {result['closed']} ngày; chụp hồ sơ đang giải quyết cuối {result['open_taken']} ngày.")


@score766_group.command("keep-up")
def keep_up_command():
    """Chốt các ngày đã qua và đếm lại ngày có thay đổi (what the scheduler does every few minutes)."""
    from ..reports import facts766

    result = _run(lambda now: facts766.keep_up(now))
    click.echo(f"Đã chốt {result['closed']} ngày, đếm lại {result['recounted']} ngày có thay đổi.")
    db.session.remove()
