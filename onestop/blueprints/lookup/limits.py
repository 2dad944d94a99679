"""Rate limits shared by the lookup page, the lookup API and Open311 (per client address)."""
from flask import current_app

from ...extensions import limiter


def lookup_limit_value() -> str:
    return current_app.config["ONESTOP_LOOKUP_LIMIT"]


def lookup_limit(methods: list[str] | None = None):
    """One budget for every way of looking a dossier up by code, so trying codes is slow everywhere."""
    return limiter.shared_limit(lookup_limit_value, scope="citizen-lookup", methods=methods)


def feedback_limit():
    """A separate budget for sending satisfaction ratings."""
    return limiter.shared_limit(lookup_limit_value, scope="citizen-feedback")
