"""Demo data: a merged province with two levels of local government (since 1 July 2025).

Province → its public administrative service centre (with a branch), departments, and six
communes, wards and a special zone (no districts). Provincial procedures may be received at the
centre or its branch; two are published as received regardless of administrative boundary (any
desk of the province receives them); commune procedures are received and decided at the commune.
"""
from __future__ import annotations

from .. import accounts, catalogue, signing
from ..agencies import get_by_identifier
from ..extensions import db
from ..models import Agency, Procedure, User

PROVINCE = "000.00.00.H56"
CENTER = "000.00.17.H56"
DEPT_CONSTRUCTION = "000.00.21.H56"
DEPT_ENVIRONMENT = "000.00.22.H56"
DEPT_PLANNING = "000.00.23.H56"
DEPT_JUSTICE = "000.00.24.H56"
CENTER_BRANCH = "000.01.17.H56"
WARD_TAN_PHU = "000.00.31.H56"
WARD_LONG_HOA = "000.00.32.H56"
COMMUNE_A1 = "000.01.31.H56"  # xã Phú Lộc
COMMUNE_LONG_BINH = "000.01.32.H56"
SPECIAL_ZONE = "000.00.40.H56"

AGENCIES = [
    # identifier, name, parent, kind
    (PROVINCE, "UBND tỉnh Sơn Hà", None, "province"),
    (CENTER, "Trung tâm Phục vụ hành chính công tỉnh Sơn Hà", PROVINCE, "center"),
    (CENTER_BRANCH, "Chi nhánh Trung tâm Phục vụ hành chính công tỉnh tại Long Hòa", CENTER, "center_branch"),
    (DEPT_CONSTRUCTION, "Sở Xây dựng", PROVINCE, "department"),
    (DEPT_ENVIRONMENT, "Sở Tài nguyên và Môi trường", PROVINCE, "department"),
    (DEPT_PLANNING, "Sở Kế hoạch và Đầu tư", PROVINCE, "department"),
    (DEPT_JUSTICE, "Sở Tư pháp", PROVINCE, "department"),
    (WARD_TAN_PHU, "UBND phường Tân Phú", PROVINCE, "commune"),
    (COMMUNE_A1, "UBND xã Phú Lộc", PROVINCE, "commune"),
    ("000.02.31.H56", "UBND xã Phú Thạnh", PROVINCE, "commune"),
    (WARD_LONG_HOA, "UBND phường Long Hòa", PROVINCE, "commune"),
    (COMMUNE_LONG_BINH, "UBND xã Long Bình", PROVINCE, "commune"),
    (SPECIAL_ZONE, "UBND đặc khu Hòn Sơn", PROVINCE, "commune"),
]
PROVINCIAL_DESKS = [CENTER, CENTER_BRANCH]

DEMO_PASSWORD = "onestop2026"

USERS = [
    # username, role, agency, full name
    ("admin", "admin", PROVINCE, "Nguyễn Quản Trị"),
    ("tiepnhan", "clerk", CENTER, "Trần Thị Tiếp Nhận"),
    ("chuyenvien", "specialist", DEPT_CONSTRUCTION, "Lê Văn Chuyên"),
    ("lanhdao", "leader", DEPT_CONSTRUCTION, "Phạm Minh Lãnh"),
    ("chuyenvien.tnmt", "specialist", DEPT_ENVIRONMENT, "Đỗ Thu Hà"),
    ("lanhdao.tnmt", "leader", DEPT_ENVIRONMENT, "Vũ Đức Long"),
    ("chuyenvien.khdt", "specialist", DEPT_PLANNING, "Hoàng Anh Tuấn"),
    ("chuyenvien.tp", "specialist", DEPT_JUSTICE, "Bùi Thị Lan"),
    ("tiepnhan.chinhanh", "clerk", CENTER_BRANCH, "Đinh Thị Thu"),
    ("tiepnhan.tanphu", "clerk", WARD_TAN_PHU, "Ngô Văn Bình"),
    ("chuyenvien.tanphu", "specialist", WARD_TAN_PHU, "Đặng Thị Mai"),
    ("tiepnhan.longbinh", "clerk", COMMUNE_LONG_BINH, "Mai Thị Bình"),
    ("tiepnhan.phuloc", "clerk", COMMUNE_A1, "Lý Văn Hùng"),
    ("chuyenvien.phuloc", "specialist", COMMUNE_A1, "Phan Thị Hoa"),
]

