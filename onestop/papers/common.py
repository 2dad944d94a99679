"""What every paper shares: the national heading's data, the place and date line, names read in bulk."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Agency, Dossier, User
from ..timeutil import local
from ..urls import base_url

PLACE_PREFIXES = ("UBND tỉnh ", "UBND thành phố ", "Ủy ban nhân dân tỉnh ", "Ủy ban nhân dân thành phố ")
BLANK = ".........."  # where the form leaves a blank to fill in by hand


def lookup_url(dossier: Dossier) -> str:
    """The public lookup address printed in the receipt's QR code (with the citizen's key)."""
    base = base_url()
    return f"{base}/lookup/{quote(dossier.code, safe='')}?{urlencode({'key': dossier.lookup_key})}"


def top_of(agency: Agency | None) -> Agency | None:
    """The root of the agency's tree (the province)."""
    top = agency
    while top is not None and top.parent is not None:
        top = top.parent
    return top


def place_of(agency: Agency | None) -> str:
    """The place name written before the date: the province of the agency's tree."""
    top = top_of(agency)
    if top is None:
        return ""
    for prefix in PLACE_PREFIXES:
        if top.name.startswith(prefix):
            return top.name[len(prefix):]
    return top.name


def place_date(place: str | None, moment: datetime | None) -> str:
    """"Sơn Hà, ngày 20 tháng 11 năm 2026": the line under the national motto."""
    if moment is None:
        return _("%(place)s, ngày %(day)s tháng %(month)s năm %(year)s", place=place or BLANK,
                 day="....", month="....", year="........")
    day = local(moment)
    return _("%(place)s, ngày %(day)s tháng %(month)s năm %(year)s", place=place or BLANK,
             day=f"{day.day:02d}", month=f"{day.month:02d}", year=day.year)


def heading(agency: Agency | str | None, moment: datetime | None, number: str | None = None,
            parent: str | None = None) -> dict:
    """The national heading of a paper: governing body and issuing agency on the left (with the paper's
    number), the country, the motto and the place and date on the right.

    `agency` may be an Agency (its parent is the governing body, its province the place) or only a name.
    """
    if isinstance(agency, Agency):
        return {"parent": agency.parent.name if agency.parent is not None else parent, "agency": agency.name,
                "number": number, "place_date": place_date(place_of(agency), moment)}
    return {"parent": parent, "agency": agency or "", "number": number, "place_date": place_date(None, moment)}


def number_line(code: str | None) -> str | None:
    """"Số: <code>" under the issuing agency, when the paper has a number."""
    return _("Số: %(code)s", code=code) if code else None


def names(ids) -> dict[int, str]:
    """Full names of users by id, in one query."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {r.id: r.full_name for r in rows}


def agency_names(ids) -> dict[int, str]:
    """Agency names by id, in one query."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(Agency.id, Agency.name).where(Agency.id.in_(wanted)))
    return {r.id: r.name for r in rows}


def head_of(agency_id: int | None) -> str | None:
    """The name of the agency's leader who signs its letters (the first active leader by name)."""
    if agency_id is None:
        return None
    return db.session.execute(
        sa.select(User.full_name).where(User.agency_id == agency_id, User.role == "leader", User.active.is_(True))
        .order_by(User.full_name).limit(1)
    ).scalar_one_or_none()
