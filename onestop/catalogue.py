"""The procedure catalogue: checking and importing procedures with their documents and routes."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from flask_babel import gettext as _

from .errors import ValidationError
from .extensions import db
from .models import Agency, Procedure, ProcedureDocument, RouteStep
from .status import OnlineLevel, TimeUnit
from .text import fold

CLOCK_POLICIES = ("restart", "pause")
CSV_COLUMNS = ("code", "name", "field", "time_limit", "time_unit", "fee", "receiving_agency",
               "clock_on_supplement", "same_day", "documents", "route", "receiving_desks", "anywhere",
               "deciding_agency", "online_time_limit", "online_level", "legal_basis")


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged)}


def _fail(index: int, code, field_name: str, message: str):
    where = _("mục %(n)d", n=index + 1) + (f" ({code})" if code else "")
    message = _("%(where)s, trường “%(field)s”: %(message)s", where=where, field=field_name, message=message)
    raise ValidationError(message, field=field_name)


def _int(value, index, code, name, minimum=0) -> int:
    if isinstance(value, bool):
        _fail(index, code, name, _("phải là số nguyên"))
    try:
        number = int(value)
    except (TypeError, ValueError):
        _fail(index, code, name, _("phải là số nguyên"))
    if isinstance(value, float) and value != number:
        _fail(index, code, name, _("phải là số nguyên"))
    if number < minimum:
        _fail(index, code, name, _("phải lớn hơn hoặc bằng %(n)s", n=minimum))
    return number


def _text(value, index, code, name, max_len) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(index, code, name, _("là bắt buộc"))
    value = " ".join(value.split())
    if len(value) > max_len:
        _fail(index, code, name, _("dài quá %(n)s ký tự", n=max_len))
    return value


def _optional_text(value, index, code, name, max_len) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(value, index, code, name, max_len)


def check_entry(index: int, entry, agencies: dict[str, Agency]) -> dict:
    """Validate one catalogue entry; the error names the entry and the field."""
    if not isinstance(entry, dict):
        _fail(index, None, _("(mục)"), _("phải là một đối tượng JSON"))
    code = _text(entry.get("code"), index, None, "code", 40)
    name = _text(entry.get("name"), index, code, "name", 500)
    field_name = _text(entry.get("field"), index, code, "field", 200)
    time_limit = _int(entry.get("time_limit"), index, code, "time_limit", minimum=1)
    time_unit = TimeUnit.parse(entry.get("time_unit", TimeUnit.WORKING_DAYS.value))
    if time_unit is None:
        _fail(index, code, "time_unit", _("phải là working_days, working_hours hoặc calendar_days"))
    fee = _int(entry.get("fee", 0), index, code, "fee")
    receiving = entry.get("receiving_agency")
    if receiving not in agencies:
        _fail(index, code, "receiving_agency", _("không có cơ quan mã “%(code)s”", code=receiving))
    policy = entry.get("clock_on_supplement", "restart")
    if policy not in CLOCK_POLICIES:
        _fail(index, code, "clock_on_supplement", _("phải là restart hoặc pause"))
    same_day = bool(entry.get("same_day", False))
    documents = entry.get("documents", [])
    if not isinstance(documents, list):
        _fail(index, code, "documents", _("phải là một danh sách"))
    docs = []
    for j, doc in enumerate(documents):
        if not isinstance(doc, dict):
            _fail(index, code, f"documents[{j}]", _("phải là một đối tượng"))
        docs.append({
            "name": _text(doc.get("name"), index, code, f"documents[{j}].name", 500),
            "originals": _int(doc.get("originals", 1), index, code, f"documents[{j}].originals"),
            "copies": _int(doc.get("copies", 0), index, code, f"documents[{j}].copies"),
        })
    route = entry.get("route")
    if not isinstance(route, list) or not route:
        _fail(index, code, "route", _("phải có ít nhất một bước"))
    steps = []
    for j, step in enumerate(route):
        if not isinstance(step, dict):
            _fail(index, code, f"route[{j}]", _("phải là một đối tượng"))
        agency = step.get("agency")
        if agency not in agencies:
            _fail(index, code, f"route[{j}].agency", _("không có cơ quan mã “%(code)s”", code=agency))
        steps.append({
            "agency": agency,
            "time": _int(step.get("time"), index, code, f"route[{j}].time", minimum=0),
            "task": _optional_text(step.get("task"), index, code, f"route[{j}].task", 255),
        })
    total = sum(s["time"] for s in steps)
    if total != time_limit:
        _fail(index, code, "route",
              _("tổng thời gian các bước (%(total)s) phải bằng thời hạn giải quyết (%(limit)s)",
                total=total, limit=time_limit))
    result_location = _optional_text(entry.get("result_location"), index, code, "result_location", 255)
    desks = entry.get("receiving_desks")
    if desks is None:
        desks = [receiving]
    if not isinstance(desks, list):
        _fail(index, code, "receiving_desks", _("phải là một danh sách mã cơ quan"))
    for j, desk in enumerate(desks):
        if desk not in agencies:
            _fail(index, code, f"receiving_desks[{j}]", _("không có cơ quan mã “%(code)s”", code=desk))
    desks = sorted(set(desks) | {receiving})
    deciding = entry.get("deciding_agency")
    if deciding is not None and deciding not in agencies:
        _fail(index, code, "deciding_agency", _("không có cơ quan mã “%(code)s”", code=deciding))
    online_limit = entry.get("online_time_limit")
    if online_limit is not None:
        online_limit = _int(online_limit, index, code, "online_time_limit", minimum=1)
        if online_limit > time_limit:
            _fail(index, code, "online_time_limit", _("không được dài hơn thời hạn giải quyết (%(n)s)", n=time_limit))
    online_level = OnlineLevel.parse(entry.get("online_level", OnlineLevel.NONE.value))
    if online_level is None:
        _fail(index, code, "online_level", _("phải là full, partial hoặc none"))
    anywhere = entry.get("anywhere", False)
    if not isinstance(anywhere, bool):
        _fail(index, code, "anywhere", _("phải là true hoặc false"))
    return {
        "code": code, "name": name, "field": field_name, "time_limit": time_limit, "time_unit": time_unit.value,
        "fee": fee, "receiving_agency": receiving, "clock_on_supplement": policy, "same_day": same_day,
        "documents": docs, "route": steps,
        "result_location": result_location,
        "receiving_desks": desks, "anywhere": anywhere, "deciding_agency": deciding,
        "online_time_limit": online_limit, "online_level": online_level.value,
        "legal_basis": _optional_text(entry.get("legal_basis"), index, code, "legal_basis", 4000),
    }


def serialize(procedure: Procedure) -> dict:
    """The catalogue entry of a procedure (the import format)."""
    return {
        "code": procedure.code, "name": procedure.name, "field": procedure.field,
        "time_limit": procedure.time_limit, "time_unit": procedure.time_unit, "fee": procedure.fee,
        "receiving_agency": procedure.receiving_agency.identifier,
        "clock_on_supplement": procedure.clock_on_supplement, "same_day": procedure.same_day,
        "documents": [{"name": d.name, "originals": d.originals, "copies": d.copies} for d in procedure.documents],
        "route": [{"agency": s.agency.identifier, "time": s.time, "task": s.task} for s in procedure.route],
        "result_location": procedure.result_location,
        "receiving_desks": sorted({a.identifier for a in procedure.desks} | {procedure.receiving_agency.identifier}),
        "anywhere": procedure.anywhere,
        "deciding_agency": procedure.deciding_agency.identifier if procedure.deciding_agency else None,
        "online_time_limit": procedure.online_time_limit,
        "online_level": str(procedure.online_level or OnlineLevel.NONE),
        "legal_basis": procedure.legal_basis,
    }


def apply_entry(procedure: Procedure, entry: dict, agencies: dict[str, Agency]) -> None:
    """Write a checked entry onto a procedure, replacing its documents and route."""
    procedure.code = entry["code"]
    procedure.name = entry["name"]
    procedure.name_search = fold(f"{entry['code']} {entry['name']}")
    procedure.field = entry["field"]
    procedure.time_limit = entry["time_limit"]
    procedure.time_unit = entry["time_unit"]
    procedure.fee = entry["fee"]
    procedure.receiving_agency = agencies[entry["receiving_agency"]]
    procedure.clock_on_supplement = entry["clock_on_supplement"]
    procedure.same_day = entry["same_day"]
    procedure.result_location = entry["result_location"]
    procedure.desks = [agencies[i] for i in entry["receiving_desks"]]
    procedure.anywhere = entry["anywhere"]
    procedure.deciding_agency = agencies[entry["deciding_agency"]] if entry["deciding_agency"] else None
    procedure.online_time_limit = entry["online_time_limit"]
    procedure.online_level = OnlineLevel(entry["online_level"])
    procedure.legal_basis = entry["legal_basis"]
    procedure.documents = [
        ProcedureDocument(position=i, name=d["name"], originals=d["originals"], copies=d["copies"])
        for i, d in enumerate(entry["documents"])
    ]
    procedure.route = [
        RouteStep(position=i, agency=agencies[s["agency"]], time=s["time"], task=s["task"])
        for i, s in enumerate(entry["route"])
    ]


def import_entries(entries) -> ImportResult:
    """Create or update procedures from catalogue entries; all or nothing; flushes."""
    if not isinstance(entries, list):
        raise ValidationError(_("Tệp danh mục phải là một danh sách (JSON array) các thủ tục."), field="file")
    agencies = {a.identifier: a for a in db.session.execute(db.select(Agency)).scalars()}
    checked = [check_entry(i, e, agencies) for i, e in enumerate(entries)]
    seen = set()
    for i, entry in enumerate(checked):
        if entry["code"] in seen:
            _fail(i, entry["code"], "code", _("bị trùng trong tệp"))
        seen.add(entry["code"])
    result = ImportResult()
    for entry in checked:
        procedure = db.session.execute(db.select(Procedure).filter_by(code=entry["code"])).scalar_one_or_none()
        if procedure is None:
            procedure = Procedure()
            apply_entry(procedure, entry, agencies)
            db.session.add(procedure)
            result.created.append(entry["code"])
        elif serialize(procedure) == entry:
            result.unchanged.append(entry["code"])
        else:
            apply_entry(procedure, entry, agencies)
            result.updated.append(entry["code"])
    db.session.flush()
    return result


def parse_csv(text: str) -> list[dict]:
    """CSV with the columns of CSV_COLUMNS; documents as "name|originals|copies; ..." and
    route as "agency|time; ..."."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("code", "name", "field", "time_limit", "receiving_agency", "route")
               if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(_("Tệp CSV thiếu cột: %(columns)s.", columns=", ".join(missing)), field="file")
    entries = []
    for row in reader:
        docs = []
        for part in filter(None, (p.strip() for p in (row.get("documents") or "").split(";"))):
            name, *counts = [x.strip() for x in part.split("|")]
            docs.append({"name": name, "originals": counts[0] if counts else 1,
                         "copies": counts[1] if len(counts) > 1 else 0})
        route = []
        for part in filter(None, (p.strip() for p in (row.get("route") or "").split(";"))):
            agency, _sep, time = (x.strip() for x in part.partition("|"))
            route.append({"agency": agency, "time": time})
        entries.append({
            "code": row.get("code"), "name": row.get("name"), "field": row.get("field"),
            "time_limit": row.get("time_limit"), "time_unit": row.get("time_unit") or "working_days",
            "fee": row.get("fee") or 0, "receiving_agency": row.get("receiving_agency"),
            "clock_on_supplement": row.get("clock_on_supplement") or "restart",
            "same_day": _yes(row.get("same_day")),
            "documents": docs, "route": route,
            **_csv_2025_columns(row),
        })
    return entries


def _yes(value) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "có")


def _csv_2025_columns(row: dict) -> dict:
    """The optional columns added for Decree 118/2025; absent columns keep the defaults."""
    extra = {}
    if (row.get("receiving_desks") or "").strip():
        extra["receiving_desks"] = [x.strip() for x in row["receiving_desks"].split(";") if x.strip()]
    if (row.get("anywhere") or "").strip():
        extra["anywhere"] = _yes(row["anywhere"])
    for name in ("deciding_agency", "online_level", "legal_basis", "online_time_limit"):
        if (row.get(name) or "").strip():
            extra[name] = row[name].strip()
    return extra


def load_file(name: str, content: bytes) -> list:
    """Entries from a JSON or CSV catalogue file (by extension or content)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("Tệp phải được mã hóa UTF-8."), field="file") from None
    if name.lower().endswith(".csv"):
        return parse_csv(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(_("Tệp JSON không hợp lệ (dòng %(line)s, cột %(col)s).", line=exc.lineno, col=exc.colno),
                              field="file") from None
