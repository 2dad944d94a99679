"""Languages: English shows no Vietnamese UI text on the main pages, Vietnamese shows no English UI words."""
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from factories import act, receive, user
from flask import g

from onestop.extensions import db
from onestop.models import (
    Agency,
    Dossier,
    DossierEvent,
    DossierStep,
    Procedure,
    ProcedureDocument,
    RouteStep,
    User,
)

# Letters that only Vietnamese uses (any vowel with a tone mark, ă â đ ê ô ơ ư).
VIETNAMESE = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE)
# Words of the English interface that Vietnamese pages never need.
ENGLISH_WORDS = ("Dossier", "Dossiers", "Sign in", "Sign out", "Save", "Search", "Status", "Report", "Reports",
                 "Procedure", "Agency", "Overdue", "Due soon", "Received", "Next page", "Please", "Invalid",
                 "Back", "Lookup", "Administration", "Account", "Calendar", "Applicant", "Working", "Result",
                 "Reception", "Processing", "Deadline", "Document", "Documents", "Error", "Not found", "Home")
ENGLISH = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")\b")
# Attributes a user reads (tooltips, placeholders, screen readers, confirmations the scripts show).
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm", "data-label")
SUPPLEMENT = ("Thiếu bản đồ địa chính", "Bản đồ địa chính thửa đất")


class VisibleText(HTMLParser):
    """What a reader sees: text outside <script>/<style>, plus the attributes they read."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button") and dict(attrs).get("value"):
            self.parts.append(dict(attrs)["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def data_strings() -> list[str]:
    """Values that are Vietnamese whatever the interface language: names, addresses, stored notes."""
    columns = (Agency.name, Agency.address, Procedure.name, Procedure.field, Procedure.result_location,
               Procedure.legal_basis,
               ProcedureDocument.name, RouteStep.task, User.full_name, Dossier.applicant_name,
               Dossier.applicant_address, Dossier.note, DossierEvent.note, DossierStep.task, DossierStep.note)
    values = set()
    for column in columns:
        values.update(v for v in db.session.execute(sa.select(column).distinct()).scalars() if v)
    # The place under the national motto comes from the agency's name ("Sơn Hà").
    from onestop.papers import place_of

    values.update(filter(None, (place_of(a) for a in db.session.execute(sa.select(Agency)).scalars())))
    # Agency names are printed upper-case in some headings.
    values.update(v.upper() for v in list(values))
    # The supplement this test requested is stored in the dossier's history.
    values.update(SUPPLEMENT)
    # Each language's own name stays in that language on the switch button.
    values.update(("Tiếng Việt", "English"))
    # Longest first so a name is removed before a shorter name it contains.
    return sorted(values, key=len, reverse=True)


def strip_data(text: str, data: list[str]) -> str:
    for value in data:
        text = text.replace(" ".join(value.split()), " ")
    return text


def vietnamese_words(text: str) -> list[str]:
    return sorted(word for word in set(text.split()) if VIETNAMESE.search(word))


def use_language(client, code: str):
    r = client.post(f"/lang/{code}", data={"next": "/about"})
    assert r.status_code == 302


@pytest.fixture(autouse=True)
def _fresh_locale_per_request(app):
    """The test keeps one app context open, so `g` would carry one request's language to the next."""
    @app.before_request
    def _forget_locale():
        g.pop("_flask_babel", None)


@pytest.fixture
def scene(app, demo):
    """A dossier at every stage the main pages show: at the desk, in an agency inbox, finished."""
    at_desk = receive("1.009994")
    in_inbox = receive("1.004227")
    act(in_inbox, "forward", "tiepnhan")
    act(in_inbox, "request_supplement", "chuyenvien.tnmt", reason=SUPPLEMENT[0], documents=[SUPPLEMENT[1]])
    done = receive("1.009994")
    act(done, "forward", "tiepnhan")
    act(done, "complete", "chuyenvien")
    return {"desk": at_desk, "inbox": in_inbox, "done": done}


