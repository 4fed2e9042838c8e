"""UserListAPI (registration) and UserAPI (one's own account)."""

import re
import sys

import jsonschema
import pytest

from support import TASKS, basic
from todo import create_app, usernames, users

USERS = "/todo/api/v1.0/users"


@pytest.fixture
def open_app(app):
    app.config["REGISTRATION"] = "open"
    return app


def register(client, username="susan", password="long-enough"):
    return client.post(USERS, json={"username": username, "password": password})


def test_registration_is_closed_by_default(client, store):
    response = register(client)
    assert response.status_code == 403
    assert response.get_json()["error"] == "Forbidden"
    assert store.get_user("susan") is None


def test_registration_opens_with_the_setting(monkeypatch, store_url):
    monkeypatch.setenv("TODO_REGISTRATION", "open")
    assert create_app({"STORE": store_url}).config["REGISTRATION"] == "open"


def test_register_then_use_the_account(open_app, client):
    response = register(client)
    assert response.status_code == 201
    user = response.get_json()["user"]
    assert user == {"username": "susan", "uri": response.headers["Location"]}
    susan = basic("susan", "long-enough")
    assert client.get(user["uri"], headers=susan).get_json() == {"user": user}
    assert client.post(TASKS, json={"title": "mine"}, headers=susan).status_code == 201


def test_a_taken_username_is_409(open_app, client):
    register(client)
    response = register(client, password="another-one")
    assert response.status_code == 409
    assert response.get_json() == {"error": "Conflict", "message": {"username": "Already taken"}}
    assert client.get(TASKS, headers=basic("susan", "another-one")).status_code == 401


NAME_RULE = usernames.RULE


