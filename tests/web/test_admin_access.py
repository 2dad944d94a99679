"""Every administration page is for admins only: visitors are sent to sign in, other staff get 403."""
import pytest
from factories import user
from flask import g
from support import clean_tables, make_app

from onestop import accounts
from onestop.devdata import demo
from onestop.extensions import db

# (method, url) for every admin endpoint; demo objects fill the path parameters.
ADMIN_ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/agencies"),
    ("GET", "/admin/agencies/new"),
    ("POST", "/admin/agencies/new"),
    ("GET", "/admin/agencies/000.00.21.H56/edit"),
    ("POST", "/admin/agencies/000.00.21.H56/edit"),
    ("GET", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
    ("GET", "/admin/users/chuyenvien/edit"),
    ("POST", "/admin/users/chuyenvien/edit"),
    ("POST", "/admin/users/chuyenvien/password"),
    ("POST", "/admin/users/chuyenvien/unlock"),
    ("POST", "/admin/users/chuyenvien/active"),
    ("POST", "/admin/users/chuyenvien/tokens"),
    ("GET", "/admin/tokens"),
    ("POST", "/admin/tokens/{token_id}/revoke"),
    ("GET", "/admin/procedures"),
    ("GET", "/admin/procedures/new"),
    ("POST", "/admin/procedures/new"),
    ("GET", "/admin/procedures/1.009994/edit"),
    ("POST", "/admin/procedures/1.009994/edit"),
    ("POST", "/admin/procedures/1.009994/active"),
    ("POST", "/admin/procedures/1.009994/delete"),
    ("POST", "/admin/procedures/1.009994/blank-form"),
    ("GET", "/admin/procedures/import"),
    ("POST", "/admin/procedures/import"),
    ("GET", "/admin/procedures/export.json"),
    ("GET", "/admin/calendar"),
    ("POST", "/admin/calendar"),
    ("POST", "/admin/calendar/2026-12-24/remove"),
    ("GET", "/admin/counters"),
    ("POST", "/admin/counters"),
    ("GET", "/admin/rules"),
    ("POST", "/admin/rules"),
    ("GET", "/admin/province"),  # issue 19
    ("POST", "/admin/province"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/system"),
]


@pytest.fixture(scope="module")
def shared(_schema):
    """One demo province for the whole module: refused requests change nothing, so tests can share it."""
    app = make_app()
    with app.app_context():
        clean_tables()
        demo.load()
        token, _raw = accounts.create_token(user("chuyenvien"), "tích hợp")
        db.session.commit()
        yield app, token.id
        clean_tables()
        db.engine.dispose()


@pytest.fixture
def client(shared):
    app, _token_id = shared
    g.pop("_login_user", None)  # flask.g lives in the shared app context: forget the last test's user
    db.session.rollback()
    yield app.test_client()
    g.pop("_login_user", None)


@pytest.fixture
def token_id(shared):
    return shared[1]


def login(client, username):
    response = client.post("/auth/login", data={"username": username, "password": "onestop2026"})
    assert response.status_code == 302


def _call(client, method, url, token_id):
    url = url.format(token_id=token_id)
    return client.get(url) if method == "GET" else client.post(url, data={"active": "0"})


def test_every_admin_endpoint_is_listed(shared):
    app, _token_id = shared
    listed = {url.split("?")[0] for _m, url in ADMIN_ROUTES}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert rules
    for rule in rules:
        pattern = rule.rule.replace("<identifier>", "000.00.21.H56").replace("<username>", "chuyenvien") \
            .replace("<code>", "1.009994").replace("<int:token_id>", "{token_id}").replace("<day>", "2026-12-24")
        assert pattern in listed, f"{rule.rule} is not covered by the access test"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, pattern) in ADMIN_ROUTES, f"{method} {rule.rule} is not covered"


@pytest.mark.parametrize("method,url", ADMIN_ROUTES)
def test_anonymous_is_sent_to_sign_in(client, token_id, method, url):
    response = _call(client, method, url, token_id)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["tiepnhan", "chuyenvien", "lanhdao"])
@pytest.mark.parametrize("method,url", ADMIN_ROUTES)
def test_other_staff_are_refused(client, token_id, username, method, url):
    login(client, username)
    response = _call(client, method, url, token_id)
    assert response.status_code == 403
    # nothing changed behind the refusal
    assert user("chuyenvien").active
    assert user("chuyenvien").role == "specialist"


@pytest.mark.parametrize("url", [url for method, url in ADMIN_ROUTES if method == "GET"])
def test_admin_sees_every_page(client, token_id, url):
    login(client, "admin")
    response = client.get(url.format(token_id=token_id))
    assert response.status_code == 200
    if url.endswith(".json"):
        assert response.is_json
    else:
        assert "Quản trị" in response.get_data(as_text=True)
