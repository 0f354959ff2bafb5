"""What the work-plan API blueprints share: rule errors as problem documents."""

from __future__ import annotations

from werkzeug.http import HTTP_STATUS_CODES

from service.core.db import db
from service.core.errors import problem
from service.workplan.services import WorkPlanRuleError


def rule_broken(error: WorkPlanRuleError):
    db.session.rollback()
    errors = None
    detail = error.message
    if error.field:
        errors = [{"field": error.field, "location": "json", "message": error.message}]
        detail = f"{error.field}: {error.message}"
    return problem(error.status, HTTP_STATUS_CODES[error.status], detail, errors)


def handle_rule_errors(*blueprints) -> None:
    for blueprint in blueprints:
        blueprint.register_error_handler(WorkPlanRuleError, rule_broken)
