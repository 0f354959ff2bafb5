"""Resources of a work plan: estimated costs per activity, totals per pillar and per source."""

# Amounts in different currencies are never added together: every total is per currency.

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import cast

import pycountry
from flask import has_request_context
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from service.workplan.models import Activity, FundingSource, Pillar

FUNDING_LABELS = {  # as the documents name them (capitalised: the names of the funds)
    FundingSource.REGULAR_FUND: _l("Regular Fund"),
    FundingSource.SPECIFIC_FUND: _l("Specific Fund"),
    FundingSource.VOLUNTARY_CONTRIBUTIONS: _l("Voluntary contributions"),
    FundingSource.TO_BE_DETERMINED: _l("To be determined"),
}


def is_currency(code: str | None) -> bool:
    """An active ISO 4217 alphabetic code (pycountry's list), e.g. USD."""
    return (
        code is not None and code.isupper() and pycountry.currencies.get(alpha_3=code) is not None
    )


def spent(activity: Activity, start: date | None = None, end: date | None = None) -> Decimal:
    """What the progress notes (in the period, if given) record as spent."""
    return sum(
        (
            note.amount_spent
            for note in activity.progress_notes
            if note.amount_spent is not None
            and (start is None or note.noted_on >= start)
            and (end is None or note.noted_on <= end)
        ),
        Decimal(0),
    )


@dataclass
class Total:
    key: str  # pillar or funding source value
    currency: str
    estimated: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)
    activities: int = 0


@dataclass
class Resources:
    activities: list[Activity]
    by_pillar: list[Total] = field(default_factory=list)
    by_source: list[Total] = field(default_factory=list)
    not_estimated: list[Activity] = field(default_factory=list)


def resources_of(activities: list[Activity]) -> Resources:
    pillars: dict[tuple[str, str], Total] = {}
    sources: dict[tuple[str, str], Total] = {}
    result = Resources(activities=activities)
    for activity in activities:
        if activity.estimated_cost is None:
            result.not_estimated.append(activity)
            continue
        for bucket, key in (
            (pillars, activity.pillar.value),
            (sources, activity.funding_source.value),
        ):
            # a cost always has its currency (the `cost_has_currency` constraint)
            currency = cast(str, activity.currency)
            total = bucket.setdefault((key, currency), Total(key=key, currency=currency))
            total.estimated += activity.estimated_cost
            total.spent += spent(activity)
            total.activities += 1
    pillar_order = {p.value: i for i, p in enumerate(Pillar)}
    source_order = {s.value: i for i, s in enumerate(FundingSource)}
    result.by_pillar = sorted(pillars.values(), key=lambda t: (pillar_order[t.key], t.currency))
    result.by_source = sorted(sources.values(), key=lambda t: (source_order[t.key], t.currency))
    return result


def money(amount: Decimal | None, currency: str | None) -> str:
    """'USD 25,000.00' ('USD 25.000,00' in Spanish), or an empty string when there is no amount."""
    if amount is None:
        return ""
    if has_request_context():
        return f"{currency} {format_decimal(amount, format='#,##0.00')}"
    return f"{currency} {amount:,.2f}"
