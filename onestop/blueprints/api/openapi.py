"""The OpenAPI 3 document of /api/v1, written by hand and kept true by tests (every route described)."""
from __future__ import annotations

from ...status import Channel, DeadlineState, DossierStatus, OnlineLevel, Rating, StepResult, TimeUnit
from ...workflow import ACTIONS, action_params

PREFIX = "/api/v1"


def _action_param_schemas() -> dict:
    """JSON schemas of the workflow verbs' parameters (the verbs' signatures say which action takes which)."""
    return {
        "reason": {**STR, "maxLength": 2000},
        "to_agency": {**STR, "description": "Mã định danh cơ quan nhận; bỏ trống = bước tiếp theo của quy trình."},
        "documents": {"type": "array", "items": {"type": "string", "maxLength": 500}},
        "amount": {**INT, "minimum": 1},
        "note": {**STR, "maxLength": 2000},
        "collected_by": {**STR, "maxLength": 200},
        "collected_id_number": {**STR, "pattern": "^[0-9]{12}$"},
        "new_due_at": MOMENT,
        "assignee": {**STR, "description": "Tên đăng nhập của chuyên viên được phân công."},
        "paid_online": {"type": "boolean", "nullable": True,
                        "description": "payment_received: true khi thanh toán trực tuyến (QĐ 766)."},
    }


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


