"""One rule error, mapped by its field on both sides; one set of words per vocabulary."""

from __future__ import annotations

import pytest

from admin.views.base import rule_messages
from service.core.errors import RuleError
from service.core.labels import label
from service.workplan.models import Pillar


def test_a_refusal_lands_on_the_field_it_names_whatever_its_words():
    error = RuleError("No member state may have this scope.", field="scope", code="invalid")
    assert rule_messages(error) == {"scope": ["No member state may have this scope."]}


def test_a_refusal_of_the_records_state_lands_on_the_whole_form():
    error = RuleError("This authority is already archived.", code="archived")
    assert rule_messages(error) == {"_schema": ["This authority is already archived."]}
    assert error.status == 409


@pytest.mark.parametrize("code, status", [("invalid", 422), ("unknown", 422), ("duplicate", 409)])
def test_the_code_of_a_broken_rule_gives_its_http_status(code, status):
    assert RuleError("refused", code=code).status == status


def test_the_admin_dashboard_names_pillars_as_the_work_plan_document_does(client, login):
    login(client, "secretariat")
    page = client.get("/admin/").get_data(as_text=True)
    assert label(Pillar.PROTECTION_ASSISTANCE) == "Protection and assistance"
    assert "<th>Protection and assistance</th>" in page
    assert "protection assistance" not in page