def pages(scene) -> list[tuple[str | None, str, int]]:
    """(who signs in, URL, expected status) for the main pages."""
    desk, inbox = scene["desk"], scene["inbox"]
    return [
        (None, "/auth/login", 200),
        (None, "/lookup/", 200),
        (None, f"/lookup/{inbox.code}", 200),
        (None, f"/lookup/{inbox.code}?key={inbox.lookup_key}", 200),
        (None, f"/lookup/{scene['done'].code}?key={scene['done'].lookup_key}", 200),
        (None, f"/lookup/{scene['done'].code}/feedback?key={scene['done'].lookup_key}", 200),
        (None, "/lookup/000.00.17.H56-000000-9999", 404),
        (None, "/no-such-page", 404),
        ("tiepnhan", "/reception/", 200),
        ("tiepnhan", "/reception/intake", 200),
        ("tiepnhan", "/reception/intake?procedure=1.004227", 200),
        ("tiepnhan", f"/reception/dossiers/{desk.code}", 200),
        ("tiepnhan", "/reception/queue", 200),
        ("tiepnhan", "/reception/handover", 200),
        ("tiepnhan", "/reception/returns", 200),
        ("tiepnhan", "/reception/register", 200),
        ("tiepnhan", "/admin/", 403),
        ("chuyenvien.tnmt", "/processing/", 200),
        ("chuyenvien.tnmt", f"/processing/dossiers/{inbox.code}", 200),
        ("lanhdao", "/processing/", 200),
        ("lanhdao", "/reports/", 200),
        ("admin", "/reports/", 200),
        ("admin", "/admin/", 200),
        ("admin", "/admin/agencies", 200),
        ("admin", "/admin/agencies/new", 200),
        ("admin", "/admin/users", 200),
        ("admin", "/admin/users/new", 200),
        ("admin", "/admin/users/tiepnhan/edit", 200),
        ("admin", "/admin/tokens", 200),
        ("admin", "/admin/procedures", 200),
        ("admin", "/admin/procedures/new", 200),
        ("admin", "/admin/procedures/1.004227/edit", 200),
        ("admin", "/admin/procedures/import", 200),
        ("admin", "/admin/calendar?year=2026", 200),
        ("admin", "/admin/audit", 200),
    ]


def render_all(app, scene, code: str) -> dict[str, str]:
    """Every main page in one language, as the visible text."""
    texts = {}
    signed_in = object()
    client = None
    for who, url, status in pages(scene):
        if client is None or who != signed_in:
            client = app.test_client()
            use_language(client, code)
            if who:
                assert client.post("/auth/login", data={"username": who, "password": "onestop2026"}).status_code == 302
            signed_in = who
        r = client.get(url)
        assert r.status_code == status, (who, url, r.status_code)
        texts[f"{who or 'visitor'} {url}"] = visible_text(r.get_data(as_text=True))
    return texts


def test_english_pages_show_no_vietnamese(app, scene):
    data = data_strings()
    leaks = {}
    for page_name, text in render_all(app, scene, "en").items():
        rest = strip_data(text, data)
        found = vietnamese_words(rest)
        if found:
            leaks[page_name] = found
    assert leaks == {}, leaks


def test_vietnamese_pages_show_no_english_ui_words(app, scene):
    data = data_strings()
    leaks = {}
    for page_name, text in render_all(app, scene, "vi").items():
        found = sorted(set(ENGLISH.findall(strip_data(text, data))))
        if found:
            leaks[page_name] = found
        assert VIETNAMESE.search(text), page_name
    assert leaks == {}


def test_the_choice_is_remembered_on_the_profile(app, client, auth, demo):
    auth.login("tiepnhan")
    use_language(client, "en")
    assert user("tiepnhan").locale == "en"
    other = app.test_client()
    other.post("/auth/login", data={"username": "tiepnhan", "password": "onestop2026"})
    page = other.get("/reception/").get_data(as_text=True)
    assert "Reception desk" in page and "Bàn tiếp nhận" not in page


def test_numbers_money_and_dates_follow_the_language(app):
    from datetime import date

    from flask_babel import force_locale

    from onestop.templating import money, number
    from onestop.timeutil import fmt_date

    with app.test_request_context():
        with force_locale("vi"):
            assert (number(1234.5, 1), money(1234567)) == ("1.234,5", "1.234.567 đ")
        with force_locale("en"):
            assert (number(1234.5, 1), money(1234567)) == ("1,234.5", "1,234,567 VND")
        assert fmt_date(date(2026, 11, 21)) == "21/11/2026"


def test_flash_messages_and_errors_are_translated(app, client, auth, demo):
    use_language(client, "en")
    r = client.post("/auth/login", data={"username": "tiepnhan", "password": "wrong-password"})
    assert "Incorrect username or password." in r.get_data(as_text=True)
    r = client.get("/reception/", follow_redirects=True)
    assert "Please sign in to continue." in r.get_data(as_text=True)