STR = {"type": "string"}
NSTR = _nullable(STR)
INT = {"type": "integer"}
MOMENT = {"type": "string", "format": "date-time", "example": "2026-11-21T09:30:00+07:00"}
NMOMENT = _nullable(MOMENT)
ACTION_PARAM_SCHEMAS = _action_param_schemas()


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {**STR, "description": "Mã lỗi máy đọc được, vd. invalid, forbidden, stale_version."},
                    "message": {**STR, "description": "Thông báo tiếng Việt cho người dùng."},
                    "field": {**STR, "description": "Trường dữ liệu gây lỗi (422), vd. applicant.id_number."},
                },
            },
        },
    },
    "AgencyRef": {
        "type": "object", "required": ["identifier", "name"],
        "properties": {"identifier": {**STR, "example": "000.00.17.H56"}, "name": STR},
    },
    "UserRef": {
        "type": "object", "required": ["username", "full_name"],
        "properties": {"username": STR, "full_name": STR},
    },
    "ProcedureRef": {
        "type": "object", "required": ["code", "name"],
        "properties": {"code": {**STR, "example": "1.004227"}, "name": STR},
    },
    "Status": {"type": "string", "enum": list(DossierStatus.values())},
    "DeadlineState": _nullable({"type": "string", "enum": list(DeadlineState.values())}),
    "Applicant": {
        "type": "object",
        "required": ["full_name", "id_number", "phone"],
        "properties": {
            "full_name": {**STR, "minLength": 1, "maxLength": 200, "example": "Nguyễn Văn Đức"},
            "id_number": {**STR, "pattern": "^[0-9]{12}$", "description": "Số CCCD, 12 chữ số.",
                          "example": "001203004567"},
            "phone": {**STR, "pattern": "^0[35789][0-9]{8}$", "description": "Số di động Việt Nam.",
                      "example": "0912345678"},
            "email": {**NSTR, "format": "email", "example": "duc.nguyen@example.vn"},
            "address": {**NSTR, "maxLength": 500},
            "tax_code": {**NSTR, "pattern": "^[0-9]{10}(-[0-9]{3})?$",
                         "description": "Mã số thuế, khi người nộp là doanh nghiệp."},
        },
    },
    "DocumentCount": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {**STR, "minLength": 1, "maxLength": 500},
            "originals": {**INT, "minimum": 0, "maximum": 1000},
            "copies": {**INT, "minimum": 0, "maximum": 1000},
            "certified_copies": {**INT, "minimum": 0, "maximum": 1000},
        },
    },
    "IntakeRequest": {
        "type": "object",
        "required": ["procedure_code", "applicant", "channel"],
        "properties": {
            "procedure_code": {**STR, "example": "1.004227"},
            "applicant": ref("Applicant"),
            "channel": {"type": "string", "enum": list(Channel.values()),
                        "description": "counter (trực tiếp), online (trực tuyến), postal (bưu chính công ích)."},
            "documents": {"type": "array", "items": ref("DocumentCount"), "maxItems": 200},
            "received_at": {**MOMENT, "description": "Chỉ dùng cho hồ sơ trực tuyến/bưu chính; "
                                                     "không được ở tương lai. Hồ sơ trực tiếp: lúc này."},
            "fee": {**INT, "minimum": 0, "description": "Lệ phí (đồng); mặc định theo thủ tục."},
            "sets": {**INT, "minimum": 1, "maximum": 1000},
            "note": {**STR, "maxLength": 2000},
            "accept": {"type": "boolean",
                       "description": "Hồ sơ trực tuyến: true để tiếp nhận ngay "
                                      "(mặc định: chờ, trạng thái submitted)."},
        },
    },
    "ActionRequest": {
        "type": "object",
        "required": ["action", "version"],
        "description": "Tham số theo thao tác: " + "; ".join(
            f"{a} ({', '.join(action_params(a)) or '-'})" for a in ACTIONS) + ".",
        "properties": {
            "action": {"type": "string", "enum": list(ACTIONS)},
            "version": {**INT, "description": "Phiên bản hồ sơ đang xem; khác phiên bản hiện tại thì 409."},
            **{name: ACTION_PARAM_SCHEMAS[name]
               for name in dict.fromkeys(p for a in ACTIONS for p in action_params(a))},
        },
        "example": {"action": "forward", "version": 1},
    },
    "Step": {
        "type": "object",
        "required": ["seq", "kind", "agency", "started_at", "due_at", "finished_at", "result"],
        "properties": {
            "seq": INT, "kind": {"type": "string", "enum": ["desk", "route", "extra"]},
            "agency": ref("AgencyRef"), "task": NSTR, "started_at": NMOMENT, "due_at": NMOMENT,
            "finished_at": NMOMENT,
            "result": _nullable({"type": "string", "enum": list(StepResult.values())}),
            "result_label": NSTR,
        },
    },
    "HistoryEntry": {
        "type": "object",
        "required": ["action", "at", "by", "from_agency", "to_agency", "step_due_at", "step_result", "note"],
        "properties": {
            "action": STR, "action_label": STR, "at": MOMENT, "by": _nullable(ref("UserRef")),
            "status_from": NSTR, "status_to": NSTR,
            "from_agency": _nullable(ref("AgencyRef")), "to_agency": _nullable(ref("AgencyRef")),
            "step_due_at": NMOMENT,
            "step_result": _nullable({"type": "string", "enum": list(StepResult.values())}),
            "note": NSTR,
            "details": {"type": "object", "nullable": True,
                        "description": "Chi tiết nội bộ: giấy tờ cần bổ sung, số tiền, ngày hẹn mới..."},
        },
    },
    "DossierSummary": {
        "type": "object",
        "required": ["code", "status", "status_code", "status_label", "deadline_state", "procedure",
                     "channel", "received_at", "due_at", "finished_at", "current_agency", "version"],
        "properties": {
            "code": {**STR, "example": "000.00.17.H56-261121-0001"},
            "status": ref("Status"),
            "status_code": {**INT, "minimum": 1, "maximum": 10},
            "status_label": STR,
            "deadline_state": ref("DeadlineState"),
            "deadline_label": NSTR,
            "procedure": ref("ProcedureRef"),
            "applicant_name": STR,
            "channel": {"type": "string", "enum": list(Channel.values())},
            "received_at": MOMENT, "due_at": NMOMENT, "finished_at": NMOMENT,
            "current_agency": ref("AgencyRef"),
            "version": INT,
        },
    },
    "Dossier": {
        "allOf": [
            ref("DossierSummary"),
            {
                "type": "object",
                "required": ["applicant", "lookup_key", "history", "documents", "steps"],
                "properties": {
                    "applicant": {
                        "type": "object",
                        "required": ["full_name", "id_number", "phone", "email", "address"],
                        "properties": {"full_name": STR, "id_number": NSTR, "phone": NSTR, "email": NSTR,
                                       "address": NSTR, "tax_code": NSTR},
                    },
                    "channel_label": STR,
                    "receiving_agency": ref("AgencyRef"),
                    "assignee": _nullable(ref("UserRef")),
                    "lookup_key": {**STR, "description": "Mã tra cứu in trên giấy tiếp nhận, để cán bộ in hoặc gửi."},
                    "fee": INT, "sets": INT, "note": NSTR,
                    "original_due_at": {**NMOMENT, "description": "Ngày hẹn cũ khi đã xin lỗi và hẹn lại."},
                    "apology_reason": NSTR, "paused_at": NMOMENT, "supplement_count": INT,
                    "payment_amount": _nullable(INT), "returned_at": NMOMENT, "collected_by": NSTR,
                    "documents": {"type": "array", "items": ref("DocumentCount")},
                    "steps": {"type": "array", "items": ref("Step")},
                    "history": {"type": "array", "items": ref("HistoryEntry")},
                    "available_actions": {"type": "array", "items": {"type": "string", "enum": list(ACTIONS)},
                                          "description": "Thao tác người giữ token được làm lúc này."},
                },
            },
        ],
    },
    "DossierList": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref("DossierSummary")},
            "next_cursor": {**NSTR, "description": "Truyền vào `cursor` để lấy trang sau; null khi hết."},
            "limit": INT,
            "count": {**INT, "description": "Tổng số hồ sơ khớp bộ lọc (khi count=true)."},
        },
    },
    "Procedure": {
        "type": "object",
        "required": ["code", "name", "field", "time_limit", "time_unit", "fee", "documents", "route"],
        "properties": {
            "code": STR, "name": STR, "field": STR, "time_limit": INT,
            "time_unit": {"type": "string", "enum": list(TimeUnit.values())},
            "time_label": STR, "fee": INT, "receiving_agency": STR, "receiving_agency_name": STR,
            "receiving_desks": {"type": "array", "items": STR,
                                "description": "Các Bộ phận một cửa được tiếp nhận (Nghị định 118/2025)."},
            "anywhere": {"type": "boolean",
                         "description": "Tiếp nhận không phụ thuộc địa giới hành chính: mọi Bộ phận một cửa của tỉnh."},
            "deciding_agency": NSTR, "online_time_limit": _nullable(INT),
            "online_level": {"type": "string", "enum": list(OnlineLevel.values())}, "legal_basis": NSTR,
            "clock_on_supplement": {"type": "string", "enum": ["restart", "pause"]},
            "same_day": {"type": "boolean"}, "result_location": NSTR,
            "documents": {"type": "array", "items": {
                "type": "object", "required": ["name", "originals", "copies"],
                "properties": {"name": STR, "originals": INT, "copies": INT}}},
            "route": {"type": "array", "items": {
                "type": "object", "required": ["agency", "time"],
                "properties": {"agency": STR, "time": INT, "task": NSTR}}},
        },
    },
    "ProcedureList": {
        "type": "object", "required": ["items"],
        "properties": {"items": {"type": "array", "items": ref("Procedure")}},
    },
    "LookupResult": {
        "type": "object",
        "description": ("Thông tin công khai của hồ sơ. Không có `key` đúng thì không có dữ liệu cá nhân; "
                        "có `key` thì thêm tên người nộp (đã che bớt)."),
        "required": ["code", "status", "status_label"],
        "properties": {
            "code": STR, "status": ref("Status"), "status_label": STR,
            "procedure": {"description": "Thủ tục (mã, tên)."},
            "deadline_state": ref("DeadlineState"),
            "received_at": NMOMENT, "due_at": NMOMENT, "finished_at": NMOMENT,
            "current_agency": {"description": "Cơ quan đang giữ hồ sơ.", "nullable": True},
            "steps": {"type": "array", "description": "Các bước: cơ quan, ngày nhận, ngày chuyển, kết quả.",
                      "items": {"type": "object"}},
            "verified": {"type": "boolean", "description": "true khi `key` đúng."},
            "applicant_name_masked": {**NSTR, "description": "Tên người nộp đã che bớt (chỉ khi có key đúng)."},
            "feedback": {"nullable": True, "description": "Đánh giá đã gửi (chỉ khi có key đúng)."},
            "can_give_feedback": {"type": "boolean"},
        },
    },
    "FeedbackRequest": {
        "type": "object",
        "required": ["rating"],
        "properties": {
            "key": {**STR, "description": "Mã tra cứu in trên giấy tiếp nhận (cũng nhận qua ?key=)."},
            "rating": {"type": "string", "enum": list(Rating.values())},
            "comment": {**STR, "maxLength": 2000},
            # -- feedback questions: integrity (issue 20) --
            "asked_money": {"type": "boolean", "nullable": True,
                            "description": "Có ai đòi tiền hoặc gợi ý làm nhanh hồ sơ không (không bắt buộc; "
                                           "true mở một phản ánh ẩn danh gửi cán bộ thanh tra)."},
            "came_again": {"type": "boolean", "nullable": True,
                           "description": "Người dân có phải đi lại nhiều lần không (không bắt buộc)."},
        },
    },
    "FeedbackResult": {
        "type": "object", "required": ["code", "rating"],
        "properties": {"code": STR, "rating": {"type": "string", "enum": list(Rating.values())},
                       "rating_label": STR, "comment": NSTR, "created_at": MOMENT,
                       "asked_money": {"type": "boolean", "nullable": True},
                       "came_again": {"type": "boolean", "nullable": True},
                       "pakn": {"type": "object", "properties": {"code": STR, "key": STR},
                                "description": "Phản ánh mở khi asked_money là true (mã và mã tra cứu)."}},
    },
}

