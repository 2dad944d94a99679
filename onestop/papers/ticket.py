"""The queue ticket (phiếu số thứ tự): an 80 mm receipt-printer slip with the number and a QR to follow it."""
from __future__ import annotations

from flask import current_app, url_for

from .. import queue
from ..extensions import db
from ..models import Agency, QueueTicket
from ..timeutil import local
from . import render


def status_url(ticket: QueueTicket) -> str:
    """The public page a phone opens from the ticket's QR code."""
    base = current_app.config.get("ONESTOP_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return base + url_for("queue.status", token=ticket.token)


def ticket_data(ticket: QueueTicket) -> dict:
    """Everything the slip prints, as plain values (no personal data: there is none on a ticket)."""
    agency = db.session.get(Agency, ticket.agency_id)
    url = status_url(ticket)
    return {"desk": agency.name, "number": ticket.number, "field": ticket.field,
            "taken_at": local(ticket.taken_at).strftime("%H:%M:%S %d/%m/%Y"), "ahead": queue.people_ahead(ticket),
            "url": url, "qr": render.qr_image(url, scale=4)}


def ticket_pdf(ticket: QueueTicket) -> bytes:
    return render.render("ticket.html", ticket_data(ticket))