@pytest.mark.parametrize("body, errors", [
    ({"username": "", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "x" * 65, "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "with space", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "colon:name", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "émile", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "..", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": ".hidden", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "-flag", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "_x", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "susan ", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "ｓｕｓａｎ：x", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "a\u0000", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": "\ud800x", "password": "long-enough"}, {"username": NAME_RULE}),
    ({"username": 5, "password": "long-enough"}, {"username": "Must be a string, not a number"}),
    ({"username": "ok", "password": "short"}, {"password": "Must be at least 8 characters"}),
    ({"username": "ok", "password": "x" * 1025}, {"password": "Must be at most 1024 characters"}),
    ({"username": "ok", "password": None}, {"password": "Must be a string, not null"}),
    ({}, {"username": "No username provided", "password": "No password provided"}),
    ({"username": "ok", "password": "long-enough", "admin": True}, {"admin": "Unknown field"}),
])
def test_registration_rules(open_app, client, store, body, errors):
    response = client.post(USERS, json=body)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request", "message": errors}
    assert [u["username"] for u in store.list_users()] == ["alice", "bob"]


@pytest.mark.parametrize("username", ["a", "x" * 64, "first.last", "under_score", "dash-1"])
def test_usernames_that_are_fine(open_app, client, username):
    assert register(client, username).status_code == 201


@pytest.fixture
def alice_uri(store):
    return f"http://localhost{USERS}/{store.get_user('alice')['id']}"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_ones_own_account(client, bob, alice_uri, store, method):
    kwargs = {"json": {"password": "taken-over"}} if method == "put" else {}
    response = getattr(client, method)(alice_uri, headers=bob, **kwargs)
    assert response.status_code == 404
    assert store.get_user("alice") is not None
    assert client.get(TASKS, headers=basic("alice", "taken-over")).status_code == 401


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_the_account_routes_need_credentials(client, alice_uri, method):
    assert getattr(client, method)(alice_uri).status_code == 401


def test_change_the_password(client, alice, alice_uri):
    response = client.put(alice_uri, json={"password": "a-new-secret"}, headers=alice)
    assert response.status_code == 200
    assert response.get_json()["user"]["username"] == "alice"
    assert client.get(TASKS, headers=alice).status_code == 401
    assert client.get(TASKS, headers=basic("alice", "a-new-secret")).status_code == 200


def test_a_bad_new_password_changes_nothing(client, alice, alice_uri):
    response = client.put(alice_uri, json={"password": "short"}, headers=alice)
    assert response.status_code == 400
    assert client.get(TASKS, headers=alice).status_code == 200


def test_delete_the_account_and_its_tasks(client, alice, alice_uri, store):
    owner = store.get_user("alice")["id"]
    client.post(TASKS, json={"title": "t"}, headers=alice)
    response = client.delete(alice_uri, headers=alice)
    assert response.get_json() == {"result": True}
    assert store.get_user("alice") is None
    assert store.list_tasks(owner) == []
    assert client.get(TASKS, headers=alice).status_code == 401


TOKENS = "/todo/api/v1.0/tokens"
PASSWORD_NEEDED = {"error": "Forbidden",
                   "message": "This change needs the account's current password: "
                              "send it with Basic credentials, not a token"}


@pytest.fixture
def token(client, alice):
    return client.post(TOKENS, headers=alice).get_json()["token"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
@pytest.mark.parametrize("method, body", [("put", {"password": "taken-over!"}), ("delete", None)])
def test_a_token_in_any_case_of_bearer_reads_the_account_but_cannot_change_it(
        client, alice, alice_uri, token, scheme, method, body):
    headers = {"Authorization": f"{scheme} {token}"}
    assert client.get(alice_uri, headers=headers).status_code == 200
    response = getattr(client, method)(alice_uri, json=body, headers=headers)
    assert response.status_code == 403
    assert response.get_json() == PASSWORD_NEEDED
    # Nothing changed: the password, the account, the token itself.
    assert client.get(TASKS, headers=alice).status_code == 200
    assert client.get(TASKS, headers=headers).status_code == 200


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_a_token_in_any_case_of_bearer_cannot_get_a_token_but_revokes_itself(
        client, token, scheme):
    headers = {"Authorization": f"{scheme} {token}"}
    response = client.post(TOKENS, headers=headers)
    assert response.status_code == 403
    assert response.get_json() == PASSWORD_NEEDED
    assert client.delete(TOKENS, headers=headers).status_code == 200
    assert client.get(TASKS, headers=headers).status_code == 401


def test_listing_users_is_not_offered(client, alice):
    assert client.get(USERS, headers=alice).status_code == 405


@pytest.mark.parametrize("taken", ["Susan", "SUSAN", "ｓｕｓａｎ", "ＳＵＳＡＮ"])
def test_a_name_taken_in_another_case_or_width_is_409(open_app, client, store, taken):
    assert register(client, "susan").status_code == 201
    response = register(client, taken, password="another-one")
    assert response.status_code == 409
    assert response.get_json()["message"] == {"username": "Already taken"}
    assert [u["username"] for u in store.list_users()] == ["alice", "bob", "susan"]


def test_a_name_is_stored_normalised_and_logs_in_in_any_case(open_app, client, store):
    response = register(client, "Ｓｕｓａｎ.Ｂ")   # full-width letters
    assert response.status_code == 201
    assert response.get_json()["user"]["username"] == "Susan.B"
    assert store.get_user("susan.b")["username"] == "Susan.B"
    for spelling in ("Susan.B", "susan.b", "SUSAN.B", "Ｓｕｓａｎ.Ｂ"):
        assert client.get(TASKS, headers=basic(spelling, "long-enough")).status_code == 200


def test_a_login_finds_the_user_by_any_case_of_the_name(client, alice):
    assert client.get(TASKS, headers=basic("ALICE", "alice-secret")).status_code == 200
    assert client.get(TASKS, headers=basic("Alice", "wrong-secret")).status_code == 401


def _schema_accepts(name):
    return jsonschema.Draft202012Validator(users.username.schema).is_valid(name)


def _validator_accepts(name):
    try:
        users.username(name)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name, accepted", [
    ("miguel", True), ("Miguel", True), ("a", True), ("x" * 64, True), ("x" * 65, False),
    ("", False), ("..", False), ("a..b", True), ("-a", False), ("0-a_b.c", True),
    ("ｍｉｇｕｅｌ", True), ("ﬁle", True), ("a‥b", True), ("‥a", False), ("⑩" * 32, True),
    ("𝐦𝐢𝐠𝐮𝐞𝐥", True), ("e\u0301", False), ("é", False), ("мiguel", False), ("a:b", False),
    ("a b", False), ("a\x00", False), ("a\ud800", False), ("⑴", False), ("ǅ", False),
])
def test_the_username_schema_says_what_the_validator_does(name, accepted):
    assert _schema_accepts(name) is accepted
    assert _validator_accepts(name) is accepted


def test_the_username_schema_counts_the_length_before_normalising():
    # The one thing JSON Schema cannot say, and the description does: ⑩ is two.
    assert _schema_accepts("⑩" * 33) and not _validator_accepts("⑩" * 33)


@pytest.mark.slow   # every code point of every plane: seconds of CPU
def test_the_username_pattern_admits_exactly_the_characters_that_normalise_into_the_rule():
    # Every code point, in every plane: the pattern's classes are built from the first
    # two, and this notices a Unicode version that maps characters elsewhere to ASCII.
    pattern, rule = re.compile(users.username.schema["pattern"]), re.compile(usernames.PATTERN)
    wrong = [hex(point) for point in range(sys.maxunicode + 1)
             if not 0xD800 <= point <= 0xDFFF
             for name in (chr(point), "a" + chr(point))
             if bool(pattern.search(name)) is not bool(rule.fullmatch(usernames.normalize(name)))]
    assert wrong == []
