"""Directory API: /api/v1/member-states, /authorities and /contacts (thin: see services.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_babel import gettext as _
from webargs.flaskparser import abort

from service.core.access import (
    Principal,
    Scope,
    current_principal,
    may_see_secretariat_only,
    require,
)
from service.core.api import (
    API_PREFIX,
    IF_MATCH_DOC,
    Blueprint,
    check_if_match,
    count_of,
    etag_data,
    get_or_404,
    page_of,
    page_rows,
    paginated,
)
from service.core.db import db
from service.core.headers import add_vary
from service.core.response_cache import cached, item_cache
from service.core.versions import Family
from service.directory import exports, queries, services
from service.directory.completeness import completeness
from service.directory.models import Authority, ContactPoint, MemberState, Visibility
from service.directory.schemas import (
    AuthorityCreateSchema,
    AuthorityQueryArgs,
    AuthoritySchema,
    AuthorityUpdateSchema,
    CompletenessQueryArgs,
    CompletenessSchema,
    ContactCreateSchema,
    ContactPointSchema,
    ContactQueryArgs,
    ContactUpdateSchema,
    MemberStateQueryArgs,
    MemberStateSchema,
)

ID = "<int(max=2147483647):{}>"

member_states = Blueprint(
    "member_states",
    __name__,
    url_prefix=f"{API_PREFIX}/member-states",
    description="The 35 OAS member states: ISO 3166-1 codes, names in the four OAS languages, "
    "and how complete each state's directory entry is.",
)
authorities = Blueprint(
    "authorities",
    __name__,
    url_prefix=f"{API_PREFIX}/authorities",
    description="National authorities on trafficking in persons. DELETE archives; archived "
    "entries stay restorable and appear in incremental sync as removed.",
)
contacts = Blueprint(
    "contacts",
    __name__,
    url_prefix=f"{API_PREFIX}/contacts",
    description="Contact points of the authorities, with their channels. The list also "
    "answers Accept: text/csv and Accept: text/vcard.",
)


# Reads are answered from cached bytes keyed by the directory's version (service/core/
# response_cache.py): lists and figures get their ETag from it, one entry from its row version.
LIST = cached(Family.DIRECTORY, version_etag=True)
ENTRY = cached(Family.DIRECTORY, version_etag=False)
# "re-confirmed in the last 12 months" moves with the clock: figures are redone hourly at least
FIGURES = cached(Family.DIRECTORY, version_etag=True, period=3600)


# -- member states ---------------------------------------------------------------------------


@member_states.route("")
class MemberStates(MethodView):
    @require(Scope.DIRECTORY_READ)
    @LIST
    @member_states.arguments(MemberStateQueryArgs, location="query")
    @member_states.response(200, MemberStateSchema(many=True))
    @paginated(member_states, page_size=50)
    def get(self, args: dict, pagination_parameters: Any) -> list:
        """List member states"""
        statement = db.select(MemberState).order_by(MemberState.code)
        if "status" in args:
            statement = statement.where(MemberState.status == args["status"])
        return page_of(statement, pagination_parameters)


@member_states.route("/completeness")
class Completeness(MethodView):
    @require(Scope.DIRECTORY_READ)
    @FIGURES
    @member_states.arguments(CompletenessQueryArgs, location="query")
    @member_states.response(200, CompletenessSchema(many=True))
    def get(self, args: dict) -> list[dict]:
        """Directory completeness of every member state

        For each state, five criteria, each `{met, entries}`, computed among active entries
        visible to the network (never secretariat-only contact points, for any caller): a
        national coordinating authority; a focal point (with the share of authorities that
        also have an alternate); a contact competent in protection and assistance of victims;
        a 24/7 operational contact at an authority competent for investigation or
        prosecution (public hotlines never count); every active entry re-confirmed within
        `FRESHNESS_MONTHS`. `complete` when all five are met. States that do not take part
        (suspended, withdrawn, not participating) have `participating: false`, their dated
        note and its source, and `complete: null`: they are shown apart, never as gaps.
        """
        codes = [c.upper() for c in args["member_state"]] if args.get("member_state") else None
        return completeness(codes)


@member_states.route("/<string(maxlength=2):code>")
class MemberStateByCode(MethodView):
    @require(Scope.DIRECTORY_READ)
    @ENTRY
    @member_states.etag
    @member_states.response(200, MemberStateSchema)
    def get(self, code: str) -> Any:
        """One member state by its ISO 3166-1 alpha-2 code"""
        return member_state_or_404(code)


@member_states.route("/<string(maxlength=2):code>/completeness")
class MemberStateCompleteness(MethodView):
    @require(Scope.DIRECTORY_READ)
    @FIGURES
    @member_states.response(200, CompletenessSchema)
    def get(self, code: str) -> Any:
        """Directory completeness of one member state"""
        return completeness([member_state_or_404(code).code])[0]


def member_state_or_404(code: str) -> MemberState:
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        # a code of another shape (a NUL, 5,000 characters) exists nowhere: ask no database
        abort(404, message="No member state with that code (ISO 3166-1 alpha-2, e.g. AR).")
    return get_or_404(MemberState, code.upper(), "member state", key="code")


# -- authorities -----------------------------------------------------------------------------


def authority_or_404(authority_id: int) -> Authority:
    return get_or_404(Authority, authority_id, "authority")


@authorities.route("")
class Authorities(MethodView):
    @require(Scope.DIRECTORY_READ)
    @LIST
    @authorities.arguments(AuthorityQueryArgs, location="query")
    @authorities.response(200, AuthoritySchema(many=True))
    @paginated(authorities)
    def get(self, args: dict, pagination_parameters: Any) -> list:
        """List authorities

        Filters combine with AND. With `updated_since`, archived authorities changed since
        then are included with `removed: true`, so a mirror can drop them.
        """
        statement = queries.authorities_statement(args)
        return page_of(
            queries.authorities_page_statement(statement, args["sort"]), pagination_parameters
        )

    @require(Scope.DIRECTORY_WRITE)
    @authorities.etag
    @authorities.arguments(AuthorityCreateSchema)
    @authorities.response(201, AuthoritySchema)
    def post(self, data: dict) -> tuple:
        """Create an authority (in a member state the caller may edit)"""
        authority = services.create_authority(data)
        authorities.set_etag(etag_data(authority))
        return authority, 201, {"Location": f"{authorities.url_prefix}/{authority.id}"}


@authorities.route(f"/{ID.format('authority_id')}")
class AuthorityById(MethodView):
    @require(Scope.DIRECTORY_READ)
    @ENTRY
    @authorities.etag
    @authorities.response(200, AuthoritySchema)
    def get(self, authority_id: int) -> Any:
        """One authority (archived ones too, with `removed: true`)"""
        authority = authority_or_404(authority_id)
        authorities.set_etag(etag_data(authority))
        return authority

    @require(Scope.DIRECTORY_WRITE)
    @authorities.etag
    @authorities.arguments(AuthorityUpdateSchema)
    @authorities.response(200, AuthoritySchema)
    def patch(self, data: dict, authority_id: int) -> Any:
        """Change an authority: only the fields sent change (If-Match required)"""
        authority = authority_or_404(authority_id)
        authorities.check_etag(etag_data(authority))
        services.update_authority(authority, data)
        authorities.set_etag(etag_data(authority))
        return authority

    @require(Scope.DIRECTORY_WRITE)
    @authorities.etag
    @authorities.response(204)
    def delete(self, authority_id: int) -> None:
        """Archive an authority (If-Match required; its contact points must be archived first)"""
        authority = authority_or_404(authority_id)
        authorities.check_etag(etag_data(authority))
        services.archive_authority(authority)


def entry_action(
    blueprint: Any,
    name: str,
    id_arg: Any,
    lookup: Any,
    etag_of: Any,
    change: Any,
    schema: Any,
    summary: str,
) -> None:
    """POST /<entry>/{id}/<name>: restore or verify an entry, guarded by If-Match like PATCH."""

    @require(Scope.DIRECTORY_WRITE)
    @blueprint.etag
    @blueprint.doc(**IF_MATCH_DOC)
    @blueprint.response(200, schema)
    def post(self: MethodView, **path: Any) -> Any:
        entry = lookup(path[id_arg])
        check_if_match(etag_of(entry))
        change(entry)
        blueprint.set_etag(etag_of(entry))
        return entry

    post.__doc__ = summary
    view = type(f"{blueprint.name.title()}{name.title()}", (MethodView,), {"post": post})
    blueprint.route(f"/{ID.format(id_arg)}/{name}")(view)


entry_action(
    authorities,
    "restore",
    "authority_id",
    authority_or_404,
    etag_data,
    services.restore_authority,
    AuthoritySchema,
    "Restore an archived authority (If-Match required)",
)
entry_action(
    authorities,
    "verify",
    "authority_id",
    authority_or_404,
    etag_data,
    services.verify_authority,
    AuthoritySchema,
    "Record that the authority was re-confirmed as accurate, now, by the caller",
)


# -- contact points --------------------------------------------------------------------------


def contact_etag_data(contact: ContactPoint) -> dict:
    # A contact shows its authority's name: renaming the authority changes the contact's tag.
    return {**etag_data(contact), "authority": etag_data(contact.authority)}


def contact_or_404(contact_id: int) -> ContactPoint:
    contact = db.session.execute(
        queries.visible_contact(contact_id, current_principal())
    ).scalar_one_or_none()
    if contact is None:  # secretariat-only entries do not exist for anyone else
        abort(404, message=_("No contact point with id %(id)s.", id=contact_id))
    return contact


EXPORTS = {
    exports.CSV_MIMETYPE: exports.contacts_csv,
    exports.VCARD_MIMETYPE: exports.contacts_vcard,
}
# The printable directory: the network-visible active entries as a document, by state.
PRINTABLE = (exports.HTML_MIMETYPE, exports.PDF_MIMETYPE)
REPRESENTATIONS = ["application/json", *EXPORTS, *PRINTABLE]


def representation_asked(offered: list[str]) -> str:
    """The representation the Accept header asks for: JSON without one; 406 (listing what is
    offered) when none of ours is acceptable."""
    if not request.accept_mimetypes:
        return offered[0]
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        abort(
            406,
            message=_(
                "Not available as %(asked)r; offered: %(offered)s.",
                asked=request.headers.get("Accept"),
                offered=", ".join(offered),
            ),
        )
    return best


def as_file(body: str | bytes, representation: str, name: str) -> Response:
    return exports.as_download(body, representation, name)


CONTACTS_LIST = (
    "JSON: one page of contact points. text/csv: every match (not one page), one row each, "
    "UTF-8, channels in columns (several values separated by '; '). text/vcard: every match "
    "as vCard 4.0 (RFC 6350), one card each. With `updated_since`, a caller who may not see "
    "secretariat-only contact points gets those changed since then as tombstones: only `id`, "
    "`removed` (true), `archived_at` (null) and `updated_at`, every other field absent "
    "(exports never include them). text/html and application/pdf: the printable directory "
    '"Directory of National Authorities — as of DATE", by member state (coordinating '
    "authority and 24/7 operational contacts first; states not taking part apart, with their "
    "note), listing only active entries visible to the whole network, whoever asks; an empty "
    "selection gives a document that says so."
)


@contacts.after_request
def vary_on_accept(response: Response) -> Response:
    # the contacts list answers JSON, CSV or vCard at one URL: caches must key on Accept
    add_vary(response, "Accept")
    return response


@contacts.route("")
class Contacts(MethodView):
    @require(Scope.DIRECTORY_READ)
    @cached(Family.DIRECTORY, version_etag=True, representations=REPRESENTATIONS)
    @contacts.arguments(ContactQueryArgs, location="query")
    @contacts.response(200, ContactPointSchema(many=True), description=CONTACTS_LIST)
    @contacts.alt_response(
        200,
        schema={"type": "string"},
        content_type=exports.CSV_MIMETYPE,
        description=CONTACTS_LIST,
        success=True,
    )
    @contacts.alt_response(
        200,
        schema={"type": "string"},
        content_type=exports.VCARD_MIMETYPE,
        description=CONTACTS_LIST,
        success=True,
    )
    @contacts.alt_response(
        200,
        schema={"type": "string"},
        content_type=exports.HTML_MIMETYPE,
        description=CONTACTS_LIST,
        success=True,
    )
    @contacts.alt_response(
        200,
        schema={"type": "string", "format": "binary"},
        content_type=exports.PDF_MIMETYPE,
        description=CONTACTS_LIST,
        success=True,
    )
    @contacts.alt_response(406, response="NOT_ACCEPTABLE")
    @contacts.alt_response(503, response="SERVICE_UNAVAILABLE")
    @paginated(contacts)
    def get(self, args: dict, pagination_parameters: Any) -> list | Response:
        """List contact points with their channels

        Filters combine with AND; `q` also matches the authority's name. With
        `updated_since`, archived contact points changed since then are included with
        `removed: true`; so are contact points made secretariat-only since then, for callers
        who may not see those, as tombstones with only `id`, `removed`, `archived_at` (null)
        and `updated_at` (filters other than `updated_since` do not apply to them).
        `Accept: text/csv` or `text/vcard` exports every match at once, never a tombstone.
        `Accept: text/html` or `application/pdf` gives the printable directory of the matches
        (only active entries visible to the whole network), e.g. `?member_state=AR`.
        """
        representation = representation_asked(REPRESENTATIONS)
        principal = current_principal()
        if representation in PRINTABLE:
            return printable(representation, args, principal, pagination_parameters)
        # exports never carry tombstones: they list what the caller may see, nothing else
        tombstones = None if representation in EXPORTS else queries.hidden_in_sync(args, principal)
        if representation not in EXPORTS and tombstones is None:
            return contacts_page(args, principal, pagination_parameters)
        statement = queries.contacts_statement(args, principal, tombstones)
        page_statement = queries.contacts_page_statement(statement, args["sort"], tombstones)
        if representation in EXPORTS:
            return export(representation, page_statement, pagination_parameters)
        page = page_of(page_statement, pagination_parameters, count_with_page="q" in args)
        return [c if may_see_contact(principal, c) else tombstone(c) for c in page]

    @require(Scope.DIRECTORY_WRITE)
    @contacts.etag
    @contacts.arguments(ContactCreateSchema)
    @contacts.response(201, ContactPointSchema)
    def post(self, data: dict) -> tuple:
        """Create a contact point (at an authority of a member state the caller may edit)"""
        contact = services.create_contact(data)
        contacts.set_etag(contact_etag_data(contact))
        return contact, 201, {"Location": f"{contacts.url_prefix}/{contact.id}"}


CONTACT_ITEM = ContactPointSchema()


def contacts_page(args: dict, principal: Principal | None, pagination_parameters: Any) -> Response:
    """A page of contacts as JSON, each item's JSON kept under its tag: after a write, only
    the items that changed are read whole and dumped again."""
    tags, counted = queries.contacts_page_statements(args, principal)
    # a text search leaves few matches: read them once, with their total
    rows = page_rows(
        tags, pagination_parameters, count_with_page="q" in args, counted=counted, columns_only=True
    )
    return item_cache().json_list(
        "contact",
        [(row[0], row[: queries.CONTACT_TAG_LENGTH]) for row in rows],
        load=lambda ids: list(db.session.execute(queries.contacts_by_id(ids)).scalars()),
        tag_of=lambda contact: (contact.id, contact_tag(contact)),
        dump=CONTACT_ITEM.dump,
    )


def contact_tag(contact: ContactPoint) -> tuple:
    """What a contact's JSON is kept under (in the order of queries.contacts_page_tags'
    columns): what its ETag is made of (its row version and its authority's:
    contact_etag_data), with each row's last change, since a version number rolled back with
    its transaction is given again to the next change."""
    authority = contact.authority
    return (
        contact.id,
        contact.version,
        contact.updated_at,
        authority.id,
        authority.version,
        authority.updated_at,
    )


def may_see_contact(principal: Principal | None, contact: ContactPoint) -> bool:
    # the row-level twin of access.visible_contacts_clause
    return contact.visibility == Visibility.NETWORK or may_see_secretariat_only(principal)


def tombstone(contact: ContactPoint) -> dict:
    """A contact the caller may not see, as a sync lists it: removed, and nothing about it."""
    return {
        "id": contact.id,
        "is_archived": True,  # dumped as `removed`
        "archived_at": None,
        "updated_at": contact.updated_at,
    }


def export(representation: str, statement: Any, pagination_parameters: Any) -> Response:
    # An export is the whole selection: its X-Pagination says so (one page of all of it).
    rows = db.session.execute(statement).scalars().all()
    total = len(rows)
    pagination_parameters.page, pagination_parameters.page_size = 1, max(total, 1)
    pagination_parameters.item_count = total
    return as_file(EXPORTS[representation](rows), representation, "contacts")


def printable(
    representation: str, args: dict, principal: Principal | None, pagination_parameters: Any
) -> Response:
    """The printable directory of the list's selection, as HTML or as PDF rendered from it."""
    # (its ETag and cached bytes come from the list's @cached: keyed by the data version, the
    # viewer's class and the representation)
    statement = queries.printable_statement(args, principal)
    as_of = datetime.now(UTC).date()
    total = count_of(statement)
    pagination_parameters.page, pagination_parameters.page_size = 1, max(total, 1)
    pagination_parameters.item_count = total
    document = exports.directory_document(args, principal, as_of)
    html = exports.directory_html(document)
    if representation == exports.HTML_MIMETYPE:
        return as_file(html, representation, "directory")
    try:
        return as_file(exports.directory_pdf(html), representation, "directory")
    except exports.PdfUnavailableError as error:
        abort(503, message=str(error))
        raise  # abort() raised


