"""Directory of National Authorities: member states, authorities, contact points, channels."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import (
    ArchivableMixin,
    SearchableMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    db,
    enum_column,
)
from service.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language
from service.core.labels import vocabulary
from service.core.text import fold


class MemberStateStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    NOT_PARTICIPATING = "not_participating"  # a member that does not take part (Cuba)


MEMBER_STATE_STATUS_LABELS = vocabulary(
    {
        MemberStateStatus.ACTIVE: _l("active"),
        MemberStateStatus.SUSPENDED: _l("suspended"),
        MemberStateStatus.WITHDRAWN: _l("withdrawn"),
        MemberStateStatus.NOT_PARTICIPATING: _l("not participating"),
    }
)


class AuthorityKind(enum.StrEnum):
    MINISTRY = "ministry"
    PROSECUTION = "prosecution"
    POLICE = "police"
    JUDICIARY = "judiciary"
    NATIONAL_COMMITTEE = "national_committee"
    VICTIM_SERVICES = "victim_services"
    MIGRATION = "migration"
    LABOUR = "labour"
    CHILD_PROTECTION = "child_protection"
    OTHER = "other"


AUTHORITY_KIND_LABELS = vocabulary(
    {
        AuthorityKind.MINISTRY: _l("ministry"),
        AuthorityKind.PROSECUTION: _l("prosecution"),
        AuthorityKind.POLICE: _l("police"),
        AuthorityKind.JUDICIARY: _l("judiciary"),
        AuthorityKind.NATIONAL_COMMITTEE: _l("national committee"),
        AuthorityKind.VICTIM_SERVICES: _l("victim services"),
        AuthorityKind.MIGRATION: _l("migration"),
        AuthorityKind.LABOUR: _l("labour"),
        AuthorityKind.CHILD_PROTECTION: _l("child protection"),
        AuthorityKind.OTHER: _l("other"),
    }
)


class EntryStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


ENTRY_STATUS_LABELS = vocabulary(
    {
        EntryStatus.ACTIVE: _l("active"),
        EntryStatus.INACTIVE: _l("inactive"),
    }
)


class ContactKind(enum.StrEnum):
    PERSON = "person"
    OFFICE = "office"  # a functional post, so the role survives staff turnover


CONTACT_KIND_LABELS = vocabulary(
    {
        ContactKind.PERSON: _l("person"),
        ContactKind.OFFICE: _l("office"),
    }
)


class ContactRole(enum.StrEnum):
    FOCAL_POINT = "focal_point"
    ALTERNATE = "alternate"
    OPERATIONAL_24_7 = "operational_24_7"
    TECHNICAL = "technical"
    PUBLIC_HOTLINE = "public_hotline"  # listed and searchable, never an operational contact


CONTACT_ROLE_LABELS = vocabulary(
    {
        ContactRole.FOCAL_POINT: _l("Focal point"),
        ContactRole.ALTERNATE: _l("Alternate"),
        ContactRole.OPERATIONAL_24_7: _l("24/7 operational contact"),
        ContactRole.TECHNICAL: _l("Technical contact"),
        ContactRole.PUBLIC_HOTLINE: _l("Public hotline"),
    }
)


class Visibility(enum.StrEnum):
    NETWORK = "network"
    SECRETARIAT = "secretariat"


VISIBILITY_LABELS = vocabulary(
    {
        Visibility.NETWORK: _l("network"),
        Visibility.SECRETARIAT: _l("secretariat"),
    }
)


class ChannelType(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    MOBILE = "mobile"
    FAX = "fax"
    SECURE_MAIL = "secure_mail"
    WEBSITE = "website"


CHANNEL_TYPE_LABELS = vocabulary(
    {
        ChannelType.EMAIL: _l("email"),
        ChannelType.PHONE: _l("phone"),
        ChannelType.MOBILE: _l("mobile"),
        ChannelType.FAX: _l("fax"),
        ChannelType.SECURE_MAIL: _l("secure mail"),
        ChannelType.WEBSITE: _l("website"),
    }
)


class MemberState(TimestampMixin, db.Model):
    __tablename__ = "member_states"

    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)  # ISO 3166-1 alpha-2
    alpha3: Mapped[str] = mapped_column(sa.String(3), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(200))
    name_es: Mapped[str] = mapped_column(sa.String(200))
    name_fr: Mapped[str] = mapped_column(sa.String(200))
    name_pt: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[MemberStateStatus] = mapped_column(
        enum_column(MemberStateStatus, "member_state_status"), default=MemberStateStatus.ACTIVE
    )
    status_date: Mapped[date | None] = mapped_column(sa.Date)
    status_note: Mapped[str | None] = mapped_column(sa.Text)
    status_source: Mapped[str | None] = mapped_column(sa.String(500))  # where the note comes from
    # The language of its invitations and emails when the person has chosen none (en/es/fr/pt).
    default_language: Mapped[str] = mapped_column(
        sa.String(8), default=DEFAULT_LANGUAGE, server_default=DEFAULT_LANGUAGE
    )

    authorities: Mapped[list[Authority]] = relationship(back_populates="member_state")

    __table_args__ = (
        sa.CheckConstraint("length(code) = 2 AND code = upper(code)", name="code_alpha2"),
        sa.CheckConstraint("length(alpha3) = 3 AND alpha3 = upper(alpha3)", name="alpha3"),
        sa.CheckConstraint("default_language IN ('en', 'es', 'fr', 'pt')", name="default_language"),
    )

    def name_in(self, language: str | None = None) -> str:
        """The state's name in `language`, by default the reader's (the request's, or the one
        an email is rendered in under `force_locale`); English for a language it lacks."""
        language = language or current_language()
        name = getattr(self, f"name_{language}", None) if language in LANGUAGES else None
        return name or self.name_en

    def __str__(self) -> str:
        return f"{self.name_in()} ({self.code})"


def by_name(states: Iterable[MemberState], language: str | None = None) -> list[MemberState]:
    """Member states in the alphabetical order of their names in `language` (the reader's by
    default), accents and case aside: "Haití" among the H, "Estados Unidos" among the E."""
    return sorted(states, key=lambda state: (fold(state.name_in(language)), state.code))


class Competence(db.Model):
    """An area of competence (prevention, extradition, ...): kept as data, seeded from `seed/`."""

    __tablename__ = "competences"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name_en: Mapped[str] = mapped_column(sa.String(200))
    name_es: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)

    def __str__(self) -> str:
        return self.name_en


authority_competences = sa.Table(
    "authority_competences",
    db.metadata,
    sa.Column(
        "authority_id", sa.ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("competence_code", sa.ForeignKey("competences.code"), primary_key=True),
)

contact_point_competences = sa.Table(
    "contact_point_competences",
    db.metadata,
    sa.Column(
        "contact_point_id",
        sa.ForeignKey("contact_points.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("competence_code", sa.ForeignKey("competences.code"), primary_key=True),
)


class VerifiedVia(enum.StrEnum):
    """How an entry was last re-confirmed."""

    ADMIN = "admin"
    API = "api"
    EMAIL_LINK = "email_link"
    SEED = "seed"


VERIFIED_VIA_LABELS = vocabulary(
    {
        VerifiedVia.ADMIN: _l("admin"),
        VerifiedVia.API: _l("api"),
        VerifiedVia.EMAIL_LINK: _l("email link"),
        VerifiedVia.SEED: _l("seed"),
    }
)


class VerifiedMixin:
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_verified_by: Mapped[str | None] = mapped_column(sa.String(320))
    verified_via: Mapped[VerifiedVia | None] = mapped_column(
        enum_column(VerifiedVia, "verified_via")
    )


class Authority(
    TimestampMixin, VersionedMixin, ArchivableMixin, VerifiedMixin, SearchableMixin, db.Model
):
    __tablename__ = "authorities"
    __search_fields__ = ("name", "name_local", "acronym")

    id: Mapped[int] = mapped_column(primary_key=True)
    member_state_code: Mapped[str] = mapped_column(sa.ForeignKey("member_states.code"), index=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    name_local: Mapped[str | None] = mapped_column(sa.String(300))
    acronym: Mapped[str | None] = mapped_column(sa.String(40))
    kind: Mapped[AuthorityKind] = mapped_column(enum_column(AuthorityKind, "authority_kind"))
    is_coordinating: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    address: Mapped[str | None] = mapped_column(sa.Text)
    website: Mapped[str | None] = mapped_column(sa.String(500))
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # ISO 639-1
    status: Mapped[EntryStatus] = mapped_column(
        enum_column(EntryStatus, "authority_status"), default=EntryStatus.ACTIVE
    )
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    demo_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)

    member_state: Mapped[MemberState] = relationship(back_populates="authorities")
    competences: Mapped[list[Competence]] = relationship(
        secondary=authority_competences, order_by=Competence.position
    )
    contact_points: Mapped[list[ContactPoint]] = relationship(back_populates="authority")

    __table_args__ = (
        sa.UniqueConstraint("member_state_code", "name", name="uq_authorities_state_name"),
        # the contacts' list in its default order (by member state, then authority) takes the
        # authorities in this order and sorts only the contacts of the first few
        sa.Index("ix_authorities_list_order", "member_state_code", "search_text", "id"),
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.member_state_code})"


class ContactPoint(
    TimestampMixin, VersionedMixin, ArchivableMixin, VerifiedMixin, SearchableMixin, db.Model
):
    __tablename__ = "contact_points"
    __search_fields__ = ("name", "position")
    __table_args__ = (
        # the list by name (`sort=name`) read in order from an index, not sorted: a page of
        # 10,000 contacts in 0.2 ms instead of 10 (the archived are left out of lists)
        sa.Index(
            "ix_contact_points_live_by_name",
            "search_text",
            "id",
            postgresql_where=sa.text("archived_at IS NULL"),
            sqlite_where=sa.text("archived_at IS NULL"),
        ),
        # a list's total counted from the index alone (10,000 contacts: 1.2 ms instead of 5)
        sa.Index(
            "ix_contact_points_live_visibility",
            "visibility",
            postgresql_where=sa.text("archived_at IS NULL"),
            sqlite_where=sa.text("archived_at IS NULL"),
        ),
        # a page of the default order (by member state, then authority) read from an index
        # alone, each authority's contacts in their order, with what their tags are made of
        # (PostgreSQL; SQLite keeps the key columns): 10,000 contacts, 1.9 ms -> 1.3
        sa.Index(
            "ix_contact_points_live_by_authority",
            "authority_id",
            "role",
            "id",
            postgresql_include=["version", "updated_at", "visibility"],
            postgresql_where=sa.text("archived_at IS NULL"),
            sqlite_where=sa.text("archived_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    kind: Mapped[ContactKind] = mapped_column(enum_column(ContactKind, "contact_kind"))
    name: Mapped[str] = mapped_column(sa.String(300))
    position: Mapped[str | None] = mapped_column(sa.String(300))
    role: Mapped[ContactRole] = mapped_column(enum_column(ContactRole, "contact_role"))
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # ISO 639-1
    hours: Mapped[str | None] = mapped_column(sa.String(200))
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))  # IANA name
    available_24_7: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "contact_visibility"), default=Visibility.NETWORK
    )
    status: Mapped[EntryStatus] = mapped_column(
        enum_column(EntryStatus, "contact_status"), default=EntryStatus.ACTIVE
    )
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    demo_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)

    authority: Mapped[Authority] = relationship(back_populates="contact_points")
    competences: Mapped[list[Competence]] = relationship(
        secondary=contact_point_competences, order_by=Competence.position
    )
    channels: Mapped[list[Channel]] = relationship(
        back_populates="contact_point",
        cascade="all, delete-orphan",
        order_by="(Channel.preferred.desc(), Channel.id)",
    )

    def __str__(self) -> str:
        return self.name


class Channel(db.Model):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[ChannelType] = mapped_column(enum_column(ChannelType, "channel_type"))
    value: Mapped[str] = mapped_column(sa.String(500))  # phones in E.164
    label: Mapped[str | None] = mapped_column(sa.String(100))
    preferred: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # A permanent delivery failure (SMTP 5xx) of a reminder to this address: for the
    # secretariat and the state's focal points, never shown to partners.
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact_point: Mapped[ContactPoint] = relationship(back_populates="channels")

    def __str__(self) -> str:
        return f"{self.type.value}: {self.value}"
