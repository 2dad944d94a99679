"""The per-process caches of agencies and procedures behind the public lookup (issue 18): a change shows at once."""
from __future__ import annotations

import sqlalchemy as sa
from factories import receive

from onestop import caches
from onestop.extensions import db
from onestop.models import Agency, Procedure


def _lookup(client, dossier):
    code, key = (dossier.code, dossier.lookup_key) if not isinstance(dossier, tuple) else dossier
    response = client.get(f"/api/v1/lookup/{code}?key={key}")
    assert response.status_code == 200
    return response.get_json()


def _statements(app, work):
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            work()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_a_renamed_agency_shows_at_once_on_the_lookup(app, client, demo):
    dossier = receive("1.009994")
    before = _lookup(client, dossier)
    agency = db.session.get(Agency, dossier.receiving_agency_id)
    assert before["receiving_agency"]["name"] == agency.name
    agency.name = "UBND xã Phú Lộc Mới"
    db.session.commit()
    assert _lookup(client, dossier)["receiving_agency"]["name"] == "UBND xã Phú Lộc Mới"
    page = client.get(f"/lookup/{dossier.code}?key={dossier.lookup_key}")
    assert "UBND xã Phú Lộc Mới" in page.get_data(as_text=True)


def test_a_bulk_update_of_a_procedure_shows_at_once(app, client, demo):
    dossier = receive("1.009994")
    assert _lookup(client, dossier)["procedure"]["name"] == "Cấp giấy phép xây dựng nhà ở riêng lẻ"
    db.session.execute(sa.update(Procedure).where(Procedure.code == "1.009994")
                       .values(name="Cấp giấy phép xây dựng (tên mới)"))
    db.session.commit()
    assert _lookup(client, dossier)["procedure"]["name"] == "Cấp giấy phép xây dựng (tên mới)"


def test_the_lookup_reads_agencies_and_the_catalogue_once_per_process(app, client, demo):
    first, second = receive("1.009994"), receive("1.004227")
    _lookup(client, first)  # fills the caches
    wanted = (second.code, second.lookup_key)
    seen = _statements(app, lambda: _lookup(client, wanted))
    assert not [s for s in seen if "FROM agencies" in s or "FROM procedures" in s]
    # One statement: the dossier with its count of wrong keys, its rating and its steps (issue 18).
    assert len([s for s in seen if "FROM dossiers" in s]) == 1, "\n".join(seen)
    assert not [s for s in seen if "FROM dossier_steps" in s or "FROM feedback" in s], "\n".join(seen)
    assert len([s for s in seen if "dossier_steps" in s and "feedback" in s and "lookup_failures" in s]) == 1


def test_an_agency_added_later_is_found(app, demo):
    with app.test_request_context():
        caches.agencies()  # cached without it
        parent = db.session.execute(sa.select(Agency).where(Agency.parent_id.is_(None)).limit(1)).scalar_one()
        new = Agency(identifier="000.99.99.H56", name="Trung tâm Phục vụ hành chính công mới", kind="department",
                     parent=parent)
        db.session.add(new)
        db.session.commit()
        assert caches.agency(new.id).name == "Trung tâm Phục vụ hành chính công mới"
        # Raw SQL is not seen by the events: invalidate() is the hand-held way.
        db.session.execute(sa.text("UPDATE agencies SET name = 'Tên đổi bằng SQL' WHERE id = :i"), {"i": new.id})
        db.session.commit()
        caches.invalidate()
        assert caches.agency(new.id).name == "Tên đổi bằng SQL"


def test_a_rename_rolled_back_is_not_kept(app, client, demo):
    dossier = receive("1.009994")
    agency = db.session.get(Agency, dossier.receiving_agency_id)
    name = agency.name
    agency.name = "Tên chưa lưu"
    db.session.flush()
    with app.test_request_context():
        assert caches.agency(agency.id).name == "Tên chưa lưu"  # read back inside the transaction
    db.session.rollback()
    assert _lookup(client, dossier)["receiving_agency"]["name"] == name


def test_the_translations_kept_per_request_follow_the_language(app):
    """Pages keep the request's translations once found (issue 18); a forced or refreshed language still shows."""
    from flask import render_template_string, session
    from flask_babel import force_locale, gettext, refresh

    from onestop import i18n
    from onestop.status import DossierStatus

    with app.test_request_context("/"):
        session["lang"] = "en"
        assert gettext("Mã hồ sơ") == "Dossier code"
        assert render_template_string("{{ _('Mã hồ sơ') }}") == "Dossier code"
        english_label = DossierStatus.RETURNED.label
        assert english_label != "Đã trả kết quả" and english_label == i18n.gettext("Đã trả kết quả")
        with force_locale("vi"):  # e.g. a notice written in Vietnamese during an English request
            assert gettext("Mã hồ sơ") == "Mã hồ sơ"
            assert render_template_string("{{ _('Mã hồ sơ') }}") == "Mã hồ sơ"
            assert DossierStatus.RETURNED.label == "Đã trả kết quả"  # the vocabularies' labels too (i18n.label)
        assert gettext("Mã hồ sơ") == "Dossier code"
        assert DossierStatus.RETURNED.label == english_label
        session["lang"] = "vi"
        refresh()
        assert render_template_string("{{ _('Mã hồ sơ') }}") == "Mã hồ sơ"
        assert render_template_string("{{ ngettext('%(num)s hồ sơ', '%(num)s hồ sơ', 3) }}") == "3 hồ sơ"
