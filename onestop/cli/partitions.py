"""`onestop partitions`: create the coming years' partitions of the history and the notices (PostgreSQL)."""
import click

from .. import partitions
from ..extensions import db


def register(group) -> None:
    group.add_command(partitions_command)


@click.command("partitions")
@click.option("--ahead", type=click.IntRange(0, 20), default=partitions.AHEAD, show_default=True,
              help="Số năm tạo trước (years created ahead of this one).")
def partitions_command(ahead):
    """Tạo trước phân vùng theo năm cho lịch sử hồ sơ và thông báo (PostgreSQL)."""
    with db.engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            click.echo("Cơ sở dữ liệu không phải PostgreSQL: không có phân vùng.")
            return
        if not any(partitions.is_partitioned(conn, t) for t in partitions.TABLES):
            click.echo("Các bảng chưa được phân vùng (chạy `flask --app wsgi db upgrade`).")
            return
        created = partitions.ensure_ahead(conn, ahead=ahead,
                                          progress=lambda table, year: click.echo(f"  {table} {year}: có", err=True))
        counts = partitions.row_counts(conn)
    click.echo(f"Đã tạo {len(created)} phân vùng mới" + (f": {', '.join(created)}" if created else "."))
    for name, rows in sorted(counts.items()):
        click.echo(f"  {name}: ~{rows:,} dòng".replace(",", "."))