def test_api_labels_stay_vietnamese_and_plain_strings(app, client, demo):
    """API clients carry no session, so they get the default language; lazy labels serialize as text."""
    from onestop.accounts import create_token

    d = receive("1.009994")
    _token, raw = create_token(user("tiepnhan"), name="i18n")
    db.session.commit()
    r = client.get(f"/api/v1/dossiers/{d.code}", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["status_label"] == "Được tiếp nhận"
    assert body["channel_label"] == "Trực tiếp"


def pdf_text(data: bytes) -> str:
    import io

    import pypdf

    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def test_printed_slips_follow_the_language(app, scene):
    """Control slip, supplement slip and monthly report follow the reader's language; names stay as entered."""
    papers = [("chuyenvien.tnmt", f"/processing/dossiers/{scene['inbox'].code}/control-slip.pdf"),
              ("chuyenvien.tnmt", f"/processing/dossiers/{scene['inbox'].code}/supplement-slip.pdf"),
              ("lanhdao", "/reports/monthly.pdf")]
    data = data_strings()
    for who, url in papers:
        texts = {}
        for code in ("vi", "en"):
            client = app.test_client()
            use_language(client, code)
            client.post("/auth/login", data={"username": who, "password": "onestop2026"})
            r = client.get(url)
            assert r.status_code == 200 and r.mimetype == "application/pdf", url
            texts[code] = pdf_text(r.data)
        assert vietnamese_words(strip_data(texts["en"], data)) == [], url
        assert re.search(r"(?i)control slip|request to supplement|report on the handling", texts["en"]), url
        assert not ENGLISH.search(strip_data(texts["vi"], data)), url


def test_the_kept_receipt_is_vietnamese_but_has_english_labels(app, scene):
    """The receipt is stored when first printed: always the Vietnamese legal paper, whoever prints it."""
    from flask_babel import force_locale

    from onestop import papers

    client = app.test_client()
    use_language(client, "en")
    client.post("/auth/login", data={"username": "tiepnhan", "password": "onestop2026"})
    kept = pdf_text(client.get(f"/reception/dossiers/{scene['desk'].code}/receipt.pdf").data)
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả".upper() in kept.upper()
    with app.test_request_context(), force_locale("en"):
        english = pdf_text(papers.render_receipt(db.session.get(Dossier, scene["desk"].id)))
    assert "Dossier receipt and result appointment".upper() in english.upper()
    assert vietnamese_words(strip_data(english, data_strings())) == []


def test_form_errors_are_english(app, client, auth, demo):
    """Every field message of a rejected intake form reads in English."""
    auth.login("tiepnhan")
    use_language(client, "en")
    r = client.post("/reception/intake", data={
        "procedure_code": "1.009994", "outcome": "accept", "channel": "counter", "fee": "-1", "sets": "0",
        "full_name": "", "id_number": "1", "phone": "x", "email": "@", "tax_code": "12"})
    assert r.status_code == 422
    text = visible_text(r.get_data(as_text=True))
    for message in ("Full name is required.", "The ID card number must have exactly 12 digits.",
                    "Invalid mobile phone number", "Invalid email address.", "Fee must not be negative.",
                    "The tax code must have 10 digits"):
        assert message in text
    assert vietnamese_words(strip_data(text, data_strings())) == []


def test_the_english_catalogue_is_complete_and_compiled():
    """Every extracted string has an English translation, and the compiled .mo matches the .po."""
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parents[2] / "onestop" / "translations" / "en" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        po = read_po(f)
    with open(folder / "messages.mo", "rb") as f:
        mo = read_mo(f)
    untranslated = [m.id for m in po if m.id and (not m.string or not all(m.string) or m.fuzzy)]
    assert untranslated == []

    def flat(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    def pairs(catalog):
        return {flat(m.id): flat(m.string) for m in catalog if m.id}

    assert pairs(po) == pairs(mo)


def test_a_visitor_switches_language_with_a_link_and_gets_no_cookie_for_reading(app, demo):
    """Public pages carry a plain link (issue 18): reading them sets no session cookie; the link switches."""
    d = receive("1.009994")
    visitor = app.test_client()
    r = visitor.get(f"/lookup/{d.code}?key={d.lookup_key}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    link = re.search(r'<a[^>]*id="language-switch"[^>]*href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link.startswith("/lang/en?next=") and 'action="/lang/' not in page
    r = visitor.get(link)
    assert r.status_code == 302 and r.headers["Location"] == f"/lookup/{d.code}?key={d.lookup_key}"
    english = visitor.get(r.headers["Location"]).get_data(as_text=True)
    assert "Tiếng Việt" in english and '<html lang="en">' in english
    assert visitor.get("/lang/vi?next=https://evil.example/").headers["Location"] == "/"


def test_staff_switch_with_the_posted_form_and_a_link_does_not_touch_the_profile(app, client, auth, demo):
    auth.login("tiepnhan")
    page = client.get("/reception/").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/lang/en"', page) and 'id="language-switch"' not in page
    client.get("/lang/en?next=/reception/")
    assert user("tiepnhan").locale != "en"  # only the posted form (with its CSRF token) saves the profile
    assert "Reception desk" in client.get("/reception/").get_data(as_text=True)
