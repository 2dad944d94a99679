"""Receipt PDF: first render beside bare WeasyPrint on the same HTML, and the reprint served from storage."""
from __future__ import annotations

import sqlalchemy as sa

from bench.common import make_app, median_ms


def run(repeat: int = 5) -> dict:
    from flask import render_template
    from weasyprint import HTML

    from onestop import receipts
    from onestop.extensions import db
    from onestop.models import Dossier

    app = make_app()
    out = {"repeat": repeat}
    with app.app_context(), app.test_request_context():
        dossier = db.session.execute(
            sa.select(Dossier).where(Dossier.status.in_(["received", "processing"]))
            .order_by(Dossier.id.desc()).limit(1)).scalar_one()
        out["code"] = dossier.code
        captured = {}
        original = receipts.render_pdf

        def capture(template, **ctx):
            captured["html"] = render_template(f"pdf/{template}", **ctx)
            return original(template, **ctx)

        receipts.render_pdf = capture
        try:
            receipts.render_receipt(dossier)  # warm fonts and templates once
        finally:
            receipts.render_pdf = original
        html = captured["html"]
        base = app.static_folder + "/"
        out["first_render_ms"], out["first_render_runs"] = median_ms(lambda: receipts.render_receipt(dossier), repeat)
        out["bare_weasyprint_ms"], out["bare_weasyprint_runs"] = median_ms(
            lambda: HTML(string=html, base_url=base).write_pdf(), repeat)
        out["ratio"] = round(out["first_render_ms"] / out["bare_weasyprint_ms"], 2)
        # Issue it (stored), then reprints come from storage.
        stored = receipts.stored_receipt(dossier)
        if stored is None:
            receipts.receipt_pdf(dossier)
            db.session.commit()
        out["reprint_ms"], out["reprint_runs"] = median_ms(lambda: receipts.receipt_pdf(dossier), repeat)
        out["reprint_speedup"] = round(out["first_render_ms"] / max(out["reprint_ms"], 0.01), 1)
        out["pdf_bytes"] = len(receipts.receipt_pdf(dossier))
        db.session.rollback()
        db.engine.dispose()
    return out
