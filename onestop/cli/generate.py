"""`onestop generate`: bulk synthetic dossiers for demos and benchmarks."""
import sys
import time

import click

from ..extensions import db


def register(group):
    group.add_command(generate_command)


@click.command("generate")
@click.option("--dossiers", "count", required=True, type=click.IntRange(1, 20_000_000),
              help="Số hồ sơ cần sinh (number of dossiers).")
@click.option("--seed", default=1, show_default=True, type=int, help="Hạt giống ngẫu nhiên (same seed, same data).")
@click.option("--workers", type=click.IntRange(1, 16), default=None,
              help="Số tiến trình dựng dữ liệu (processes building batches; default: 2 on PostgreSQL).")
def generate_command(count, seed, workers):
    """Bulk synthetic dossiers over the last two years across the demo agencies and procedures."""
    from ..devdata import generate as generator  # only when used: keeps every other command's start-up light

    started = time.monotonic()
    try:
        with click.progressbar(length=count, label="Đang sinh hồ sơ", file=sys.stderr) as bar:
            counts = generator.generate(count, seed=seed, progress=bar.update, workers=workers)
    except Exception as exc:  # one line on stderr, non-zero exit (CONTRACT.md)
        db.session.rollback()
        click.echo(f"Lỗi: {exc}", err=True)
        sys.exit(1)
    elapsed = time.monotonic() - started
    click.echo(f"Đã sinh {counts.get('dossiers', 0)} hồ sơ, {counts.get('steps', 0)} bước xử lý, "
               f"{counts.get('events', 0)} sự kiện, {counts.get('feedback', 0)} đánh giá "
               f"trong {elapsed:.1f} giây ({counts.get('dossiers', 0) / max(elapsed, 1e-9):.0f} hồ sơ/giây).")
