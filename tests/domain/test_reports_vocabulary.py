"""The reports and the spreadsheet writer name statuses, channels, ratings and deadline states by their enums."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from onestop.status import Channel, DeadlineState, DossierStatus, Rating, StepResult

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*ROOT.glob("onestop/reports/*.py"), ROOT / "onestop/spreadsheet.py",
                *ROOT.glob("onestop/blueprints/reports/*.py"), *ROOT.glob("templates/reports/*.html")])
VALUES = sorted({m.value for enum in (DossierStatus, Channel, Rating) for m in enum})
# "late" also names the table of late steps; a judgement (finish_state, a step's result) is compared by its enum.
JUDGEMENTS = "|".join(sorted({m.value for enum in (DeadlineState, StepResult) for m in enum}))
COMPARED = re.compile(rf"""(state|result)(\s*[!=]=\s*|\.in_\(\(?)["']({JUDGEMENTS})["']""")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_vocabulary_literal(path):
    text = path.read_text(encoding="utf-8")
    assert [v for v in VALUES if re.search(rf"""["']{re.escape(v)}["']""", text)] == []
    assert COMPARED.findall(text) == []
