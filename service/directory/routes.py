"""Directory API: /api/v1/member-states (authorities and contacts come with the directory issue)."""

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from service.core.access import Scope, require
from service.core.api import API_PREFIX, page_of, paginated
from service.core.db import db
from service.directory.models import MemberState
from service.directory.schemas import MemberStateQueryArgs, MemberStateSchema

member_states = Blueprint(
    "member_states",
    __name__,
    url_prefix=f"{API_PREFIX}/member-states",
    description="The 35 OAS member states: ISO 3166-1 codes, names in the four OAS languages.",
)


@member_states.route("")
class MemberStates(MethodView):
    @require(Scope.DIRECTORY_READ)
    @member_states.arguments(MemberStateQueryArgs, location="query")
    @member_states.response(200, MemberStateSchema(many=True))
    @paginated(member_states, page_size=50)
    def get(self, args, pagination_parameters):
        """List member states"""
        statement = sa.select(MemberState).order_by(MemberState.code)
        if "status" in args:
            statement = statement.where(MemberState.status == args["status"])
        return page_of(statement, pagination_parameters)


@member_states.route("/<string:code>")
class MemberStateByCode(MethodView):
    @require(Scope.DIRECTORY_READ)
    @member_states.etag
    @member_states.response(200, MemberStateSchema)
    def get(self, code):
        """One member state by its ISO 3166-1 alpha-2 code"""
        state = db.session.get(MemberState, code.upper())
        if state is None:
            abort(404, message=f"No member state with code {code!r}.")
        return state


blueprints = (member_states,)
