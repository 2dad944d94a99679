"""Scans chosen on the intake form, kept on the server between "Xem trước hẹn trả" and the acceptance.

A browser cannot re-send a file input after the page is rendered again, so the checked bytes wait here,
keyed by the clerk and the intake form's one-time token, until the dossier is accepted (or a day passes).
"""
from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

from flask import current_app

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,100}")  # never a path: no dots, no slashes


def _root() -> Path:
    return Path(current_app.config["ONESTOP_FILES_DIR"]).parent / "intake-stash"


def _folder(user_id: int, token: str | None) -> Path | None:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return _root() / f"{int(user_id)}-{token}"


def _sweep_old(root: Path) -> None:
    limit = time.time() - MAX_AGE_SECONDS
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            continue


def keep(user_id: int, token: str | None, checked: list[tuple[str, bytes, str]]) -> None:
    """Replace the stash of this form with these checked files (name, bytes, content type)."""
    folder = _folder(user_id, token)
    if folder is None or not checked:
        return
    _sweep_old(_root())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    index = []
    for i, (name, data, content_type) in enumerate(checked):
        (folder / f"{i}.bin").write_bytes(data)
        index.append({"name": name, "content_type": content_type})
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")


def kept(user_id: int, token: str | None) -> list[tuple[str, bytes, str]]:
    """The files kept for this form, in the order chosen."""
    folder = _folder(user_id, token)
    if folder is None or not (folder / "index.json").is_file():
        return []
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    return [(item["name"], (folder / f"{i}.bin").read_bytes(), item["content_type"]) for i, item in enumerate(index)]


def names(user_id: int, token: str | None) -> list[str]:
    folder = _folder(user_id, token)
    if folder is None or not (folder / "index.json").is_file():
        return []
    return [item["name"] for item in json.loads((folder / "index.json").read_text(encoding="utf-8"))]


def drop(user_id: int, token: str | None) -> None:
    folder = _folder(user_id, token)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
