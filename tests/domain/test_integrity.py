"""Broker signals: a planted broker is found in a generated month of dossiers, a family is not."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import APPLICANT, receive, user

from onestop import accounts, integrity
from onestop.devdata import generate
from onestop.errors import PermissionDenied, ValidationError
from onestop.extensions import db
from onestop.models import AuditLog, Dossier, Feedback, LeadReview, OutboxMessage
from onestop.status import LeadKind, Rating
from onestop.timeutil import now as utcnow

BROKER_PHONE, FAMILY_PHONE = "0987000111", "0987000222"
BROKER_EMAIL = "dichvu.nhanh@example.vn"


def applicant(i: int, phone: str, email: str | None = None) -> dict:
    return {"full_name": f"Người Nộp Thứ {i}", "id_number": f"0012030{i:05d}", "phone": phone,
            "email": email or f"nguoi{i}@example.vn", "address": f"Số {i} đường Hai Bà Trưng"}


@pytest.fixture
def planted(app):
    """A generated set, then 40 applicants behind one phone over the last month and a family of 3."""
    generate.generate(300, seed=20)
    now = utcnow()
    broker = []
    for i in range(40):
        broker.append(receive("1.004227", at=now - timedelta(days=29) + timedelta(hours=17 * i),
                              applicant=applicant(i, BROKER_PHONE, BROKER_EMAIL if i % 2 else None), commit=False))
    for i in range(100, 103):
        receive("1.004227", at=now - timedelta(days=3 + i - 100), applicant=applicant(i, FAMILY_PHONE), commit=False)
    db.session.commit()
    return broker


def inspector():
    accounts.create_user("thanhtra", role="inspector", agency_identifier="000.00.00.H56", full_name="Thanh Tra Viên",
                         password="onestop2026x")
    db.session.commit()
    return user("thanhtra")


def test_the_planted_broker_is_found_and_the_family_is_not(planted):
    window = integrity.window_for(inspector())
    found = {(lead.kind, lead.key): lead for lead in integrity.leads(window)}
    lead = found[(LeadKind.SHARED_PHONE, BROKER_PHONE)]
    assert lead.applicants == 40 and lead.dossiers == 40
    assert (LeadKind.SHARED_PHONE, FAMILY_PHONE) not in found
    assert found[(LeadKind.SHARED_EMAIL, BROKER_EMAIL)].applicants == 20
    codes = {d["code"] for d in integrity.lead_dossiers(window, LeadKind.SHARED_PHONE, BROKER_PHONE)}
    assert codes == {d.code for d in planted}
    # A shorter window sees fewer of the broker's dossiers; below the threshold, no lead.
    recent = integrity.window_for(user("thanhtra"), days=2)
    assert (LeadKind.SHARED_PHONE, BROKER_PHONE) not in {(x.kind, x.key) for x in integrity.leads(recent)}


def test_the_threshold_is_a_setting(planted):
    from onestop import settings

    settings.update(user("admin"), {"integrity_min_applicants": "3"})
    db.session.commit()
    found = {(lead.kind, lead.key) for lead in integrity.leads(integrity.window_for(inspector()))}
    assert (LeadKind.SHARED_PHONE, FAMILY_PHONE) in found


def test_a_leader_sees_the_dossiers_of_their_agency_only(planted):
    leader = user("lanhdao")  # Sở Xây dựng: receives none of them
    found = {(lead.kind, lead.key) for lead in integrity.leads(integrity.window_for(leader))}
    assert (LeadKind.SHARED_PHONE, BROKER_PHONE) not in found
    with pytest.raises(PermissionDenied):
        integrity.window_for(user("tiepnhan"))


def test_the_same_collector_for_many_applicants(planted):
    now = utcnow()
    ids = [d.id for d in planted[:6]]
    db.session.execute(sa.update(Dossier).where(Dossier.id.in_(ids)).values(
        returned_at=now - timedelta(days=1), collected_by="Trần Văn Nhận", collected_id_number="079090000001"))
    # A citizen collecting their own result is no signal.
    own = planted[7]
    db.session.execute(sa.update(Dossier).where(Dossier.id == own.id).values(
        returned_at=now, collected_by=own.applicant_name, collected_id_number=own.applicant_id_number))
    db.session.commit()
    window = integrity.window_for(inspector())
    found = {(lead.kind, lead.key): lead for lead in integrity.leads(window)}
    assert found[(LeadKind.COLLECTOR, "079090000001")].applicants == 6
    assert {d["code"] for d in integrity.lead_dossiers(window, LeadKind.COLLECTOR, "079090000001")} == \
        {d.code for d in planted[:6]}
    assert not any(k == LeadKind.COLLECTOR and key == own.applicant_id_number for k, key in found)


def test_notices_to_a_contact_that_is_not_the_applicants(planted):
    now = utcnow()
    for d in planted[:8]:
        db.session.add(OutboxMessage(channel="email", recipient="cho.ho@example.vn", subject="s", body="b",
                                     kind="status", dossier_id=d.id, created_at=now, next_attempt_at=now))
    db.session.commit()
    window = integrity.window_for(inspector())
    lead = {(x.kind, x.key): x for x in integrity.leads(window)}[(LeadKind.NOTICE_CONTACT, "cho.ho@example.vn")]
    assert lead.applicants == 8
    assert len(integrity.lead_dossiers(window, LeadKind.NOTICE_CONTACT, "cho.ho@example.vn")) == 8


def test_answers_that_someone_asked_for_money(planted):
    now = utcnow()
    for d in planted[:3]:
        db.session.add(Feedback(dossier_id=d.id, rating=Rating.NOT_SATISFIED, asked_money=True, created_at=now))
    db.session.commit()
    window = integrity.window_for(inspector())
    lead = {(x.kind, x.key): x for x in integrity.leads(window)}[(LeadKind.MONEY_ASKED, "000.00.17.H56")]
    assert lead.applicants == 3
    assert len(integrity.lead_dossiers(window, LeadKind.MONEY_ASKED, "000.00.17.H56")) == 3


def test_reviewing_a_lead_is_audited(planted):
    who = inspector()
    with pytest.raises(ValidationError):
        integrity.review(who, LeadKind.SHARED_PHONE, BROKER_PHONE, "")
    integrity.review(who, LeadKind.SHARED_PHONE, BROKER_PHONE, "Đã mời chủ thuê bao lên làm việc.")
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(LeadReview)).scalar_one() == 1
    entry = db.session.execute(sa.select(AuditLog).where(AuditLog.action == "integrity.review")).scalar_one()
    assert entry.actor_id == who.id and entry.details["note"].startswith("Đã mời")
    lead = {(x.kind, x.key): x for x in integrity.leads(integrity.window_for(who))}[
        (LeadKind.SHARED_PHONE, BROKER_PHONE)]
    assert lead.review["by"] == "Thanh Tra Viên"


def test_contact_sharing_on_one_dossier(planted):
    assert integrity.contact_sharing(planted[0])["phone"] == 39
    family = db.session.execute(sa.select(Dossier).where(Dossier.applicant_phone == FAMILY_PHONE)).scalars().first()
    assert integrity.contact_sharing(family)["phone"] == 2
    solo = receive("1.004227", applicant=dict(APPLICANT))
    assert integrity.contact_sharing(solo) == {"phone": 0, "email": 0}


def test_one_online_submitter_behind_many_applicants(planted):
    from onestop.models import OnlineDraft

    now = utcnow()
    for d in planted[:7]:
        db.session.add(OnlineDraft(token_hash=f"{d.id:064d}", procedure_id=d.procedure_id, contact="0909111222",
                                   contact_confirmed_at=now, dossier_id=d.id, expires_at=now + timedelta(days=1)))
    db.session.commit()
    window = integrity.window_for(inspector())
    lead = {(x.kind, x.key): x for x in integrity.leads(window)}[(LeadKind.ONLINE_CONTACT, "0909111222")]
    assert lead.applicants == 7
    assert len(integrity.lead_dossiers(window, LeadKind.ONLINE_CONTACT, "0909111222")) == 7
