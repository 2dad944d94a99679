"""The printed Decision 766 evaluation (Kết quả đánh giá theo Quyết định 766/QĐ-TTg), with the national heading.

Laid out like the national portal's evaluation table: group / indicator / ratio / points / max, then
the rankings of agencies and communes. The figures are onestop/reports/score766.py's.
"""
from __future__ import annotations

from datetime import datetime

from .. import reports
from . import common, render
from .report import REPORT_NUMBER, _issuer


def score766_data(score, agencies, communes, *, printed_at: datetime) -> dict:
    """Plain values for templates/pdf/score766.html."""
    return {
        "heading": common.heading(_issuer(score.scope.agency), printed_at,
                                  number=common.number_line(REPORT_NUMBER)),
        "scope_label": score.scope.label,
        "period": {"label": score.period.label, "first": score.period.first, "last": score.period.last},
        "as_of": score.as_of, "total": {"points": score.points, "max": score.max},
        "table": reports.score766_table(score),
        "agencies": reports.score766_ranking_table(agencies),
        "communes": reports.score766_ranking_table(communes),
        "printed_at": printed_at,
    }


def score766_pdf(score, agencies, communes, *, printed_at: datetime) -> bytes:
    """The evaluation as an A4 portrait PDF."""
    return render.render("score766.html", score766_data(score, agencies, communes, printed_at=printed_at))
