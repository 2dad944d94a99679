"""Translations found once per request and language (issue 18), for templates and code alike.

Flask-Babel looks `g`, the domain, the locale and its string form up again for every string it translates
(a lookup page has fifty, with the labels of its status, steps and dates). `KeptDomain` keeps what it found
beside Flask-Babel's own cached locale; `translations()` answers from there, `gettext` and `label` translate
through it. Outside an app context they fall back to Flask-Babel (which then answers the message itself).
"""
from __future__ import annotations

from flask import Flask, g, has_app_context
from flask_babel import Domain, get_translations
from flask_babel import gettext as _babel_gettext
from flask_babel.speaklater import LazyString

_TRANSLATIONS = "onestop_translations"  # on Flask-Babel's per-context namespace: (locale, domain, translations)


def _babel_space() -> dict | None:
    """Flask-Babel's per-context namespace (its cached locale and domain), None outside a context."""
    if not has_app_context():
        return None
    ns = g._get_current_object().__dict__.get("_flask_babel")
    return ns.__dict__ if ns is not None else None


def _kept(domain=None):
    """The translations kept for this context's locale and `domain` (default: the context's), else None."""
    space = _babel_space()
    if space is None:
        return None
    hit = space.get(_TRANSLATIONS)
    if hit is None or hit[0] is None or hit[0] is not space.get("babel_locale"):
        return None
    if hit[1] is not (space.get("babel_domain") if domain is None else domain):
        return None
    return hit[2]


def _keep(domain, found) -> None:
    space = _babel_space()
    if space is not None:
        space[_TRANSLATIONS] = (space.get("babel_locale"), domain, found)


class KeptDomain(Domain):
    """Flask-Babel's default domain, keeping the translations it found once per locale and context (issue 18).

    Flask-Babel looks `g`, the domain, the locale and its string form up again for every string (a lookup
    page has fifty); this keeps what it found beside its own cached locale, keyed by that locale object
    and this domain, so `force_locale` and `refresh` (which replace the locale) are followed at once.
    """

    def get_translations(self):
        found = _kept(self)
        if found is None:
            found = super().get_translations()
            if _babel_space() is not None and _babel_space().get("babel_domain") is self:
                _keep(self, found)
        return found


def translations():
    """The current locale's translations (what `flask_babel.get_translations()` answers), cheaply."""
    found = _kept()
    if found is None:
        found = get_translations()
        space = _babel_space()
        if space is not None:
            _keep(space.get("babel_domain"), found)
    return found


def install_kept_domain(app: Flask) -> None:
    """Make the default domain of Flask-Babel (a cached property of the shared `Babel`) a KeptDomain."""
    config = app.extensions["babel"]
    instance = config.instance
    if not isinstance(instance.__dict__.get("domain_instance"), KeptDomain):
        instance.domain_instance = KeptDomain(domain=config.default_domain)


def gettext(string: str, /, **variables) -> str:
    """`flask_babel.gettext`, through the kept translations."""
    if not has_app_context():
        return _babel_gettext(string, **variables)
    text = translations().ugettext(string)
    return text % variables if variables else text


def label(lazy) -> str:
    """The text of a label declared with `lazy_gettext` (a vocabulary's, a form's), in the current language."""
    if isinstance(lazy, LazyString) and lazy._func is _babel_gettext and len(lazy._args) == 1 and has_app_context():
        return gettext(lazy._args[0], **lazy._kwargs)
    return str(lazy)
