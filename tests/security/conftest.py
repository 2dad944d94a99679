"""Security fixtures: a real dossier of 1.009994 held by Sở Xây dựng, with a scan and a token."""
from __future__ import annotations

import pytest
from factories import act, receive, user
from securitykit import PDF, Case

from onestop import accounts, files
from onestop.extensions import db


@pytest.fixture
def case(demo):
    d = receive("1.009994")
    act(d, "forward", "tiepnhan")
    att = files.save_bytes(d, PDF, kind="scan", original_name="scan.pdf", content_type="application/pdf",
                           user=user("tiepnhan"))
    token, _ = accounts.create_token(user("chuyenvien"), "security tests")
    db.session.commit()
    return Case(dossier=d, code=d.code, attachment_id=att.id, token_id=token.id)
