"""`onestop certificates`: the province's demo CA and one seal certificate per agency (docs/esign.md)."""
import click

from .. import signing
from ..agencies import get_by_identifier
from ..extensions import db
from ..models import Agency
from .core import fail


def register(group) -> None:
    group.add_command(certificates_command)


@click.command("certificates")
@click.option("--agency", "identifiers", multiple=True, help="Chỉ cơ quan này (mã định danh; lặp lại được).")
@click.option("--renew", is_flag=True, help="Cấp lại cả chứng thư đã có.")
@click.option("--ca-name", default=None, help="Tên tổ chức cấp chứng thư mẫu (mặc định: theo tên tỉnh).")
def certificates_command(identifiers, renew, ca_name):
    """Create the demo CA and a certificate for every active agency that lacks one (PKCS#12 files)."""
    if identifiers:
        agencies = []
        for identifier in identifiers:
            agency = get_by_identifier(identifier)
            if agency is None:
                fail(f"không có cơ quan {identifier}")
            agencies.append(agency)
    else:
        agencies = list(db.session.execute(
            db.select(Agency).where(Agency.active.is_(True)).order_by(Agency.identifier)).scalars())
    directory = signing.signing_dir()
    click.echo(f"Thư mục chứng thư số: {directory}")

    def progress(agency, path):
        click.echo(f"  đã cấp {path.name}  {agency.name}")

    try:
        counts = signing.ensure_certificates(agencies, ca_name=ca_name, renew=renew, progress=progress)
    except (OSError, ValueError) as exc:
        fail(f"không tạo được chứng thư số: {exc}")
    if counts["ca_created"]:
        click.echo(f"Đã tạo CA mẫu: {directory / signing.CA_CERT}")
    click.echo(f"Đã cấp {counts['certificates']} chứng thư; {len(agencies) - counts['certificates']} cơ quan "
               "đã có sẵn.")
