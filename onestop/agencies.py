"""The agency tree (province → departments and districts → communes)."""
import re

import sqlalchemy as sa
from flask_babel import gettext as _

from .errors import ValidationError
from .extensions import db
from .models import AGENCY_KINDS, Agency

# National identifier of a unit in document systems, e.g. 000.00.17.H56 (letters+digits groups).
IDENTIFIER_RE = re.compile(r"^[0-9A-Z]{2,3}(\.[0-9A-Z]{2,3}){2,3}$")


def get_by_identifier(identifier: str) -> Agency | None:
    return db.session.execute(db.select(Agency).filter_by(identifier=identifier)).scalar_one_or_none()


def create_agency(identifier: str, name: str, parent_identifier: str | None = None,
                  kind: str | None = None, address: str | None = None) -> Agency:
    """Add an agency; flushes. Raises ValidationError naming the field."""
    identifier = (identifier or "").strip().upper()
    if not IDENTIFIER_RE.match(identifier):
        raise ValidationError(_("Mã định danh cơ quan không hợp lệ (ví dụ 000.00.17.H56)."), field="identifier")
    if get_by_identifier(identifier) is not None:
        raise ValidationError(_("Mã định danh %(identifier)s đã tồn tại.", identifier=identifier), field="identifier")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Tên cơ quan là bắt buộc."), field="name")
    parent = None
    if parent_identifier:
        parent = get_by_identifier(parent_identifier.strip().upper())
        if parent is None:
            raise ValidationError(_("Không tìm thấy cơ quan cấp trên %(identifier)s.", identifier=parent_identifier),
                              field="parent")
    kind = kind or ("department" if parent else "province")
    if kind not in AGENCY_KINDS:
        raise ValidationError(_("Loại cơ quan không hợp lệ."), field="kind")
    agency = Agency(identifier=identifier, name=name, parent=parent, kind=kind, address=address)
    db.session.add(agency)
    db.session.flush()
    return agency


def subtree_ids(agency_id: int) -> list[int]:
    """The agency and all agencies below it (one recursive query)."""
    tree = sa.select(Agency.id).where(Agency.id == agency_id).cte("tree", recursive=True)
    tree = tree.union_all(sa.select(Agency.id).where(Agency.parent_id == tree.c.id))
    return list(db.session.execute(sa.select(tree.c.id)).scalars())
