"""One input-cleaning layer for every request: paths, query strings, forms and JSON bodies.

Bad input is refused before any view runs, with a Vietnamese message, and never
reaches the database: NUL bytes and lone surrogates (PostgreSQL cannot store
them), over-long values, Unicode digits such as "²" that pass `str.isdigit()` but
not `int()`, and numbers beyond the database's integer range. The same checks run
once more when the session flushes (`check_columns`), so a value that got past a
form is refused with a message on SQLite exactly as PostgreSQL would refuse it.
"""
from __future__ import annotations

import datetime as dt
from functools import cache

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError as FormValidationError

from .errors import BadRequest, ValidationError

DB_INT_MAX = 2**31 - 1  # PostgreSQL `integer`: every id and count column
DB_BIGINT_MAX = 2**63 - 1
DB_SMALLINT_MAX = 2**15 - 1
# One query-string or form value (a search, a name, a reason); text areas are bounded tighter by their forms.
MAX_ARG_LENGTH = 2_000
MAX_FORM_LENGTH = 20_000
MAX_ARGS = 100
# Dates people enter: anything outside is a typo (and year 1 cannot even be moved to UTC).
FIRST_YEAR, LAST_YEAR = 1900, 2200


# -- text ----------------------------------------------------------------------------------------

def storable(value: str) -> bool:
    """False for text the database cannot store: NUL bytes and lone surrogates."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bad_text(value: str) -> bool:
    """True for text that cannot be stored (the API's historical name)."""
    return not storable(value)


def check_strings(data) -> None:
    """Every string of a JSON document (keys included) must be storable; 422 naming the field otherwise."""
    stack = [(data, None)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if bad_text(value):
                raise ValidationError(_("Dữ liệu chứa ký tự không hợp lệ."), field=where)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and bad_text(key):
                    raise ValidationError(_("Tên trường chứa ký tự không hợp lệ."))
                stack.append((item, key if where is None else f"{where}.{key}"))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(value))


# -- numbers -------------------------------------------------------------------------------------

def is_ascii_digits(value) -> bool:
    """"123" yes; "²", "١٢", "-1", " 1", "" no (`str.isdigit()` says yes to the first two)."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def ascii_int(value, default: int | None = None, *, low: int = 0, high: int = DB_INT_MAX) -> int | None:
    """The number written in ASCII digits if it lies in [low, high], else `default`."""
    if not is_ascii_digits(value):
        return default
    number = int(value)
    return number if low <= number <= high else default


def bounded_int(value, field: str, *, low: int = 0, high: int = DB_INT_MAX, label: str | None = None) -> int:
    """An integer from text in ASCII digits (a leading minus allowed when `low` < 0), within range; 422 otherwise."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise ValidationError(_("%(label)s phải là số nguyên.", label=label or field), field=field)
    if isinstance(text, str):
        digits = text[1:] if text.startswith("-") and low < 0 else text
        if not is_ascii_digits(digits) or len(digits) > 20:
            raise ValidationError(_("%(label)s phải là số nguyên.", label=label or field), field=field)
        text = int(text)
    if not low <= text <= high:
        raise ValidationError(_("%(label)s phải từ %(low)s đến %(high)s.", label=label or field, low=low, high=high),
                              field=field)
    return text


class IdRange:
    """WTForms validator: a whole number that fits the database's id columns (1 to 2³¹−1)."""

    def __init__(self, message=None, low: int = 1, high: int = DB_INT_MAX):
        self.message, self.low, self.high = message, low, high

    def __call__(self, form, field):
        if field.data is None:
            return
        if not self.low <= field.data <= self.high:
            raise FormValidationError(self.message or _l("Giá trị không hợp lệ."))


class DateRange:
    """WTForms validator: a date between 1900 and 2200 (a typo such as 0001-01-01 is not a date anyone means)."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        value = field.data
        if isinstance(value, dt.date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise FormValidationError(self.message or _l("Ngày phải trong khoảng năm %(first)s–%(last)s.",
                                                         first=FIRST_YEAR, last=LAST_YEAR))


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in URLs: ASCII digits up to 2³¹−1; beyond that the URL matches nothing (404, not a 500)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=DB_INT_MAX if max is None else max,
                         signed=signed)


# -- the request layer ---------------------------------------------------------------------------

def _refuse(message) -> None:
    raise BadRequest(str(message))


def check_request() -> None:
    """Refuse a request whose path, query string, form or JSON body could not be stored or is absurd."""
    if not storable(request.path):
        _refuse(_("Đường dẫn hoặc tham số chứa ký tự không hợp lệ."))
    args = request.args
    if len(args) > MAX_ARGS:
        _refuse(_("Quá nhiều tham số trong đường dẫn."))
    for key, value in args.items(multi=True):
        if not storable(key) or not storable(value):
            _refuse(_("Đường dẫn hoặc tham số chứa ký tự không hợp lệ."))
        if len(value) > MAX_ARG_LENGTH:
            _refuse(_("Tham số %(name)s dài quá %(max)s ký tự.", name=key[:40], max=MAX_ARG_LENGTH))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            _check_form()
        elif request.is_json:
            _check_json()


def _check_form() -> None:
    for key, value in request.form.items(multi=True):
        if not storable(key) or not storable(value):
            _refuse(_("Dữ liệu gửi lên chứa ký tự không hợp lệ (ví dụ ký tự NUL). Vui lòng nhập lại."))
        if len(value) > MAX_FORM_LENGTH:
            _refuse(_("Nội dung gửi lên quá dài (tối đa %(max)s ký tự mỗi ô).", max=MAX_FORM_LENGTH))
    for key, upload in request.files.items(multi=True):
        if not storable(key) or not storable(upload.filename or ""):
            _refuse(_("Tên tệp chứa ký tự không hợp lệ."))


def _check_json() -> None:
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if isinstance(data, (dict, list)):
        check_strings(data)


# -- the flush layer -----------------------------------------------------------------------------

_INT_LIMITS = ((sa.SmallInteger, DB_SMALLINT_MAX), (sa.BigInteger, DB_BIGINT_MAX), (sa.Integer, DB_INT_MAX))


def _limits(column: sa.Column):
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.String):
        return "text", kind.length
    if isinstance(kind, sa.Integer):
        return "int", next(high for cls, high in _INT_LIMITS if isinstance(kind, cls))
    return None, None


def _check_value(key: str, column: sa.Column, value) -> None:
    if value is not None:
        _check_limit(key, *_limits(column), value)


def _check_limit(key: str, kind: str | None, limit: int | None, value) -> None:
    if kind == "text" and isinstance(value, str):
        if not storable(value):
            raise ValidationError(_("Dữ liệu chứa ký tự không hợp lệ."), field=key)
        if limit is not None and len(value) > limit:
            raise ValidationError(_("Nội dung dài quá %(max)s ký tự.", max=limit), field=key)
    elif kind == "int" and isinstance(value, int) and not -limit - 1 <= value <= limit:
        raise ValidationError(_("Số quá lớn."), field=key)


def check_columns(obj) -> None:
    """A row about to be written: strings storable and within their length, integers within their type."""
    state = sa.inspect(obj)
    loaded = state.dict  # only what is in memory: checking must not load anything
    for prop in state.mapper.column_attrs:
        if prop.key in loaded and len(prop.columns) == 1:
            _check_value(prop.key, prop.columns[0], loaded[prop.key])


@cache
def _checked_columns(model) -> dict[str, tuple[str, int | None]]:
    """The model's columns that have a limit: key -> (kind, limit)."""
    found = {}
    for prop in sa.inspect(model).column_attrs:
        if len(prop.columns) == 1:
            kind, limit = _limits(prop.columns[0])
            if kind is not None:
                found[prop.key] = (kind, limit)
    return found


def check_row(model, values: dict) -> None:
    """The same checks for a row written by a bulk INSERT (no flush, so no `before_flush` sees it)."""
    columns = _checked_columns(model)
    for key, value in values.items():
        if value is not None and key in columns:
            _check_limit(key, *columns[key], value)


@event.listens_for(so.Session, "before_flush")
def _check_before_flush(session, flush_context, instances) -> None:
    for obj in (*session.new, *session.dirty):
        check_columns(obj)


def init_app(app: Flask) -> None:
    """Install the bounded `int` converter (before any route is added) and the request checks."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(check_request)