PROCEDURES = [
    {"code": "1.009994", "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ", "field": "Xây dựng",
     "time_limit": 15, "time_unit": "working_days", "fee": 75000, "receiving_agency": CENTER,
     "receiving_desks": PROVINCIAL_DESKS, "clock_on_supplement": "restart", "online_level": "partial",
     "legal_basis": "Luật Xây dựng 2014 (sửa đổi 2020); Nghị định 175/2024/NĐ-CP",
     "result_location": "Quầy số 3, Trung tâm Phục vụ hành chính công tỉnh",
     "documents": [
         {"name": "Đơn đề nghị cấp giấy phép xây dựng (Mẫu số 01)", "originals": 1, "copies": 0},
         {"name": "Giấy chứng nhận quyền sử dụng đất", "originals": 0, "copies": 1},
         {"name": "Bản vẽ thiết kế xây dựng", "originals": 2, "copies": 0},
     ],
     "route": [{"agency": DEPT_CONSTRUCTION, "time": 15, "task": "Thẩm định, cấp giấy phép"}]},
    {"code": "1.004227", "name": "Cấp giấy phép khai thác, sử dụng nước dưới đất",
     "field": "Tài nguyên nước", "time_limit": 25, "time_unit": "working_days", "fee": 600000,
     "receiving_agency": CENTER, "receiving_desks": PROVINCIAL_DESKS, "clock_on_supplement": "pause",
     "legal_basis": "Luật Tài nguyên nước 2023",
     "result_location": "Quầy số 5, Trung tâm Phục vụ hành chính công tỉnh",
     "documents": [
         {"name": "Đơn đề nghị cấp giấy phép", "originals": 1, "copies": 0},
         {"name": "Báo cáo kết quả thăm dò nước dưới đất", "originals": 1, "copies": 1},
         {"name": "Kết quả phân tích chất lượng nguồn nước", "originals": 1, "copies": 0},
     ],
     "route": [{"agency": DEPT_ENVIRONMENT, "time": 20, "task": "Thẩm định hồ sơ, kiểm tra thực địa"},
               {"agency": DEPT_CONSTRUCTION, "time": 5, "task": "Cho ý kiến về công trình"}]},
    {"code": "2.001610", "name": "Đăng ký thành lập doanh nghiệp tư nhân",
     "field": "Thành lập và hoạt động doanh nghiệp", "time_limit": 3, "time_unit": "working_days",
     "fee": 50000, "receiving_agency": CENTER, "receiving_desks": PROVINCIAL_DESKS,
     "clock_on_supplement": "restart", "online_level": "full", "online_time_limit": 2,
     "legal_basis": "Luật Doanh nghiệp 2020; Nghị định 168/2025/NĐ-CP",
     "documents": [
         {"name": "Giấy đề nghị đăng ký doanh nghiệp", "originals": 1, "copies": 0},
         {"name": "Bản sao giấy tờ pháp lý của chủ doanh nghiệp", "originals": 0, "copies": 1},
     ],
     "route": [{"agency": DEPT_PLANNING, "time": 3, "task": "Xem xét, cấp đăng ký doanh nghiệp"}]},
    {"code": "1.001756", "name": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
     "field": "Lý lịch tư pháp", "time_limit": 10, "time_unit": "working_days", "fee": 200000,
     "receiving_agency": CENTER, "anywhere": True, "clock_on_supplement": "restart",
     "online_level": "full", "legal_basis": "Luật Lý lịch tư pháp 2009",
     "documents": [
         {"name": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "originals": 1, "copies": 0},
         {"name": "Bản chụp giấy tờ tùy thân", "originals": 0, "copies": 1},
     ],
     "route": [{"agency": DEPT_JUSTICE, "time": 10, "task": "Tra cứu, xác minh, cấp phiếu"}]},
    {"code": "2.000815", "name": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
     "field": "Chứng thực", "time_limit": 1, "time_unit": "working_days", "same_day": True,
     "fee": 2000, "receiving_agency": COMMUNE_A1, "clock_on_supplement": "restart",
     "documents": [{"name": "Bản chính giấy tờ cần chứng thực", "originals": 1, "copies": 1}],
     "route": [{"agency": COMMUNE_A1, "time": 1, "task": "Chứng thực"}]},
    {"code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch",
     "time_limit": 1, "time_unit": "working_days", "same_day": True, "fee": 0,
     "receiving_agency": COMMUNE_A1, "anywhere": True, "clock_on_supplement": "restart",
     "online_level": "full", "legal_basis": "Luật Hộ tịch 2014",
     "documents": [
         {"name": "Tờ khai đăng ký khai sinh", "originals": 1, "copies": 0},
         {"name": "Giấy chứng sinh", "originals": 1, "copies": 0},
     ],
     "route": [{"agency": COMMUNE_A1, "time": 1, "task": "Đăng ký, cấp giấy khai sinh"}]},
    {"code": "2.000986", "name": "Chứng thực chữ ký trong giấy tờ, văn bản", "field": "Chứng thực",
     "time_limit": 4, "time_unit": "working_hours", "fee": 10000, "receiving_agency": COMMUNE_A1,
     "clock_on_supplement": "restart",
     "documents": [{"name": "Giấy tờ, văn bản cần chứng thực chữ ký", "originals": 1, "copies": 0}],
     "route": [{"agency": COMMUNE_A1, "time": 4, "task": "Chứng thực chữ ký"}]},
    {"code": "2.000720", "name": "Đăng ký thành lập hộ kinh doanh", "field": "Thành lập và hoạt động hộ kinh doanh",
     "time_limit": 3, "time_unit": "working_days", "fee": 100000, "receiving_agency": WARD_TAN_PHU,
     "clock_on_supplement": "restart",
     "documents": [
         {"name": "Giấy đề nghị đăng ký hộ kinh doanh", "originals": 1, "copies": 0},
         {"name": "Bản sao giấy tờ pháp lý của cá nhân", "originals": 0, "copies": 1},
     ],
     "route": [{"agency": WARD_TAN_PHU, "time": 3, "task": "Cấp giấy chứng nhận đăng ký hộ kinh doanh"}]},
    {"code": "1.003003", "name": "Cho phép chuyển mục đích sử dụng đất đối với hộ gia đình, cá nhân",
     "field": "Đất đai", "time_limit": 15, "time_unit": "working_days", "fee": 0,
     "receiving_agency": WARD_TAN_PHU, "clock_on_supplement": "pause",
     "documents": [
         {"name": "Đơn xin chuyển mục đích sử dụng đất", "originals": 1, "copies": 0},
         {"name": "Giấy chứng nhận quyền sử dụng đất", "originals": 1, "copies": 0},
     ],
     "route": [{"agency": WARD_TAN_PHU, "time": 10, "task": "Thẩm định nhu cầu sử dụng đất"},
               {"agency": DEPT_ENVIRONMENT, "time": 5, "task": "Xác định giá đất cụ thể"}]},
    {"code": "1.010725", "name": "Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở",
     "field": "Xây dựng", "time_limit": 30, "time_unit": "working_days", "fee": 1500000,
     "receiving_agency": CENTER, "receiving_desks": PROVINCIAL_DESKS, "clock_on_supplement": "restart",
     "documents": [
         {"name": "Tờ trình thẩm định thiết kế", "originals": 1, "copies": 0},
         {"name": "Hồ sơ thiết kế xây dựng", "originals": 1, "copies": 0},
         {"name": "Báo cáo đánh giá tác động môi trường đã phê duyệt", "originals": 0, "copies": 1},
     ],
     "route": [{"agency": DEPT_CONSTRUCTION, "time": 20, "task": "Thẩm định thiết kế"},
               {"agency": DEPT_ENVIRONMENT, "time": 7, "task": "Cho ý kiến về môi trường"},
               {"agency": DEPT_CONSTRUCTION, "time": 3, "task": "Tổng hợp, trả kết quả thẩm định"}]},
]


