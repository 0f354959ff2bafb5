"""The admin's list pages under hostile paging, search, sort and filter arguments: never a 500.

Every list view the admin mounts is swept, signed in as the secretariat and as a focal point:
first each argument alone with a fixed set of hostile values, then random combinations
(hypothesis). A view added later is swept too: the views are read from the running admin.
"""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admin.views.base import RecordView

HOSTILE = [
    "1" + "0" * 30,  # 10**30
    "-5",
    "abc",
    "\x00",
    "a\x00b",
    "%FF%FE",  # not UTF-8 (sent as is, already percent-encoded)
    "9" * 25,
    "x" * 600,
]
LIST_ARGUMENTS = ["page", "page_size", "sort", "desc", "search"]


def list_views(app) -> dict[str, list[str]]:
    """Each list page of the admin -> its filter arguments."""
    (admin,) = app.extensions["admin"]
    return {
        f"/admin/{view.endpoint}/": [f"flt0_{key}" for key in (view._filter_args or {})]
        for view in admin._views
        if isinstance(view, RecordView)
    }


def encoded(value: str) -> str:
    return value if value.startswith("%") else quote(value, safe="")


def get(test_client, path: str, arguments: dict[str, str]):
    query = "&".join(f"{name}={encoded(value)}" for name, value in arguments.items())
    return test_client.get(f"{path}?{query}")


@pytest.fixture(params=["secretariat", "focal_point"])
def person(request, client, login):
    if request.param == "secretariat":
        login(client, "secretariat")
    else:
        login(client, "focal_point", "AR")
    return client


def test_every_admin_list_argument_with_hostile_values_gives_no_server_error(app, person):
    views = list_views(app)
    assert len(views) >= 14  # every model view of the admin is swept
    failures, requests = [], 0
    for path, filters in views.items():
        for value in HOSTILE:
            # the paging, sort and search arguments together, then each filter on its own
            for arguments in [dict.fromkeys(LIST_ARGUMENTS, value)] + [
                {name: value} for name in filters
            ]:
                response = get(person, path, arguments)
                requests += 1
                if response.status_code >= 500:
                    failures.append((path, arguments, response.status_code))
    print(f"\nadmin list sweep: {requests} requests, {len(failures)} server errors")
    assert failures == []


def test_paging_past_the_end_or_before_the_start_shows_a_page_not_an_error(app, person):
    for page in ("1" + "0" * 30, "-5"):
        response = person.get(f"/admin/activity/?page={page}")
        assert response.status_code == 200
        assert "model-list" in response.get_data(as_text=True)


def test_a_filter_value_that_is_not_one_of_its_options_is_named_and_not_applied(app, client, login):
    login(client, "secretariat")
    response = client.get("/admin/authority/?flt0_status_equals=nope")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "&#39;nope&#39; is not one of its values" in page or "'nope' is not one of" in page


@st.composite
def list_requests(draw, views):
    path = draw(st.sampled_from(sorted(views)))
    filters = views[path]
    path += draw(st.sampled_from(["", "export/csv/"]))  # the export reads the same arguments
    names = draw(
        st.lists(st.sampled_from(LIST_ARGUMENTS + filters), min_size=1, max_size=4, unique=True)
    )
    values = st.one_of(
        st.sampled_from(HOSTILE),
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.text(max_size=30),
    )
    return path, {name: draw(values) for name in names}


def test_random_combinations_of_list_arguments_give_no_server_error(app, client, login):
    login(client, "focal_point", "AR")
    secretariat = app.test_client()
    from flask import g

    with app.test_request_context():
        g.pop("csrf_token", None)
    login(secretariat, "secretariat")
    views = list_views(app)
    seen = {"requests": 0}

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(request=list_requests(views), as_secretariat=st.booleans())
    def run(request, as_secretariat):
        path, arguments = request
        seen["requests"] += 1
        response = get(secretariat if as_secretariat else client, path, arguments)
        assert response.status_code < 500, (path, arguments)

    run()
    print(f"\nadmin list fuzzing: {seen['requests']} random requests, 0 server errors")


@pytest.mark.parametrize(
    ("path", "shown", "hidden"),
    [
        ("/admin/memberstate/?flt0_status_equals=active", "Argentina", None),
        ("/admin/authority/?flt0_member_state_equals=AR", "AR", "BR ·"),
        ("/admin/authority/?flt0_is_coordinating_equals=1", "AR", None),
    ],
)
def test_valid_filter_values_still_filter(client, login, path, shown, hidden):
    login(client, "secretariat")
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "is not one of its values" not in page and shown in page
    rows = page.split("<table", 1)[-1].split("</table>", 1)[0]  # the rows, not the filters
    assert hidden is None or hidden not in rows


def test_every_admin_list_sorts_by_each_of_its_columns(app, client, login):
    """Each column a list offers to sort by, both ways, on each database (PostgreSQL has no
    order for JSON: such a column must not be offered, nor taken from `?sort=`)."""
    login(client, "secretariat")
    (admin,) = app.extensions["admin"]
    failures, sorts = [], 0
    for view in admin._views:
        if not isinstance(view, RecordView):
            continue
        for index in range(len(view._list_columns) + 1):  # one past the end: ignored
            for desc in ("0", "1"):
                sorts += 1
                response = client.get(f"/admin/{view.endpoint}/?sort={index}&desc={desc}")
                if response.status_code >= 500:
                    failures.append((view.endpoint, index, desc))
    assert sorts > 100
    assert failures == []
