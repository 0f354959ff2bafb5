"""The seed's one way to write a row: found by its natural key, created or brought in line with
the file, audited, and never overwritten once somebody changed it after it was seeded."""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
import yaml

from service.audit.log import record, snapshot
from service.audit.models import AuditAction
from service.core.db import Base, db, touch
from service.seeding.models import SeedRecord

# PyYAML's safe loader on libyaml when the wheel has it (every wheel on PyPI does): the same
# values as the pure-Python one, five to ten times faster on the seed's files.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ModelT = TypeVar("ModelT", bound=Base)


class Coded(Protocol):
    """A row with a natural code (documents, responsible bodies, competences)."""

    @property
    def code(self) -> str: ...


CodedT = TypeVar("CodedT", bound=Coded)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    # rows left as they are because they changed after they were seeded: table -> natural keys
    skipped: dict[str, list[str]] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], table: str) -> None:
        bucket[table] = bucket.get(table, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass
class Part:
    """A part of a row the seed writes besides its columns (an activity's links, a contact's
    channels): how to read it as plain data, and how to make it the file's."""

    wanted: Any
    read: Callable[[Any], Any]
    write: Callable[[Any, Any], None]


def fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def plain(value: Any) -> Any:
    """A value as JSON-like data, the same whether it came from the file or the database."""
    if isinstance(value, db.Model):
        return list(sa.inspect(value).identity or ())
    if isinstance(value, list | tuple):
        items = [plain(item) for item in value]
        return sorted(items, key=json.dumps) if value and isinstance(value[0], db.Model) else items
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):  # amounts: the same text whatever the scale stored
        return format(value.normalize(), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class Loader:
    """Reads the seed files and writes rows; shared by the loaders of each kind of data."""

    def __init__(self, seed_dir: str) -> None:
        self.seed_dir = seed_dir
        self.report = SeedReport()

    def exists(self, name: str) -> bool:
        return os.path.exists(os.path.join(self.seed_dir, name))

    def load(self, name: str) -> Any:
        with open(os.path.join(self.seed_dir, name), encoding="utf-8") as handle:
            return yaml.load(handle, Loader=SafeLoader)  # noqa: S506 (a safe loader)

    def by_code(self, model: type[CodedT]) -> dict[str, CodedT]:
        return {row.code: row for row in db.session.execute(sa.select(model)).scalars()}

    def upsert(
        self,
        model: type[ModelT],
        key: dict,
        values: dict,
        relations: dict | None = None,
        parts: dict[str, Part] | None = None,
    ) -> ModelT:
        """Finds the row by its natural key; creates it, or sets the values that differ from
        the file, unless somebody changed what the seed wrote there (then it is reported as
        skipped and left alone). Every change is audited."""
        relations, parts = relations or {}, parts or {}
        table = model.__tablename__
        row_key = json.dumps({k: plain(v) for k, v in key.items()}, sort_keys=True)
        seeded = db.session.get(SeedRecord, (table, row_key))
        entity = db.session.execute(sa.select(model).filter_by(**key)).scalar_one_or_none()
        if entity is None:
            entity = model(**key, **values, **relations)
            db.session.add(entity)
            db.session.flush()
            record(AuditAction.CREATE, entity, None, snapshot(entity))
            self.report.count(self.report.created, table)
            for part in parts.values():
                if plain(part.read(entity)) != plain(part.wanted):
                    part.write(entity, part.wanted)
        else:
            now = self._current(entity, values, relations, parts)
            wanted = {
                **{name: plain(value) for name, value in {**values, **relations}.items()},
                **{name: plain(part.wanted) for name, part in parts.items()},
            }
            if now == wanted:
                pass  # already as in the file
            elif self._changed_since_seeded(seeded, now):
                self.report.skipped.setdefault(table, []).append(row_key)
                return entity
            else:
                self._update(entity, table, values, relations, parts, now, wanted)
        self._remember(seeded, table, row_key, self._current(entity, values, relations, parts))
        return entity

    def _current(self, entity: Base, values: dict, relations: dict, parts: dict[str, Part]) -> dict:
        return {
            **{name: plain(getattr(entity, name)) for name in (*values, *relations)},
            **{name: plain(part.read(entity)) for name, part in parts.items()},
        }

    @staticmethod
    def _changed_since_seeded(seeded: SeedRecord | None, now: dict) -> bool:
        if seeded is None:  # not written by a seed that kept records: never overwrite it
            return True
        hashes = seeded.value_hashes
        return any(name in hashes and hashes[name] != fingerprint(v) for name, v in now.items())

    def _update(
        self,
        entity: Base,
        table: str,
        values: dict,
        relations: dict,
        parts: dict[str, Part],
        now: dict,
        wanted: dict,
    ) -> None:
        before = snapshot(entity)
        columns_changed = False
        for name, value in {**values, **relations}.items():
            if now[name] != wanted[name]:
                setattr(entity, name, value)
                columns_changed = True
        if columns_changed:
            if not any(now[name] != wanted[name] for name in values):
                touch(entity)  # links alone changed: still a new version
            db.session.flush()
            record(AuditAction.UPDATE, entity, before, snapshot(entity))
            self.report.count(self.report.updated, table)
        for name, part in parts.items():
            if now[name] != wanted[name]:
                part.write(entity, part.wanted)  # audits its own change

    @staticmethod
    def _remember(seeded: SeedRecord | None, table: str, row_key: str, now: dict) -> None:
        hashes = {name: fingerprint(value) for name, value in now.items()}
        if seeded is None:
            db.session.add(SeedRecord(table_name=table, row_key=row_key, value_hashes=hashes))
        elif {**seeded.value_hashes, **hashes} != seeded.value_hashes:
            seeded.value_hashes = {**seeded.value_hashes, **hashes}
