"""The agency inbox: tab counts, who holds what, filters and keyset pagination over thousands of rows."""
import time
from datetime import timedelta

import sqlalchemy as sa
from factories import act, procedure, receive, user, vn

from onestop import inbox
from onestop import status as st
from onestop.agencies import get_by_identifier
from onestop.extensions import db
from onestop.models import Dossier
from onestop.text import fold

XD, TNMT, CENTER = "000.00.21.H56", "000.00.22.H56", "000.00.17.H56"


def _at_xd(at, applicant=None):
    d = receive("1.009994", at=at, applicant=applicant)
    act(d, "forward", "tiepnhan", at=at + timedelta(hours=1))
    return d


def test_tab_counts_and_holders(demo):
    xd = get_by_identifier(XD)
    a = _at_xd(vn(2026, 11, 2, 9, 0))      # due 23/11 09:00: overdue by 16:00
    b = _at_xd(vn(2026, 11, 20, 9, 0))     # due 14/12
    c = _at_xd(vn(2026, 11, 20, 9, 30))
    d = _at_xd(vn(2026, 11, 20, 10, 0))
    e = _at_xd(vn(2026, 11, 3, 8, 0))      # due 25/11 08:00: within 8 working hours of 23/11 16:00
    act(c, "request_supplement", "chuyenvien", at=vn(2026, 11, 23, 9, 0), reason="Thiếu", documents=["Bản vẽ"])
    act(d, "request_payment", "chuyenvien", at=vn(2026, 11, 23, 9, 0), amount=100000)
    act(b, "reassign", "lanhdao", at=vn(2026, 11, 23, 9, 0), assignee="chuyenvien")
    act(a, "reassign", "lanhdao", at=vn(2026, 11, 23, 9, 0), assignee="chuyenvien")
    # Elsewhere: a dossier still at the desk and one at TN&MT do not count for Sở Xây dựng.
    receive("1.009994", at=vn(2026, 11, 20, 11, 0))
    tn = receive("1.004227", at=vn(2026, 11, 20, 11, 0))
    act(tn, "forward", "tiepnhan", at=vn(2026, 11, 20, 12, 0))

    now = vn(2026, 11, 23, 16, 0)
    counts = inbox.tab_counts(xd.id, now=now)
    assert counts == {"all": 5, "processing": 3, "due_soon": 1, "overdue": 1,
                      "supplement_requested": 1, "awaiting_payment": 1}
    assert a.due_at == vn(2026, 11, 23, 9, 0) and e.due_at == vn(2026, 11, 25, 8, 0)

    holders = {h.username: h for h in inbox.holders(xd.id, now=now)}
    assert set(holders) == {None, "chuyenvien", "lanhdao"}
    assert (holders["chuyenvien"].total, holders["chuyenvien"].overdue) == (2, 1)
    assert holders[None].total == 3 and holders[None].due_soon == 1
    assert holders["lanhdao"].total == 0


def test_filters_search_without_diacritics_and_by_code(demo):
    _at_xd(vn(2026, 11, 20, 9, 0))
    other = _at_xd(vn(2026, 11, 20, 9, 30), applicant={
        "full_name": "Trần Thị Bích", "id_number": "001203004568", "phone": "0912345679"})
    me = user("chuyenvien")
    found = inbox.inbox_page(me, inbox.inbox_filters(me, q="tran thi bich")).items
    assert [d.code for d in found] == [other.code]
    found = inbox.inbox_page(me, inbox.inbox_filters(me, q=other.code[-6:])).items
    assert [d.code for d in found] == [other.code]
    assert len(inbox.inbox_page(me, inbox.inbox_filters(me, procedure_code="1.004227")).items) == 0
    assert len(inbox.inbox_page(me, inbox.inbox_filters(me, status="processing")).items) == 2


def _bulk_insert(n: int, agency_id: int, other_agency_id: int, proc_id: int, center_id: int) -> None:
    """Insert n open dossiers at the agency with Core (plus noise elsewhere) in one statement."""
    base = vn(2026, 1, 5, 8, 0)
    rows = []
    for i in range(n):
        name = f"Người nộp {i}"
        code = f"{center_id:03d}.TEST-{i:06d}"
        at_agency = i % 10 != 0  # one in ten is elsewhere or finished
        rows.append({
            "code": code, "lookup_key": "K" + str(i), "procedure_id": proc_id,
            "receiving_agency_id": center_id,
            "current_agency_id": agency_id if at_agency else other_agency_id,
            "status": "processing" if i % 7 else "supplement_requested",
            "channel": "counter", "applicant_name": name, "search_text": fold(f"{code} {name}"),
            "received_at": base + timedelta(minutes=i),
            # Many ties on due_at: the id breaks them.
            "due_at": base + timedelta(days=30, hours=(i * 37) % 500),
            "version": 1,
        })
    for i in range(0, n, 10):
        rows[i]["status"] = "returned" if i % 20 == 0 else rows[i]["status"]
    db.session.execute(sa.insert(Dossier), rows)
    db.session.commit()


def test_second_and_hundredth_pages_under_keyset_pagination(demo):
    xd, tnmt, center = get_by_identifier(XD), get_by_identifier(TNMT), get_by_identifier(CENTER)
    started = time.monotonic()
    _bulk_insert(2300, xd.id, tnmt.id, procedure("1.009994").id, center.id)
    me = user("chuyenvien")
    expected = {}
    for order, key in (("urgent", lambda r: (r.due_at, r.id)), ("newest", lambda r: (r.received_at, r.id))):
        rows = db.session.execute(sa.select(Dossier.id, Dossier.due_at, Dossier.received_at).where(
            Dossier.current_agency_id == xd.id, st.in_(Dossier.status, st.AGENCY_WORK))).all()
        expected[order] = [r.id for r in sorted(rows, key=key, reverse=order == "newest")]
    assert len(expected["urgent"]) == 2070
    filters = inbox.inbox_filters(me)
    assert inbox.queries.count(me, filters) == 2070
    for order in ("urgent", "newest"):
        cursor, pages = None, []
        for _ in range(104):
            page = inbox.inbox_page(me, filters, order=order, cursor=cursor, limit=20)
            pages.append([d.id for d in page.items])
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages[1] == expected[order][20:40]
        assert pages[99] == expected[order][1980:2000]
        assert len(pages) == 104 and len(pages[-1]) == 10 and cursor is None
        assert sum(len(p) for p in pages) == 2070
    counts = inbox.tab_counts(xd.id, now=vn(2026, 1, 5, 8, 0))
    assert counts["all"] == 2070
    assert counts["supplement_requested"] == sum(1 for i in range(2300) if i % 10 and not i % 7)
    assert time.monotonic() - started < 30
