"""One-click links in reminders: signed (a salt per purpose), expiring, bound to the entry's
version, so a link for an entry changed since (or already used) changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

ONE_ENTRY = "reconfirm-entry-v1"
ALL_ENTRIES = "reconfirm-all-v1"


class LinkExpiredError(Exception):
    """The link is older than REMINDER_LINK_DAYS."""


class LinkInvalidError(Exception):
    """The link was tampered with, or was never made by us."""


@dataclass(frozen=True)
class EntryRef:
    type: str  # authority | contact
    id: int
    version: int


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def entry_token(entry: EntryRef, recipient: str) -> str:
    return _serializer(ONE_ENTRY).dumps([entry.type, entry.id, entry.version, recipient])


def all_token(member_state: str, entries: list[EntryRef], recipient: str) -> str:
    return _serializer(ALL_ENTRIES).dumps(
        [member_state, [[e.type, e.id, e.version] for e in entries], recipient]
    )


def _load(purpose: str, token: str):
    max_age = current_app.config["REMINDER_LINK_DAYS"] * 86400
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise LinkExpiredError from error
    except BadSignature as error:
        raise LinkInvalidError from error


def _entry(raw) -> EntryRef:
    kind, ident, version = raw
    if kind not in {"authority", "contact"} or not isinstance(ident, int):
        raise LinkInvalidError
    return EntryRef(kind, ident, int(version))


def read_entry_token(token: str) -> tuple[EntryRef, str]:
    kind, ident, version, recipient = _load(ONE_ENTRY, token)
    return _entry([kind, ident, version]), recipient


def read_all_token(token: str) -> tuple[str, list[EntryRef], str]:
    member_state, entries, recipient = _load(ALL_ENTRIES, token)
    return member_state, [_entry(raw) for raw in entries], recipient
