"""Constants shared by the browser fixtures and tests (a module of its own: `conftest` is not importable)."""
from __future__ import annotations

import os

CHROMIUM = os.environ.get("ONESTOP_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
TIMEOUT_MS = 10_000


def shot(page, name: str) -> None:
    """Screenshots for a person to look at, when ONESTOP_SHOTS names a folder."""
    from pathlib import Path

    folder = os.environ.get("ONESTOP_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