@contacts.route(f"/{ID.format('contact_id')}")
class ContactById(MethodView):
    @require(Scope.DIRECTORY_READ)
    @cached(
        Family.DIRECTORY,
        version_etag=False,
        representations=["application/json", exports.VCARD_MIMETYPE],
    )
    @contacts.etag
    @contacts.response(200, ContactPointSchema)
    @contacts.alt_response(
        200,
        schema={"type": "string"},
        content_type=exports.VCARD_MIMETYPE,
        description="The contact point as a vCard 4.0 (RFC 6350) file",
        success=True,
    )
    @contacts.alt_response(406, response="NOT_ACCEPTABLE")
    def get(self, contact_id: int) -> Any:
        """One contact point (archived ones too, with `removed: true`)

        `Accept: text/vcard` gives it as a vCard 4.0 file, to add to an address book.
        """
        representation = representation_asked(["application/json", exports.VCARD_MIMETYPE])
        contact = contact_or_404(contact_id)
        if representation == exports.VCARD_MIMETYPE:
            contacts.set_etag({**contact_etag_data(contact), "representation": representation})
            return as_file(
                exports.contacts_vcard([contact]), representation, f"contact-{contact.id}"
            )
        contacts.set_etag(contact_etag_data(contact))
        return contact

    @require(Scope.DIRECTORY_WRITE)
    @contacts.etag
    @contacts.arguments(ContactUpdateSchema)
    @contacts.response(200, ContactPointSchema)
    def patch(self, data: dict, contact_id: int) -> Any:
        """Change a contact point: only the fields sent change; `channels` replaces them all"""
        contact = contact_or_404(contact_id)
        contacts.check_etag(contact_etag_data(contact))
        services.update_contact(contact, data)
        contacts.set_etag(contact_etag_data(contact))
        return contact

    @require(Scope.DIRECTORY_WRITE)
    @contacts.etag
    @contacts.response(204)
    def delete(self, contact_id: int) -> None:
        """Archive a contact point (If-Match required)"""
        contact = contact_or_404(contact_id)
        contacts.check_etag(contact_etag_data(contact))
        services.archive_contact(contact)


entry_action(
    contacts,
    "restore",
    "contact_id",
    contact_or_404,
    contact_etag_data,
    services.restore_contact,
    ContactPointSchema,
    "Restore an archived contact point (If-Match required)",
)
entry_action(
    contacts,
    "verify",
    "contact_id",
    contact_or_404,
    contact_etag_data,
    services.verify_contact,
    ContactPointSchema,
    "Record that the contact point was re-confirmed as accurate, now, by the caller",
)


blueprints = (member_states, authorities, contacts)
