"""Keyset pagination: every row once, in order, whatever the order's value is, with ties and in both directions."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import receive, vn

from onestop import accounts, audit, pagination
from onestop.errors import ValidationError
from onestop.extensions import db
from onestop.models import AuditLog, Dossier, User

PASSWORD = "Song-Huong-Xanh-2026"


def walk(stmt, order, limit):
    """Every page of the list, following next_cursor from the first page to the last."""
    pages, cursor = [], None
    while True:
        page = pagination.page(stmt, order, cursor, limit)
        pages.append(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return pages


@pytest.fixture
def staff(demo):
    for name in ("zeta", "alpha", "mu", "beta", "omega", "kappa", "delta"):
        accounts.create_user(f"pg.{name}", role="clerk", agency_identifier="000.00.17.H56",
                             full_name=f"Cán bộ {name}", password=PASSWORD)
    db.session.commit()
    return sa.select(User).where(User.username.like("pg.%"))


def test_a_text_order_pages_through_every_row_once(staff):
    pages = walk(staff, pagination.Order(User.username, User.id), 3)
    assert [len(p) for p in pages] == [3, 3, 1]
    names = [u.username for p in pages for u in p]
    assert names == sorted(names) and len(set(names)) == 7


def test_a_text_order_runs_backwards_too(staff):
    pages = walk(staff, pagination.Order(User.username, User.id, descending=True), 2)
    names = [u.username for p in pages for u in p]
    assert names == sorted(names, reverse=True) and len(names) == 7


def test_the_id_alone_orders_newest_first(app):
    for i in range(5):
        audit.record("auth.login_failed", actor_name=f"khach{i}")
    db.session.commit()
    pages = walk(sa.select(AuditLog), pagination.Order(None, AuditLog.id, descending=True), 2)
    assert [[r.actor_name for r in p] for p in pages] == [["khach4", "khach3"], ["khach2", "khach1"], ["khach0"]]


def test_moments_travel_in_the_cursor_and_the_id_breaks_ties(demo):
    same = vn(2026, 11, 20, 9, 0)
    codes = [receive("1.009994", at=same).code for _ in range(3)]
    codes.append(receive("1.009994", at=same + timedelta(hours=1)).code)
    codes.insert(0, receive("1.009994", at=same - timedelta(days=1)).code)
    order = pagination.Order(Dossier.received_at, Dossier.id)
    assert order.value_in_cursor
    pages = walk(sa.select(Dossier), order, 2)
    assert [d.code for p in pages for d in p] == codes
    newest = walk(sa.select(Dossier), pagination.Order(Dossier.received_at, Dossier.id, descending=True), 2)
    assert [d.code for p in newest for d in p] == list(reversed(codes))


def test_rows_of_columns_page_like_objects(demo):
    for day in (1, 2, 3):
        receive("1.009994", at=vn(2026, 3, day, 9, 0))
    stmt = sa.select(Dossier.id, Dossier.code, Dossier.received_at)
    pages = walk(stmt, pagination.Order(Dossier.received_at, Dossier.id), 2)
    assert [[row.received_at.day for row in p] for p in pages] == [[1, 2], [3]]


def test_the_page_size_stays_between_one_and_the_maximum(staff):
    assert len(pagination.page(staff, pagination.Order(User.username, User.id), limit=0).items) == 1
    assert pagination.page(staff, pagination.Order(User.username, User.id), limit=10_000).limit == pagination.MAX_LIMIT
    assert pagination.clamp("7") == 7


def test_count_ignores_order_and_page_size(staff):
    assert pagination.count(staff.order_by(User.username).limit(2)) == 7


def test_a_cursor_that_is_no_cursor_is_a_validation_error(staff):
    with pytest.raises(ValidationError):
        pagination.page(staff, pagination.Order(User.username, User.id), "not-a-cursor")


def test_a_cursor_naming_a_row_that_is_gone_ends_the_list_quietly(staff):
    first = pagination.page(staff, pagination.Order(User.username, User.id), limit=3)
    db.session.delete(first.items[-1])
    db.session.commit()
    assert pagination.page(staff, pagination.Order(User.username, User.id), first.next_cursor, 3).items == []
