"""PAKN (phản ánh, kiến nghị): code and deadline, who answers, the rating once, overdue flagged once."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from factories import receive, user, vn

from onestop import agencies, pakn, settings, sweep
from onestop.devdata.demo import CENTER, DEPT_CONSTRUCTION
from onestop.errors import Conflict, PermissionDenied, ValidationError
from onestop.extensions import db
from onestop.models import OutboxMessage, Pakn
from onestop.status import PaknStatus, Rating

TEXT = "Cán bộ tiếp nhận hẹn tôi quay lại ba lần mà không nói rõ thiếu giấy tờ gì."


def file_about_centre(at=None, **kw):
    item = pakn.file(kind="complaint", agency=agencies.get_by_identifier(CENTER), content=TEXT,
                     now=at or vn(2026, 11, 30, 9, 0), **kw)
    db.session.commit()
    return item


def test_a_pakn_gets_a_code_a_key_and_a_deadline_in_working_days(demo):
    item = file_about_centre(contact_name="Nguyễn Văn Đức", contact_phone="0912345678")
    assert item.code == f"PAKN-2026-{item.id:06d}"
    assert len(item.key) == 8 and item.status == PaknStatus.OPEN
    # Monday 30/11 09:00 + 10 working days (the default) = Monday 14/12 09:00.
    assert item.due_at == vn(2026, 12, 14, 9, 0)
    assert pakn.find(item.code, item.key.lower()) is item
    assert pakn.find(item.code, "WRONGKEY") is None


def test_the_deadline_follows_the_province_setting(demo):
    settings.update(user("admin"), {"pakn_answer_days": "3"})
    db.session.commit()
    item = file_about_centre()  # Monday + 3 working days = Thursday
    assert item.due_at == vn(2026, 12, 3, 9, 0)


def test_anonymous_pakn_keeps_no_contact_and_bad_input_is_refused(demo):
    item = file_about_centre(anonymous=True, contact_name="Ai đó", contact_email="a@example.vn")
    assert (item.contact_name, item.contact_email, item.anonymous) == (None, None, True)
    with pytest.raises(ValidationError):
        pakn.file(kind="complaint", agency=agencies.get_by_identifier(CENTER), content="ngắn")
    with pytest.raises(ValidationError):
        pakn.file(kind="rumour", agency=agencies.get_by_identifier(CENTER), content=TEXT)


def test_a_pakn_about_a_dossier_is_listed_with_it(demo):
    dossier = receive("1.009994", at=vn(2026, 11, 30, 8, 30))
    item = pakn.file(kind="recommendation", agency=dossier.receiving_agency, content=TEXT, dossier=dossier)
    db.session.commit()
    assert [p.code for p in pakn.for_dossier(dossier.id)] == [item.code]


def test_only_staff_of_the_agency_or_leaders_above_answer(demo):
    item = file_about_centre()
    with pytest.raises(PermissionDenied):
        pakn.answer(item, user("chuyenvien"), "Chúng tôi đã tiếp thu và xử lý.")
    assert item.status == PaknStatus.OPEN
    # A leader of an agency above: a unit under the Department of Construction.
    unit = agencies.create_agency("000.21.01.H56", "Phòng Quản lý xây dựng", DEPT_CONSTRUCTION, kind="office")
    below = pakn.file(kind="complaint", agency=unit, content=TEXT, now=vn(2026, 11, 30, 9, 0))
    db.session.commit()
    assert pakn.may_answer(user("lanhdao"), below) and not pakn.may_answer(user("chuyenvien"), below)
    assert not pakn.may_answer(user("lanhdao"), item)
    # The desk's own clerk answers, once; audited.
    pakn.answer(item, user("tiepnhan"), "Trung tâm đã kiểm tra và nhắc nhở cán bộ tiếp nhận.",
                now=vn(2026, 12, 1, 10, 0))
    db.session.commit()
    assert item.status == PaknStatus.ANSWERED and item.answered_by.username == "tiepnhan"
    assert item.answered_at == vn(2026, 12, 1, 10, 0)
    with pytest.raises(Conflict):
        pakn.answer(item, user("tiepnhan"), "Trả lời lần hai không được nhận.")
    db.session.rollback()
    assert db.session.get(Pakn, item.id).answer.startswith("Trung tâm đã kiểm tra")


def test_staff_lists_show_their_agency_only(demo):
    file_about_centre()
    counts = pakn.counts(user("tiepnhan"), now=vn(2026, 12, 20, 9, 0))
    assert counts == {"open": 1, "overdue": 1, "answered": 0}
    assert pakn.counts(user("chuyenvien"), now=vn(2026, 12, 20, 9, 0)) == {"open": 0, "overdue": 0, "answered": 0}


def test_the_citizen_rates_the_answer_once(demo):
    item = file_about_centre()
    with pytest.raises(Conflict):
        pakn.rate(item, "satisfied")  # not answered yet
    db.session.rollback()
    pakn.answer(item, user("tiepnhan"), "Trung tâm đã kiểm tra và nhắc nhở cán bộ tiếp nhận.")
    pakn.rate(item, "not_satisfied")
    db.session.commit()
    with pytest.raises(Conflict):
        pakn.rate(item, "very_satisfied")
    db.session.rollback()
    assert db.session.get(Pakn, item.id).rating == Rating.NOT_SATISFIED


def test_overdue_pakn_are_flagged_once_by_the_sweep_with_a_notice(demo):
    leader = user("lanhdao")
    leader.email = "lanhdao@sonha.gov.vn"
    db.session.commit()
    unanswered = pakn.file(kind="complaint", agency=leader.agency, content=TEXT, now=vn(2026, 11, 30, 9, 0))
    answered = pakn.file(kind="complaint", agency=leader.agency, content=TEXT, now=vn(2026, 11, 30, 9, 0))
    pakn.answer(answered, leader, "Sở đã trả lời công dân bằng văn bản.", now=vn(2026, 12, 1, 9, 0))
    db.session.commit()
    assert sweep.run(vn(2026, 12, 14, 8, 0), respect_interval=False)["pakn_overdue"] == 0  # not yet due
    assert sweep.run(vn(2026, 12, 14, 10, 0), respect_interval=False)["pakn_overdue"] == 1
    assert sweep.run(vn(2026, 12, 15, 10, 0), respect_interval=False)["pakn_overdue"] == 0  # once
    assert db.session.get(Pakn, unanswered.id).overdue_flagged_at == vn(2026, 12, 14, 10, 0)
    assert db.session.get(Pakn, answered.id).overdue_flagged_at is None
    notices = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == "pakn_overdue")).scalars().all()
    assert [(m.recipient, unanswered.code in m.subject) for m in notices] == [("lanhdao@sonha.gov.vn", True)]
