"""One budget per client address for every way of testing a dossier code or lookup key.

The lookup page and its search form, the feedback page, the lookup and feedback
API and Open311 all draw on the same two shared limits: ONESTOP_LOOKUP_LIMIT
requests, and ONESTOP_LOOKUP_FAILURE_LIMIT answers of "not found" (an unknown
code or a wrong key), so guessing is as slow through any door as through all.
"""
from flask import current_app

from ...extensions import limiter

FAILURE_LIMIT_DEFAULT = "20 per hour"


def lookup_limit_value() -> str:
    return current_app.config["ONESTOP_LOOKUP_LIMIT"]


def failure_limit_value() -> str:
    return current_app.config.get("ONESTOP_LOOKUP_FAILURE_LIMIT") or FAILURE_LIMIT_DEFAULT


def _not_found(response) -> bool:
    return response.status_code == 404


def lookup_limit(methods: list[str] | None = None):
    """Both shared budgets (requests, and failed guesses) on a view that tests codes or keys."""
    requests = limiter.shared_limit(lookup_limit_value, scope="citizen-lookup", methods=methods)
    failures = limiter.shared_limit(failure_limit_value, scope="citizen-lookup-failures", methods=methods,
                                    deduct_when=_not_found)

    def decorate(view):
        return requests(failures(view))

    return decorate
