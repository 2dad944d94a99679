"""The status values are spelled in onestop/status.py only: every other module and template uses the enum."""
import re
from pathlib import Path

from onestop.status import DossierStatus

ROOT = Path(__file__).resolve().parents[2]
VALUES = "|".join(s.value for s in DossierStatus)
LITERAL = re.compile(rf"""["']({VALUES})["']""")
# Names that are not statuses: the processing blueprint, the intake form's "document received" checkbox.
BLUEPRINT_NAME = re.compile(r"""Blueprint\("processing"|\("processing", "/processing"\)|"received": True""")


def _offenders():
    files = [*(ROOT / "onestop").rglob("*.py"), *(ROOT / "templates").rglob("*.html"),
             *(ROOT / "templates").rglob("*.txt")]
    for path in files:
        if path.name == "status.py" and path.parent.name == "onestop":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if LITERAL.search(BLUEPRINT_NAME.sub("", line)):
                yield f"{path.relative_to(ROOT)}:{number}: {line.strip()}"


def test_status_values_appear_in_the_status_module_only():
    assert list(_offenders()) == []


def test_the_scan_would_see_a_literal():
    assert LITERAL.search('if dossier.status == "returned":')
    assert not LITERAL.search(BLUEPRINT_NAME.sub("", 'bp = Blueprint("processing", __name__)'))
