"""The printed monthly report (Báo cáo tình hình giải quyết thủ tục hành chính), with the national heading."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from markupsafe import Markup

from ..extensions import db
from ..models import Agency
from . import common, render

REPORT_NUMBER = "......../BC"  # the report's number is written by hand when it is signed


def _issuer(agency: Agency | None) -> Agency | None:
    """The report's issuing agency: its scope's agency, or for the whole province the root of the tree."""
    if agency is not None:
        return agency
    return db.session.execute(
        sa.select(Agency).where(Agency.parent_id.is_(None)).order_by(Agency.id).limit(1)
    ).scalar_one_or_none()


def report_data(report, *, tables: dict, chart: Markup | str = "", printed_at: datetime) -> dict:
    """What the printed report shows: figures and tables as built by onestop.reports, and its heading."""
    return {
        "heading": common.heading(_issuer(report.scope.agency), printed_at,
                                  number=common.number_line(REPORT_NUMBER)),
        "scope_label": report.scope.label,
        "period": {"label": report.period.label, "first": report.period.first, "last": report.period.last},
        "as_of": report.as_of, "total": report.total, "score_766": report.score_766,
        "tables": tables, "chart_agencies": chart, "printed_at": printed_at,
    }


def monthly_report_pdf(report, *, tables: dict, chart: Markup | str = "", printed_at: datetime) -> bytes:
    """The report as an A4 landscape PDF."""
    return render.render("report_monthly.html", report_data(report, tables=tables, chart=chart,
                                                              printed_at=printed_at))