ERRORS = {
    400: "Yêu cầu hỏng (JSON không hợp lệ, ký tự không hợp lệ).",
    401: "Thiếu token, token sai hoặc đã thu hồi.",
    403: "Vai trò hoặc cơ quan của người dùng không được phép.",
    404: "Không tìm thấy hồ sơ.",
    409: "Thao tác không hợp lệ ở trạng thái hiện tại, hoặc version đã cũ.",
    413: "Yêu cầu quá lớn.",
    415: "Content-Type phải là application/json.",
    422: "Dữ liệu không hợp lệ; `error.field` chỉ ra trường.",
    429: "Quá nhiều yêu cầu; thử lại sau.",
    503: "Cơ sở dữ liệu tạm thời không kết nối được (có `Retry-After`); gửi lại với cùng Idempotency-Key.",
}


def _errors(*codes: int) -> dict:
    out = {}
    for code in codes:
        out[str(code)] = {"description": ERRORS[code],
                          "content": {"application/json": {"schema": ref("Error")}}}
        if code == 401:
            out["401"]["headers"] = {"WWW-Authenticate": {"schema": STR}}
    return out


def _ok(schema_name: str, description: str, status: int = 200, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": ref(schema_name)}}}
    if headers:
        response["headers"] = headers
    return {str(status): response}


CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 60},
        "description": "Mã hồ sơ, vd. 000.00.17.H56-261121-0001."}
