"""The flask-admin UI for the secretariat and the member-state focal points (over the features)."""

from __future__ import annotations

import os

from flask import Blueprint, Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

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
        name="OAS Directory",
        url="/admin",
        theme=Bootstrap4Theme(base_template="oas_admin/layout.html", fluid=True),
        index_view=DashboardView(name="Dashboard", url="/admin"),
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

    directory, workplan, accounts = "Directory", "Work plan", "Accounts"
    views = [
        MemberStateView(MemberState, db, name="Member states", category=directory),
        AuthorityView(Authority, db, name="Authorities", category=directory),
        ContactPointView(ContactPoint, db, name="Contact points", category=directory),
        # Focal points read every state's entries here, apart from the views they edit in.
        NetworkAuthorityView(
            Authority,
            db,
            name="All states' authorities",
            category=directory,
            endpoint="network_authority",
        ),
        NetworkContactView(
            ContactPoint,
            db,
            name="All states' contacts",
            category=directory,
            endpoint="network_contact",
        ),
        PrintableDirectoryView(
            name="Printable directory", category=directory, endpoint="printable_directory"
        ),
        DocumentView(SourceDocument, db, name="Source documents", category=workplan),
        RecommendationView(Recommendation, db, name="Recommendations", category=workplan),
        BodyView(ResponsibleBody, db, name="Responsible bodies", category=workplan),
        WorkPlanView(WorkPlan, db, name="Work plans", category=workplan),
        ActivityView(Activity, db, name="Activities", category=workplan),
        UserView(User, db, name="Users and roles", category=accounts),
        InvitationView(Invitation, db, name="Invitations", category=accounts),
        ApiClientView(ApiClient, db, name="API clients", category=accounts),
        WebhookEndpointView(WebhookEndpoint, db, name="Webhook endpoints", category=accounts),
        WebhookDeliveryView(WebhookDelivery, db, name="Webhook deliveries", category=accounts),
        AuditLogView(AuditEntry, db, name="Audit log"),
        FreshnessView(name="Freshness", category=directory, endpoint="freshness"),
    ]
    admin.add_views(*views)
    return admin
