"""The papers OneStop prints (Circular 01/2018/TT-VPCP's forms and the monthly report).

Each paper has one function that reads what it prints from the database up-front into a plain dict
(`receipt_data`, `control_slip_data`, ...) and one that renders that dict with its template in
templates/pdf/ (`receipt_pdf`, `control_slip_pdf`, ...): templates never touch ORM objects. `render`
holds WeasyPrint (imported on first use), the fonts and the stylesheet prepared once per process.
"""
from .common import lookup_url, place_of
from .receipt import (
    NO_RECEIPT_STATUSES,
    has_receipt,
    receipt_data,
    receipt_filename,
    receipt_pdf,
    register_number,
    render_receipt,
    stored_receipt,
)
from .report import monthly_report_pdf, report_data
from .slips import (
    apology_slip_data,
    apology_slip_pdf,
    control_slip_data,
    control_slip_pdf,
    printable,
    refusal_slip_data,
    refusal_slip_pdf,
    stop_notice_data,
    stop_notice_pdf,
    supplement_request,
    supplement_slip_data,
    supplement_slip_of,
    supplement_slip_pdf,
)

__all__ = [
    "NO_RECEIPT_STATUSES", "apology_slip_data", "apology_slip_pdf", "control_slip_data", "control_slip_pdf",
    "has_receipt", "lookup_url", "monthly_report_pdf", "place_of", "printable", "receipt_data",
    "receipt_filename", "receipt_pdf", "refusal_slip_data", "refusal_slip_pdf", "register_number",
    "render_receipt", "report_data", "stop_notice_data", "stop_notice_pdf", "stored_receipt",
    "supplement_request", "supplement_slip_data", "supplement_slip_of", "supplement_slip_pdf",
]
