"""The flask-admin UI for the secretariat and the member-state focal points (over the features)."""

from __future__ import annotations

import os

from flask import Blueprint, Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def configure_admin(app: Flask) -> Admin:
    """Mounts the admin at /admin; every view asks service.core.access who may see and do what."""
    from admin.views.accounts import ApiClientView, InvitationView, UserView
    from admin.views.audit import AuditLogView
    from admin.views.dashboard import DashboardView
    from admin.views.directory import (
        AuthorityView,
        ContactPointView,
        MemberStateView,
        NetworkAuthorityView,
        NetworkContactView,
        PrintableDirectoryView,
    )
    from admin.views.freshness import FreshnessView
    from admin.views.webhooks import WebhookDeliveryView, WebhookEndpointView
    from admin.views.workplan import (
        ActivityView,
        BodyView,
        DocumentView,
        RecommendationView,
        WorkPlanView,
    )
    from service.core.authentication import signed_in_user
    from service.core.db import db
    from service.core.labels import label

    # Our templates (layout, dashboard, error pages) come from this package.
    app.register_blueprint(Blueprint("admin_templates", __name__, template_folder=TEMPLATES))
    app.context_processor(lambda: {"signed_in_person": signed_in_user})
    app.jinja_env.globals["vocabulary_label"] = label  # the words of an enum, as the API says
    admin = Admin(
        app,
        name=_l("OAS Directory"),
        url="/admin",
        theme=Bootstrap4Theme(base_template="oas_admin/layout.html", fluid=True),
        index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
    )
    from service.audit.models import AuditEntry
    from service.directory.models import Authority, ContactPoint, MemberState
    from service.identity.models import Invitation, User
    from service.oauth.models import ApiClient
    from service.webhooks.models import WebhookDelivery, WebhookEndpoint
    from service.workplan.models import (
        Activity,
        Recommendation,
        ResponsibleBody,
        SourceDocument,
        WorkPlan,
    )

    directory, workplan, accounts = _l("Directory"), _l("Work plan"), _l("Accounts")
    views = [
        MemberStateView(MemberState, db, name=_l("Member states"), category=directory),
        AuthorityView(Authority, db, name=_l("Authorities"), category=directory),
        ContactPointView(ContactPoint, db, name=_l("Contact points"), category=directory),
        # Focal points read every state's entries here, apart from the views they edit in.
        NetworkAuthorityView(
            Authority,
            db,
            name=_l("All states' authorities"),
            category=directory,
            endpoint="network_authority",
        ),
        NetworkContactView(
            ContactPoint,
            db,
            name=_l("All states' contacts"),
            category=directory,
            endpoint="network_contact",
        ),
        PrintableDirectoryView(
            name=_l("Printable directory"), category=directory, endpoint="printable_directory"
        ),
        DocumentView(SourceDocument, db, name=_l("Source documents"), category=workplan),
        RecommendationView(Recommendation, db, name=_l("Recommendations"), category=workplan),
        BodyView(ResponsibleBody, db, name=_l("Responsible bodies"), category=workplan),
        WorkPlanView(WorkPlan, db, name=_l("Work plans"), category=workplan),
        ActivityView(Activity, db, name=_l("Activities"), category=workplan),
        UserView(User, db, name=_l("Users and roles"), category=accounts),
        InvitationView(Invitation, db, name=_l("Invitations"), category=accounts),
        ApiClientView(ApiClient, db, name=_l("API clients"), category=accounts),
        WebhookEndpointView(WebhookEndpoint, db, name=_l("Webhook endpoints"), category=accounts),
        WebhookDeliveryView(WebhookDelivery, db, name=_l("Webhook deliveries"), category=accounts),
        AuditLogView(AuditEntry, db, name=_l("Audit log")),
        FreshnessView(name=_l("Freshness"), category=directory, endpoint="freshness"),
    ]
    admin.add_views(*views)
    return admin
