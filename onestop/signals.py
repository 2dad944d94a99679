"""Signals other parts listen to (notices, integrations) without the workflow knowing them.

Receivers run inside the same transaction and must only add rows to the session.
"""
from blinker import Namespace

_signals = Namespace()

#: sent with (dossier, event=DossierEvent, actor=User|None) after every dossier event
dossier_event = _signals.signal("dossier-event")

#: sent by the deadline sweep with (app, after_event_id=int, now=datetime, counts=dict) when it flagged rows
deadlines_flagged = _signals.signal("deadlines-flagged")
