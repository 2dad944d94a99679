"""Where the app may send a browser back to: only paths of this site."""
from __future__ import annotations

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
