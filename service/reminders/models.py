"""What the reminders sent (so a run never reminds an entry twice within the interval), and
the digests' memory of each state's completeness."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import UTCDateTime, db, utcnow


class ReminderSent(db.Model):
    """One entry listed in one reminder that the SMTP server accepted for one recipient."""

    __tablename__ = "reminders_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_state_code: Mapped[str] = mapped_column(sa.ForeignKey("member_states.code"), index=True)
    entry_type: Mapped[str] = mapped_column(sa.String(20))  # authority | contact
    entry_id: Mapped[int] = mapped_column(sa.Integer)
    entry_version: Mapped[int] = mapped_column(sa.Integer)
    recipient: Mapped[str] = mapped_column(sa.String(320))
    message_id: Mapped[str] = mapped_column(sa.String(255))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow(), index=True)

    __table_args__ = (
        sa.Index("ix_reminders_sent_entry", "entry_type", "entry_id", "sent_at"),
        sa.CheckConstraint("entry_type IN ('authority', 'contact')", name="entry_type"),
    )


class DigestSnapshot(db.Model):
    """The completeness of every state when a digest was written (to tell what changed)."""

    __tablename__ = "digest_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow())
    complete_by_state: Mapped[dict] = mapped_column(sa.JSON)