BEARER = [{"bearerAuth": []}]
PUBLIC: list = []
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[ -~]+$"},
    "description": ("Khóa do máy khách tự sinh (vd. UUID) cho mỗi yêu cầu mới. Gửi lại cùng khóa (cùng người dùng, "
                    "trong 24 giờ) sau khi mất kết nối thì nhận lại đúng câu trả lời đầu tiên (mã trạng thái và "
                    "nội dung, kèm `Idempotent-Replayed: true`) và không tạo thêm hồ sơ hay thao tác; cùng khóa "
                    "với nội dung khác: 422 `idempotency_key_reused`."),
}
REPLAYED = {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]},
                                    "description": "Có khi đây là câu trả lời đã lưu của lần gửi đầu tiên."}}


def _json_body(schema_name: str, example: dict | None = None) -> dict:
    media = {"schema": ref(schema_name)}
    if example is not None:
        media["example"] = example
    return {"required": True, "content": {"application/json": media}}


INTAKE_EXAMPLE = {
    "procedure_code": "1.004227",
    "applicant": {"full_name": "Nguyễn Văn Đức", "id_number": "001203004567", "phone": "0912345678",
                  "email": "duc.nguyen@example.vn", "address": "Số 12 đường Lê Lợi, phường 1"},
    "channel": "counter",
    "documents": [{"name": "Đơn đề nghị", "originals": 1, "copies": 0}],
}


