import pytest

from tests.accounts.factories import UserFactory
from tests.querybudget import assert_query_budget, page_size

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]


@pytest.fixture
def caller(client_for):
    user = UserFactory(is_staff=True)
    return user, client_for(user)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "limit"),
        ("limit=-5", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        ("offset=xyz", "offset"),
        ("offset=99999999999999999999999", "offset"),
    ],
)
def test_bad_page_parameters_are_400_with_a_field_message(caller, query, field):
    _, client = caller
    response = client.get(f"/t/users/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert body[field][0].startswith(field)


def test_envelope_defaults(caller):
    _, client = caller
    UserFactory.create_batch(3)
    body = client.get("/t/users/").json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)
    assert len(body["items"]) == 3


def test_limit_and_offset_select_the_page(caller):
    _, client = caller
    UserFactory.create_batch(9)
    ids = [row["id"] for row in client.get("/t/users/?limit=200").json()["items"]]
    page = client.get("/t/users/?limit=3&offset=4").json()
    assert [row["id"] for row in page["items"]] == ids[4:7]
    assert page["total"] == 9


def test_limit_200_is_allowed(caller):
    _, client = caller
    assert client.get("/t/users/?limit=200").status_code == 200


def test_offset_past_the_end_gives_no_items_and_the_true_total(caller, django_assert_num_queries):
    _, client = caller
    UserFactory.create_batch(2)
    # token, count (no page query past the end)
    with django_assert_num_queries(2):
        body = client.get("/t/users/?offset=500").json()
    assert body == {"items": [], "total": 2, "limit": 50, "offset": 500}


def test_list_budget_is_the_same_for_1_and_50_rows(caller):
    _, client = caller
    # token, count, page
    assert_query_budget(
        request=lambda: client.get("/t/users/?limit=200"),
        add_rows=UserFactory.create_batch,
        budget=3,
        expect_items=page_size,
    )


def test_cursor_pages_walk_the_stream_newest_first(caller, django_assert_num_queries):
    user, client = caller
    UserFactory.create_batch(6)
    # token, page (limit + 1 rows, no COUNT)
    with django_assert_num_queries(2):
        first = client.get("/t/stream/?limit=4").json()
    assert set(first) == {"items", "has_more", "next_before"}
    assert first["has_more"] is True
    ids = [row["id"] for row in first["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 4
    assert first["next_before"] == ids[-1]
    second = client.get(f"/t/stream/?limit=4&before={first['next_before']}").json()
    assert second["has_more"] is False and second["next_before"] is None
    assert len(second["items"]) == 2
    assert max(row["id"] for row in second["items"]) < ids[-1]


@pytest.mark.parametrize("query", ["before=abc", "before=0", "before=99999999999999999999", "limit=0"])
def test_cursor_bad_input_is_400(caller, query):
    _, client = caller
    response = client.get(f"/t/stream/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [query.split("=")[0]]


def test_a_known_total_skips_the_count(caller, django_assert_num_queries):
    _, client = caller
    UserFactory.create_batch(3)
    # token, page: no COUNT
    with django_assert_num_queries(2):
        body = client.get("/t/users-known-total/?known=3&limit=2").json()
    assert (body["total"], len(body["items"])) == (3, 2)
    # past the known end: no page query either
    with django_assert_num_queries(1):
        assert client.get("/t/users-known-total/?known=3&offset=3").json()["items"] == []
    assert client.get("/t/users-known-total/?known=3&offset=-1").status_code == 400
