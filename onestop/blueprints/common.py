"""Helpers the page blueprints share."""
from __future__ import annotations

from ..errors import DomainError
from ..transaction import discard

# Hidden plumbing fields never carry a visible message.
_HIDDEN = ("version", "csrf_token")


def show_domain_error(form, exc: DomainError) -> bool:
    """Undo what the refused operation wrote and put its message next to the field it names.

    A form may map domain field names to its own (`FIELD_MAP`) or find the
    field itself (`field_for`). False when no field of the form matches: the
    caller shows the message at the top of the page.
    """
    discard()
    if not exc.field:
        return False
    if hasattr(form, "field_for"):
        target = form.field_for(exc.field)
    else:
        name = getattr(form, "FIELD_MAP", {}).get(exc.field, exc.field)
        target = None if name in _HIDDEN else getattr(form, name, None)
    if target is None or not hasattr(target, "errors"):
        return False
    target.errors = list(target.errors or []) + [exc.message]
    return True
