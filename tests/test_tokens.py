"""Bearer tokens: issue, use, expire, revoke; and what revokes them for you."""

import pytest

from openapi_check import CheckedClient
from support import PASSWORDS, SHARED_STORES, TASKS, basic, cheap_hash, on_stores
from todo import create_app
from todo.clock import ManualClock

TOKENS = "/todo/api/v1.0/tokens"
USERS = "/todo/api/v1.0/users"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token(client, alice):
    response = client.post(TOKENS, headers=alice)
    assert response.status_code == 200
    return response.get_json()["token"]


def test_a_token_for_basic_credentials(client, alice):
    body = client.post(TOKENS, headers=alice).get_json()
    assert set(body) == {"token", "expires_in"}
    assert body["expires_in"] == 3600
    assert len(body["token"]) >= 40


def test_every_token_is_new(client, alice):
    assert client.post(TOKENS, headers=alice).get_json()["token"] != \
        client.post(TOKENS, headers=alice).get_json()["token"]


def test_a_token_works_on_every_protected_route(client, token, alice):
    created = client.post(TASKS, json={"title": "by token"}, headers=bearer(token))
    assert created.status_code == 201
    uri = created.headers["Location"]
    assert client.get(uri, headers=bearer(token)).status_code == 200
    assert client.put(uri, json={"done": True}, headers=bearer(token)).status_code == 200
    assert client.get(TASKS, headers=bearer(token)).get_json()["tasks"][0]["done"] is True
    assert client.delete(uri, headers=bearer(token)).status_code == 200


def test_tokens_are_stored_only_as_hashes(client, token, app, store_url, tmp_path):
    with open(store_url.removeprefix("sqlite:///"), "rb") as database:
        assert token.encode() not in database.read()
    store = app.extensions["todo.store"]
    import hashlib
    import time
    assert store.get_token_user(token, time.time()) is None   # the token itself is no key
    assert store.get_token_user(hashlib.sha256(token.encode()).hexdigest(), time.time())


@pytest.mark.parametrize("credentials", [{"Authorization": "Bearer nope"},
                                         {"Authorization": "Bearer "}, {}])
def test_bad_tokens_are_401(client, credentials):
    response = client.get(TASKS, headers=credentials)
    assert response.status_code == 401
    assert response.get_json() == {"error": "Unauthorized access"}


def test_a_bad_bearer_token_is_challenged_as_bearer(client):
    response = client.get(TASKS, headers={"Authorization": "Bearer nope"})
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_a_token_cannot_get_another_token(client, token):
    # Else a token meant to last an hour could be renewed for ever.
    response = client.post(TOKENS, headers=bearer(token))
    assert response.status_code == 403
    assert "password" in response.get_json()["message"]


@pytest.mark.parametrize("method, body", [("put", {"password": "taken-over!"}), ("delete", None)])
def test_a_token_alone_cannot_change_the_password_or_delete_the_account(
        client, token, alice, store, method, body):
    uri = client.get(f"{USERS}/{store.get_user('alice')['id']}", headers=bearer(token)) \
        .get_json()["user"]["uri"]       # a token may read the account
    response = getattr(client, method)(uri, json=body, headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json() == {
        "error": "Forbidden", "message": "This change needs the account's current password: "
                                         "send it with Basic credentials, not a token"}
    # Nothing changed: the password, the account, the token itself.
    assert client.get(TASKS, headers=alice).status_code == 200
    assert client.get(TASKS, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(client, token, scheme):
    assert client.get(TASKS, headers={"Authorization": f"{scheme} {token}"}).status_code == 200
    assert client.get(TASKS, headers={"Authorization": f"{scheme} nope"}).status_code == 401


def test_revoking_the_token_used(client, token, alice):
    other = client.post(TOKENS, headers=alice).get_json()["token"]
    response = client.delete(TOKENS, headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"result": True}
    assert client.get(TASKS, headers=bearer(token)).status_code == 401
    assert client.get(TASKS, headers=bearer(other)).status_code == 200   # only that one


def test_revoking_needs_a_token(client, alice):
    assert client.delete(TOKENS, headers=alice).status_code == 401


def test_tokens_expire_by_the_clock_the_app_is_given(store_url):
    # Nothing patches the time module: issuing and checking read the one clock.
    clock = ManualClock(1_800_000_000.0)
    app = create_app({"TESTING": True, "STORE": store_url, "TOKEN_TTL": 60}, clock=clock)
    app.test_client_class = CheckedClient
    store = app.extensions["todo.store"]
    try:
        store.add_user("alice", cheap_hash(PASSWORDS["alice"]))
        client = app.test_client()
        body = client.post(TOKENS, headers=basic("alice", PASSWORDS["alice"])).get_json()
        assert body["expires_in"] == 60
        clock.advance(59)
        assert client.get(TASKS, headers=bearer(body["token"])).status_code == 200
        clock.advance(2)
        assert client.get(TASKS, headers=bearer(body["token"])).status_code == 401
    finally:
        store.close()


def test_a_password_change_revokes_all_tokens(client, token, alice, store):
    uri = f"{USERS}/{store.get_user('alice')['id']}"
    assert client.put(uri, json={"password": "brand-new-pw"}, headers=alice).status_code == 200
    assert client.get(TASKS, headers=bearer(token)).status_code == 401


def test_deleting_the_account_revokes_its_tokens(client, token, alice, store):
    client.delete(f"{USERS}/{store.get_user('alice')['id']}", headers=alice)
    assert client.get(TASKS, headers=bearer(token)).status_code == 401


@on_stores(*SHARED_STORES)
def test_tokens_are_honoured_by_every_process_sharing_the_store(store_url, app, token):
    from todo import create_app
    other = create_app({"STORE": store_url}).test_client()
    assert other.get(TASKS, headers=bearer(token)).status_code == 200
    assert other.delete(TOKENS, headers=bearer(token)).status_code == 200
    assert app.test_client().get(TASKS, headers=bearer(token)).status_code == 401


def test_token_ttl_from_the_environment(monkeypatch):
    monkeypatch.setenv("TODO_TOKEN_TTL", "120")
    from todo import create_app
    assert create_app({"STORE": "memory://"}).config["TOKEN_TTL"] == 120
