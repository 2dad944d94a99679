"""Where the app may send a browser back to: only paths of this site."""
from __future__ import annotations

import weakref
from urllib.parse import unquote, urlsplit

MAX_NEXT_LENGTH = 2_000
# Characters browsers drop or reinterpret inside a URL ("/\t/evil.example" becomes "//evil.example").
_FORBIDDEN = frozenset("\\\t\r\n\x00") | frozenset(chr(c) for c in range(0x20)) | {"\x7f"}


def is_safe_path(target) -> bool:
    """A same-site path: starts with one "/", no "//", no backslash, no control characters, also once decoded."""
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return False
    seen = target
    for _ in range(3):  # "%252F%252F" decodes twice before a browser gives up
        if not _plain_path(seen):
            return False
        decoded = unquote(seen)
        if decoded == seen:
            return True
        seen = decoded
    return False


def _plain_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//") or any(c in _FORBIDDEN for c in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next(target, default: str) -> str:
    """`target` if it is a same-site path (see is_safe_path), else `default`."""
    return target if is_safe_path(target) else default


# -- the site's own address (issue 19) ----------------------------------------

_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
# per app: the last trusted address served, what a job prints when no request is at hand
_last_served: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _host_name(host: str) -> str:
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host


def _trusted(host: str, config) -> bool:
    """A Host header is the client's word: only loopback in development and ONESTOP_TRUSTED_HOSTS are taken."""
    name = _host_name(host.lower())
    trusted = [h.strip().lower() for h in (config.get("ONESTOP_TRUSTED_HOSTS") or []) if h.strip()]
    if name in trusted or host.lower() in trusted:
        return True
    return config.get("ENV_NAME") != "production" and name in _LOOPBACK


def base_url() -> str:
    """The address printed in QR codes and lookup links: ONESTOP_BASE_URL when set, else the served address.

    The served address is the request's scheme and host, but only for a trusted host (see `_trusted`;
    behind a proxy, ONESTOP_PROXY_COUNT lets ProxyFix supply them). Without a request (a job) it is the
    last trusted address this process served, else the configured default.
    """
    from flask import current_app, has_request_context, request

    config = current_app.config
    configured = str(config.get("ONESTOP_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    if config.get("ONESTOP_BASE_URL_FIXED") or configured != DEFAULT_BASE_URL:  # set in the environment or config
        return configured
    if has_request_context() and _trusted(request.host, config):
        served = f"{request.scheme}://{request.host}"
        _last_served[current_app._get_current_object()] = served
        return served
    return _last_served.get(current_app._get_current_object(), configured)