def load(password: str = DEMO_PASSWORD) -> dict:
    """Create what is missing of the demo province; returns counts of what was added."""
    added = {"agencies": 0, "users": 0, "procedures": 0}
    for identifier, name, parent, kind in AGENCIES:
        if get_by_identifier(identifier) is None:
            db.session.add(Agency(identifier=identifier, name=name, kind=kind,
                                  parent=get_by_identifier(parent) if parent else None))
            db.session.flush()
            added["agencies"] += 1
    for username, role, agency, full_name in USERS:
        if db.session.execute(db.select(User.id).filter_by(username=username)).first() is None:
            # The demo's published password is too short for the policy on purpose: demo accounts only.
            accounts.create_user(username, role=role, agency_identifier=agency, full_name=full_name,
                                 password=password, check_policy=False)
            added["users"] += 1
    existing = set(db.session.execute(db.select(Procedure.code)).scalars())
    result = catalogue.import_entries([p for p in PROCEDURES if p["code"] not in existing])
    added["procedures"] = len(result.created)
    added["counters"] = _load_counters()
    if signing.demo_enabled():  # so that `make run` seals results and receipts out of the box
        demo_agencies = [get_by_identifier(identifier) for identifier, *_ in AGENCIES]
        added["certificates"] = signing.ensure_certificates(demo_agencies)["certificates"]
    return added


# The halls' counters (issue 21): the provincial centre and a ward; kiosk and board addresses on /admin/counters.
COUNTERS = [
    (CENTER, 1, "Quầy Xây dựng", ["Xây dựng"]),
    (CENTER, 2, "Quầy Tài nguyên, Đất đai", ["Tài nguyên nước", "Đất đai"]),
    (CENTER, 3, "Quầy Tư pháp, Doanh nghiệp", ["Lý lịch tư pháp", "Thành lập và hoạt động doanh nghiệp"]),
    (WARD_TAN_PHU, 1, "Quầy Hộ tịch", ["Hộ tịch"]),
    (WARD_TAN_PHU, 2, "Quầy Chứng thực, tổng hợp", ["Chứng thực", "Thành lập và hoạt động hộ kinh doanh"]),
]


def _load_counters() -> int:
    from ..models import QueueCounter

    added = 0
    for identifier, number, name, fields in COUNTERS:
        agency = get_by_identifier(identifier)
        if db.session.execute(db.select(QueueCounter.id).filter_by(agency_id=agency.id, number=number)).first() is None:
            db.session.add(QueueCounter(agency_id=agency.id, number=number, name=name, fields=fields, active=True))
            added += 1
    db.session.flush()
    return added