_S766_INDICATOR = {
    "type": "object", "required": ["key", "label", "ratio", "points", "max"],
    "properties": {"key": STR, "label": STR, "ratio": {"type": "number", "nullable": True},
                   "points": {"type": "number", "nullable": True}, "max": {"type": "number"}},
}
_S766_GROUP = {
    "type": "object", "required": ["points", "max", "indicators"],
    "properties": {"points": {"type": "number", "nullable": True}, "max": {"type": "number"},
                   "ratio": {"type": "number", "nullable": True},
                   "indicators": {"type": "array", "items": _S766_INDICATOR}},
}
SCORE766_SCHEMA = {
    "type": "object", "required": ["from", "to", "agency", "total", "groups"],
    "properties": {
        "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
        "agency": NSTR,
        "total": {"type": "object", "required": ["points", "max"],
                  "properties": {"points": {"type": "number"}, "max": {"type": "number"}}},
        "groups": {"type": "object",
                   "required": ["transparency", "progress", "online", "payment", "satisfaction", "digitisation"],
                   "properties": {k: _S766_GROUP for k in ("transparency", "progress", "online", "payment",
                                                           "satisfaction", "digitisation")}},
    },
}


def paths() -> dict:
    p = PREFIX
    return {
        f"{p}/openapi.json": {"get": {
            "operationId": "openapi", "summary": "Tài liệu OpenAPI 3 của API này", "tags": ["meta"],
            "security": PUBLIC,
            "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {
                "schema": {"type": "object"}}}}, **_errors(400)},
        }},
        f"{p}/procedures": {"get": {
            "operationId": "listProcedures", "summary": "Danh mục thủ tục hành chính", "tags": ["catalogue"],
            "security": PUBLIC,
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200},
                 "description": "Tìm theo tên hoặc mã, không phân biệt dấu."},
                {"name": "field", "in": "query", "schema": STR, "description": "Lĩnh vực, vd. Xây dựng."},
            ],
            "responses": {**_ok("ProcedureList", "Các thủ tục đang áp dụng"), **_errors(400, 422)},
        }},
        f"{p}/dossiers": {
            "get": {
                "operationId": "listDossiers", "summary": "Danh sách hồ sơ người dùng được xem", "tags": ["dossiers"],
                "security": BEARER,
                "parameters": [
                    {"name": "status", "in": "query", "schema": STR, "explode": False,
                     "description": "Một hoặc nhiều trạng thái, cách nhau dấu phẩy: "
                                    + ", ".join(DossierStatus.values())},
                    {"name": "agency", "in": "query", "schema": STR,
                     "description": "Mã định danh cơ quan đang giữ hồ sơ."},
                    {"name": "deadline_state", "in": "query",
                     "schema": {"type": "string", "enum": list(DeadlineState.values())}},
                    {"name": "procedure", "in": "query", "schema": STR, "description": "Mã thủ tục."},
                    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200},
                     "description": "Tên người nộp hoặc mã hồ sơ, không phân biệt dấu."},
                    {"name": "order", "in": "query",
                     "schema": {"type": "string", "enum": ["newest", "oldest", "urgent"], "default": "newest"}},
                    {"name": "cursor", "in": "query", "schema": STR,
                     "description": "`next_cursor` của trang trước."},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                    {"name": "count", "in": "query", "schema": {"type": "boolean", "default": False},
                     "description": "true: thêm tổng số hồ sơ khớp bộ lọc."},
                ],
                "responses": {**_ok("DossierList", "Một trang hồ sơ"), **_errors(400, 401, 403, 422)},
            },
            "post": {
                "operationId": "intakeDossier", "summary": "Tiếp nhận hồ sơ (cán bộ tiếp nhận)", "tags": ["dossiers"],
                "security": BEARER, "parameters": [IDEMPOTENCY_KEY],
                "requestBody": _json_body("IntakeRequest", INTAKE_EXAMPLE),
                "responses": {
                    **_ok("Dossier", "Hồ sơ đã tạo", 201,
                          {"Location": {"required": True, "schema": STR, "description": "Đường dẫn của hồ sơ."},
                           **REPLAYED}),
                    **_errors(400, 401, 403, 413, 415, 422, 503),
                },
            },
        },
        f"{p}/dossiers/{{code}}": {"get": {
            "operationId": "getDossier", "summary": "Một hồ sơ với lịch sử xử lý", "tags": ["dossiers"],
            "security": BEARER, "parameters": [CODE],
            "responses": {**_ok("Dossier", "Hồ sơ"), **_errors(400, 401, 403, 404)},
        }},
        f"{p}/dossiers/{{code}}/actions": {"post": {
            "operationId": "performAction", "summary": "Thực hiện một thao tác trên hồ sơ", "tags": ["dossiers"],
            "security": BEARER, "parameters": [CODE, IDEMPOTENCY_KEY],
            "requestBody": _json_body("ActionRequest"),
            "responses": {**_ok("Dossier", "Hồ sơ sau thao tác", headers=REPLAYED),
                          **_errors(400, 401, 403, 404, 409, 413, 415, 422, 503)},
        }},
        f"{p}/dossiers/{{code}}/receipt.pdf": {"get": {
            "operationId": "getReceipt", "summary": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (PDF)",
            "tags": ["dossiers"], "security": BEARER, "parameters": [CODE],
            "responses": {"200": {"description": "PDF", "content": {"application/pdf": {
                "schema": {"type": "string", "format": "binary"}}}},
                **_errors(400, 401, 403, 404, 409)},
        }},
        f"{p}/lookup/{{code}}": {"get": {
            "operationId": "lookupDossier", "summary": "Tra cứu hồ sơ công khai (người dân)", "tags": ["public"],
            "security": PUBLIC,
            "parameters": [
                CODE,
                {"name": "key", "in": "query", "schema": STR,
                 "description": "Mã tra cứu trên giấy tiếp nhận; thiếu hoặc sai thì không có dữ liệu cá nhân."},
            ],
            "responses": {**_ok("LookupResult", "Tình trạng hồ sơ"), **_errors(400, 404, 422, 429)},
        }},
        f"{p}/lookup/{{code}}/feedback": {"post": {
            "operationId": "submitFeedback", "summary": "Đánh giá mức độ hài lòng sau khi trả kết quả",
            "tags": ["public"], "security": PUBLIC,
            "parameters": [CODE, {"name": "key", "in": "query", "schema": STR,
                                  "description": "Mã tra cứu trên giấy tiếp nhận (hoặc trường key trong nội dung)."}],
            "requestBody": _json_body("FeedbackRequest"),
            "responses": {
                **_ok("FeedbackResult", "Đã ghi nhận", 201),
                **_errors(400, 401, 403, 404, 409, 413, 415, 422, 429),
            },
        }},
        # -- paths: issue 15 (Decision 766 scores) --
        f"{p}/reports/score766": {"get": {
            "operationId": "score766", "summary": "Điểm đánh giá theo Quyết định 766/QĐ-TTg (lãnh đạo, quản trị)",
            "tags": ["reports"], "security": BEARER,
            "parameters": [
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "Ngày đầu kỳ (YYYY-MM-DD, giờ Việt Nam); mặc định 1/1 của năm của `to`."},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "Ngày cuối kỳ, tính cả ngày này; mặc định hôm nay."},
                {"name": "agency", "in": "query", "schema": {"type": "string", "maxLength": 40},
                 "description": "Mã định danh cơ quan; bỏ trống = toàn bộ phạm vi của người gọi."},
            ],
            "responses": {"200": {"description": "Sáu nhóm chỉ số, điểm và điểm tối đa", "content": {
                "application/json": {"schema": SCORE766_SCHEMA}}}, **_errors(400, 401, 403, 404, 422)},
        }},
    }


def document() -> dict:
    """The whole OpenAPI 3 document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "OneStop API",
            "version": "1.0.0",
            "description": ("API của hệ thống Một cửa: danh mục thủ tục, tiếp nhận và xử lý hồ sơ, tra cứu công khai. "
                            "Cán bộ xác thực bằng `Authorization: Bearer <token>` (tạo bằng "
                            "`flask --app wsgi onestop token create USERNAME`). Thời điểm theo ISO-8601 có múi giờ. "
                            "Lỗi: {\"error\": {\"code\", \"message\", \"field\"?}}."),
        },
        "paths": paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "Token API của cán bộ (os_...)."}},
        },
    }
