"""The daily job forgets expired online drafts and their kept files; a draft still in time stays."""
from __future__ import annotations

import io
from datetime import timedelta

from factories import APPLICANT, procedure
from werkzeug.datastructures import FileStorage

from onestop import filestore, scheduler, submission
from onestop.extensions import db
from onestop.models import OnlineDraft
from onestop.timeutil import now as utcnow

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _draft(proc, *, days_ago: int, contact: str):
    draft, _token = submission.save_details(proc, None, dict(APPLICANT), contact,
                                            now=utcnow() - timedelta(days=days_ago))
    kept = submission.attach(draft, 0, FileStorage(io.BytesIO(PDF), "don.pdf", content_type="application/pdf"))
    db.session.commit()
    return draft.id, kept.stored_name


def test_expired_drafts_and_their_files_go_the_fresh_one_stays(app, demo):
    proc = procedure("1.009994")
    old_id, old_file = _draft(proc, days_ago=submission.DRAFT_DAYS + 1, contact="cu@example.vn")
    new_id, new_file = _draft(proc, days_ago=0, contact="moi@example.vn")
    store = filestore.current()
    assert store.exists(old_file) and store.exists(new_file)

    assert scheduler.run_drafts(app) == {"deleted": 1}

    db.session.expire_all()
    assert db.session.get(OnlineDraft, old_id) is None and not store.exists(old_file)
    assert db.session.get(OnlineDraft, new_id) is not None and store.exists(new_file)
    assert scheduler.run_drafts(app) == {"deleted": 0}
