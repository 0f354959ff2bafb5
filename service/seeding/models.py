"""What the seed wrote in each row, so a later run can tell a row somebody changed since."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import UTCDateTime, db, utcnow


class SeedRecord(db.Model):
    """One seeded row: a SHA-256 of each value the seed wrote in it, by field name."""

    __tablename__ = "seed_records"

    table_name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    # the row's natural key as in the seed file, as JSON (e.g. {"code": "AR"})
    row_key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    value_hashes: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    seeded_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow(), onupdate=utcnow(), nullable=False
    )
