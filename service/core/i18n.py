"""The four official languages of the OAS: English (the source), Spanish, French, Portuguese.

The language of a page is the signed-in person's saved preference, else the one chosen on the
sign-in page (kept in the session), else the browser's `Accept-Language`, else English. The API
follows `Accept-Language` only. Catalogs live in `service/translations/<lang>/LC_MESSAGES/`;
the `.po` files are the source, the `.mo` files are compiled from them when the application
starts (never edited by hand, never committed).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_request_context,
    request,
    session,
)
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    refresh,
)
from flask_babel import lazy_gettext as _l

from service.core.headers import add_vary

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"
# code -> the language's own name (what a person looks for in a switcher)
LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "pt": "Português"}
TRANSLATED = ("es", "fr", "pt")
SESSION_LANGUAGE_KEY = "language"
SERVICE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(SERVICE, "translations")

# What a person reads for an HTTP status (page titles, problem+json `title`); the `code` of a
# problem (service.core.errors) stays the same in every language.
HTTP_TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    406: _l("Not Acceptable"),
    409: _l("Conflict"),
    412: _l("Precondition Failed"),
    413: _l("Content Too Large"),
    415: _l("Unsupported Media Type"),
    422: _l("Unprocessable Content"),
    428: _l("Precondition Required"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}
# Werkzeug's own descriptions of its errors, as a person reads them.
HTTP_DESCRIPTIONS = {
    404: _l(
        "The requested URL was not found on the server. If you entered the URL manually please "
        "check your spelling and try again."
    ),
    405: _l("The method is not allowed for the requested URL."),
    500: _l("An unexpected error occurred."),
}

babel = Babel()
# Only templates (the switcher, the error page): the switcher's route is the identity's.
i18n = Blueprint("i18n", __name__, template_folder=os.path.join(SERVICE, "templates"))


def http_title(status: int, fallback: str | None = None) -> str:
    title = HTTP_TITLES.get(status)
    return str(title) if title is not None else (fallback or str(status))


def http_description(error: Any) -> str:
    """An HTTP error's description in the request's language (Werkzeug's are English)."""
    from werkzeug.exceptions import default_exceptions

    default = getattr(default_exceptions.get(error.code), "description", None)
    if error.description == default and error.code in HTTP_DESCRIPTIONS:
        return str(HTTP_DESCRIPTIONS[error.code])
    return str(error.description)


def error_page(error: Any) -> Any:
    """An HTTP error outside the API and the admin: a small page in the person's language."""
    from flask import render_template

    page = render_template(
        "i18n/error.html",
        error=error,
        title=http_title(error.code, error.name),
        message=http_description(error),
    )
    return (
        page,
        error.code,
        {name: value for name, value in error.get_headers() if name.lower() != "content-type"},
    )


def current_language() -> str:
    """The language of this request: 'en', 'es', 'fr' or 'pt'."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


# The OAS writes its English dates day first ("30 November 2026", as in its documents), not in
# Babel's American order; the other languages take the locale's own long form ("30 de
# noviembre de 2026", "30 novembre 2026", "30 de novembro de 2026").
ENGLISH_LONG_DATE = "d MMMM y"


def long_date(day: Any) -> str:
    """A date (or the date of a datetime) written out in the reader's language."""
    if isinstance(day, datetime):
        day = day.date()
    if current_language() == DEFAULT_LANGUAGE:
        return str(format_date(day, ENGLISH_LONG_DATE))
    return str(format_date(day, "long"))


# The secretariat's English pages write moments as 2026-03-04 05:06 (never the American
# 3/4/26); the other languages take the locale's short form (day first).
ENGLISH_SHORT_DATETIME = "yyyy-MM-dd HH:mm"


def short_datetime(moment: Any) -> str:
    """A moment (kept in UTC) as a short date and time in the reader's language, marked UTC."""
    pattern = ENGLISH_SHORT_DATETIME if current_language() == DEFAULT_LANGUAGE else "short"
    return f"{format_datetime(moment, pattern, rebase=False)} UTC"


def _saved_preference() -> str | None:
    """The signed-in person's saved language (read once per request), if any."""
    if "i18n_user_language" not in g:
        reader = current_app.extensions.get("i18n_saved_preference")
        try:
            g.i18n_user_language = reader() if reader is not None else None
        except Exception:  # the database may be down: the page still needs a language
            log.debug("no saved language preference could be read", exc_info=True)
            g.i18n_user_language = None
    return g.i18n_user_language


def select_locale() -> str:
    """Flask-Babel's locale selector (also used by Flask-Admin's own catalogs)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE  # commands and emails choose theirs with force_locale
    if not request.path.startswith("/api/"):
        for choice in (_saved_preference(), session.get(SESSION_LANGUAGE_KEY)):
            if choice in LANGUAGES:
                return choice
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def compile_catalogs(source: str = TRANSLATIONS, target: str | None = None) -> str:
    """Compiles every `.po` whose `.mo` is missing or older; returns the directory holding them.

    Compiled beside the sources when that directory is writable (a checkout, an editable
    install), else under `target` (the instance folder of a read-only installation).
    """
    destination = source if os.access(source, os.W_OK) or target is None else target
    for language in sorted(os.listdir(source)) if os.path.isdir(source) else []:
        po_path = os.path.join(source, language, "LC_MESSAGES", "messages.po")
        if not os.path.isfile(po_path):
            continue
        mo_dir = os.path.join(destination, language, "LC_MESSAGES")
        mo_path = os.path.join(mo_dir, "messages.mo")
        if os.path.isfile(mo_path) and os.path.getmtime(mo_path) >= os.path.getmtime(po_path):
            continue
        with open(po_path, "rb") as po_file:
            catalog = read_po(po_file, locale=language)
        os.makedirs(mo_dir, exist_ok=True)
        # Written aside and renamed: several workers starting at once never read half a file.
        handle, temporary = tempfile.mkstemp(dir=mo_dir, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(temporary, mo_path)
    return destination


TEXTS_OF_RECORD_LANGUAGE = "en"


def original_text(text: str | None, limit: int | None = None) -> Any:
    """A text of record (an adopted recommendation): English only, never translated.

    In another language the page shows it as it is, marked as English (`lang="en"`, and a
    badge saying "original text in English" in the reader's language).
    """
    from markupsafe import Markup

    text = text or ""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    if current_language() == TEXTS_OF_RECORD_LANGUAGE:
        return text
    return Markup(
        '<span lang="en">{}</span> <span class="badge badge-light original-language" '
        'data-testid="original-language">{}</span>'
    ).format(text, _l("original text in English"))


def configure_i18n(app: Flask, saved_preference: Callable[[], str | None] | None = None) -> None:
    """Flask-Babel for the app; `saved_preference` reads the signed-in person's choice."""
    app.extensions["i18n_saved_preference"] = saved_preference
    directory = compile_catalogs(TRANSLATIONS, os.path.join(app.instance_path, "translations"))
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", directory)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_locale)
    install_marshmallow_translations()
    app.jinja_env.globals.update(
        get_locale=get_locale,
        current_language=current_language,
        languages=LANGUAGES,
        format_percent=format_percent,
        format_decimal=format_decimal,
        format_date=format_date,
        format_datetime=format_datetime,
        long_date=long_date,
        short_datetime=short_datetime,
        error_name=lambda error: http_title(error.code, error.name),
        original_text=original_text,
    )
    app.register_blueprint(i18n)

    @app.before_request
    def choose_again() -> None:
        # Flask-Babel keeps the locale on `g`, which an application context shared by several
        # requests (tests, `app.test_client()` inside `app.app_context()`) would carry over.
        g.pop("i18n_user_language", None)
        refresh()

    @app.after_request
    def vary_on_language(response: Any) -> Any:
        add_vary(response, "Accept-Language")
        if response.mimetype in ("text/html", "application/problem+json"):
            response.headers.setdefault("Content-Language", current_language())
        return response


# -- marshmallow's own messages ("Missing data for required field.", "Not a valid email
# address.", "Length must be between {min} and {max}.") ----------------------------------------


class TranslatedMessage(str):
    """A built-in marshmallow message that translates itself when formatted or read.

    marshmallow formats its messages (`message.format(**kwargs)`) where a `lazy_gettext` string
    would leave the placeholders unfilled; this translates first, then fills them. Formatted
    outside a request (e.g. `Range` composes "Must be {min_op} {{min}}." at import), it keeps
    its source and arguments, and translates both when read in a request.
    """

    source: str
    arguments: dict

    def __new__(
        cls, text: str, source: str | None = None, arguments: dict | None = None
    ) -> TranslatedMessage:
        message = super().__new__(cls, text)
        message.source = source if source is not None else text
        message.arguments = arguments or {}
        return message

    def _translated(self) -> str:
        if not has_request_context():
            return str.__str__(self)
        from flask_babel import gettext

        text = gettext(self.source)
        if self.arguments:
            text = text.format(**_read(self.arguments))
        return text

    def format(self, *args: Any, **kwargs: Any) -> str:
        if not has_request_context() and not args:
            return TranslatedMessage(str.__str__(self).format(**kwargs), self.source, kwargs)
        return self._translated().format(*args, **_read(kwargs))

    def __str__(self) -> str:
        return self._translated()

    def __format__(self, spec: str) -> str:
        return format(self._translated(), spec)


def _read(arguments: dict) -> dict:
    return {
        key: str(value) if isinstance(value, TranslatedMessage) else value
        for key, value in arguments.items()
    }


def marshmallow_messages() -> list[tuple[object, str, object]]:
    """Every built-in message: (owner, attribute or key, text), owners being classes or dicts."""
    import inspect

    import marshmallow
    from marshmallow import fields, validate

    found: list[tuple[object, str, object]] = []
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        messages = cls.__dict__.get("default_error_messages")
        if issubclass(cls, fields.Field) and isinstance(messages, dict):
            found += [(messages, key, text) for key, text in messages.items()]
    found += [
        (marshmallow.Schema._default_error_messages, key, text)
        for key, text in marshmallow.Schema._default_error_messages.items()
    ]
    for _name, cls in inspect.getmembers(validate, inspect.isclass):
        if not issubclass(cls, validate.Validator):
            continue
        for attribute, text in vars(cls).items():
            if isinstance(text, str) and (
                attribute.startswith("message") or attribute in {"default_message", "error"}
            ):
                found.append((cls, attribute, text))
    return found


def install_marshmallow_translations() -> None:
    for owner, key, text in marshmallow_messages():
        if isinstance(text, TranslatedMessage):
            continue
        message = TranslatedMessage(str(text))
        if isinstance(owner, dict):
            owner[key] = message
        else:
            setattr(owner, key, message)
