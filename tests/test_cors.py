"""CORS for browser clients, off unless TODO_CORS_ORIGINS lists origins."""

import pytest

from support import TASKS, basic, cheap_hash
from todo import create_app

ORIGIN = "https://app.example"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
             "Access-Control-Request-Headers": "authorization, content-type, if-match"}


@pytest.fixture
def cors_client(monkeypatch):
    monkeypatch.setenv("TODO_CORS_ORIGINS", f"{ORIGIN}, https://other.example")
    app = create_app({"STORE": "memory://"})
    app.extensions["todo.store"].add_user("alice", cheap_hash("pw"))
    return app.test_client()


@pytest.mark.parametrize("path", [TASKS, f"{TASKS}/1"])
def test_a_preflight_succeeds_without_credentials(cors_client, path):
    response = cors_client.options(path, headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "if-match"} <= {h.strip() for h in allowed.split(",")}


def test_a_browser_may_send_a_request_id_and_read_the_one_answered(cors_client):
    preflight = cors_client.options(TASKS, headers={
        **PREFLIGHT, "Access-Control-Request-Headers": "authorization, x-request-id"})
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "x-request-id" in {h.strip() for h in allowed.split(",")}
    response = cors_client.get(TASKS, headers={**basic("alice", "pw"), "Origin": ORIGIN,
                                               "X-Request-ID": "from-the-browser"})
    assert response.headers["X-Request-ID"] == "from-the-browser"
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert "X-Request-ID" in exposed


def test_responses_expose_the_apis_headers(cors_client):
    response = cors_client.post(TASKS, json={"title": "t"},
                                headers={**basic("alice", "pw"), "Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Location", "ETag", "Link", "X-Total-Count", "Accept-Patch"} <= exposed


def test_errors_carry_cors_headers_too(cors_client):
    response = cors_client.get(TASKS, headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_other_origins_get_no_cors_headers(cors_client):
    response = cors_client.options(TASKS, headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_is_off_by_default(client):
    response = client.options(TASKS, headers=PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response.headers


def vary(response):
    """Every name the response's Vary header lines list, in order."""
    return [name.strip() for line in response.headers.getlist("Vary") for name in line.split(",")]


@pytest.fixture
def one_origin_client(monkeypatch):
    monkeypatch.setenv("TODO_CORS_ORIGINS", ORIGIN)
    app = create_app({"STORE": "memory://"})
    app.extensions["todo.store"].add_user("alice", cheap_hash("pw"))
    return app.test_client()


@pytest.mark.parametrize("headers", [
    {"Origin": ORIGIN}, {"Origin": "https://evil.example"}, {},
], ids=["allowed-origin", "other-origin", "no-origin"])
@pytest.mark.parametrize("how", ["get", "post", "error", "preflight"])
def test_with_one_origin_every_response_varies_on_origin(one_origin_client, headers, how):
    alice = basic("alice", "pw")
    if how == "get":
        response = one_origin_client.get(TASKS, headers={**alice, **headers})
    elif how == "post":
        response = one_origin_client.post(TASKS, json={"title": "t"}, headers={**alice, **headers})
    elif how == "error":
        response = one_origin_client.get(f"{TASKS}/99", headers={**alice, **headers})
    else:
        response = one_origin_client.options(TASKS, headers={**PREFLIGHT, **headers})
    assert vary(response).count("Origin") == 1


def test_with_several_origins_vary_names_origin_once(cors_client):
    response = cors_client.get(TASKS, headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert vary(response).count("Origin") == 1 and "Accept" in vary(response)


def test_without_cors_responses_do_not_vary_on_origin(client, alice):
    assert "Origin" not in vary(client.get(TASKS, headers={**alice, "Origin": ORIGIN}))
