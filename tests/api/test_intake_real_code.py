"""An API intake takes its code number last (issue 18): nothing anyone reads ever carries the stand-in code."""
from __future__ import annotations

import sqlalchemy as sa

from onestop.extensions import db
from onestop.models import ApiToken, AuditLog, Dossier, DossierEvent, PortalSync


def test_the_committed_dossier_and_everything_about_it_carry_the_real_code(api):
    first = api.intake()
    second = api.intake()
    codes = [first["code"], second["code"]]
    assert all(not c.startswith("~") for c in codes)
    assert int(codes[1].rsplit("-", 1)[-1]) == int(codes[0].rsplit("-", 1)[-1]) + 1  # gap-free, in order
    assert not db.session.execute(sa.select(Dossier.code).where(Dossier.code.like("~%"))).first()
    found = api.get(f"/dossiers?q={codes[0]}", as_="tiepnhan").get_json()
    assert [d["code"] for d in found["items"]] == [codes[0]]
    for table, column in ((AuditLog, sa.cast(AuditLog.details, sa.Text)), (DossierEvent, DossierEvent.note),
                          (DossierEvent, sa.cast(DossierEvent.data, sa.Text)), (PortalSync, PortalSync.payload)):
        assert not db.session.execute(sa.select(table.id).where(column.like("%~%"))).first(), table.__name__


def test_a_token_records_its_last_use_without_writing_on_every_request(api):
    api.intake()
    token = db.session.execute(sa.select(ApiToken)).scalars().first()
    used = token.last_used_at
    assert used is not None
    api.intake()
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == used  # within the minute: no write
