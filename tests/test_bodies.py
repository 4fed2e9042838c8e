"""Request bodies and the text in them: UTF-8 JSON, one value per member, bounded, visible."""

import base64
import io
import json
import os
import socket
import subprocess
import sys
import time
import unicodedata

import jsonschema
import pytest

from servers import free_port, stop, wait_for_port
from support import TASKS
from todo import resources
from todo.errors import FIELD_ERRORS_SHOWN

USERS = "/todo/api/v1.0/users"


@pytest.fixture
def task(client, alice):
    """The uri path of a task of alice's, titled "kept"."""
    response = client.post(TASKS, json={"title": "kept", "description": "as it was"},
                           headers=alice)
    return response.headers["Location"].removeprefix("http://localhost")


def tasks_of(client, headers):
    return client.get(TASKS, headers=headers).get_json()["tasks"]


def send(client, method, path, body, headers, content_type="application/json"):
    return client.open(path, method=method, data=body, content_type=content_type,
                       headers=headers)


# Every route that reads a JSON body; "{task}" and "{me}" are filled in by the test.
JSON_ROUTES = [("POST", TASKS), ("PUT", "{task}"), ("PATCH", "{task}"), ("POST", USERS),
               ("PUT", "{me}")]


@pytest.fixture
def route(app, task, user_id):
    """Fill in a JSON_ROUTES path, with registration open for POST /users."""
    app.config["REGISTRATION"] = "open"
    return lambda path: path.format(task=task, me=f"{USERS}/{user_id('alice')}")


def unchanged(client, alice, store):
    """Assert that nothing was stored: alice's one task as it was, and no new account."""
    assert [(t["title"], t["description"]) for t in tasks_of(client, alice)] == \
        [("kept", "as it was")]
    assert store.count_users() == 2
    assert client.get(TASKS, headers=alice).status_code == 200   # her password still works


# 1. Member names that are not text.

@pytest.mark.parametrize("method, path", JSON_ROUTES)
@pytest.mark.parametrize("body", [
    '{"title": "x", "\\ud800": 1}',                  # a lone high surrogate, escaped
    '{"\\udfff": 1, "username": "eve", "password": "long-enough"}',
    '{"title": "x", "id": {"a\\udc00": 1}}',          # nested, in an ignored member
])
def test_a_member_name_with_a_lone_surrogate_is_400(client, alice, store, route, method, path,
                                                     body):
    response = send(client, method, route(path), body.encode(), alice)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "Bad request",
        "message": "A member name holds a lone surrogate (\\ud800 to \\udfff), which is not text"}
    unchanged(client, alice, store)


def test_a_lone_surrogate_in_a_name_is_400_without_credentials_too(app, client, store):
    app.config["REGISTRATION"] = "open"
    response = send(client, "POST", USERS, b'{"username": "eve", "\\ud800": 1}', {})
    assert response.status_code == 400
    assert store.count_users() == 2


def test_a_surrogate_encoded_as_utf8_bytes_is_not_utf8(client, alice, store, task):
    # CESU-style bytes for U+D800: not UTF-8, so not JSON.
    response = send(client, "POST", TASKS, b'{"title": "x", "\xed\xa0\x80": 1}', alice)
    assert response.status_code == 400
    assert response.get_json()["message"] == "The request body is not valid JSON"
    unchanged(client, alice, store)


# 4. UTF-8 only, and each member once.

@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "utf-16", "utf-32", "us-ascii",
                                     "utf8", "x"])
def test_a_declared_charset_other_than_utf8_is_415(client, alice, store, task, charset):
    response = send(client, "POST", TASKS, b'{"title": "x"}', alice,
                    content_type=f"application/json; charset={charset}")
    assert response.status_code == 415
    assert response.get_json() == {
        "error": "Unsupported media type",
        "message": "Send the JSON body in UTF-8: application/json with no charset, "
                   "or charset=utf-8"}
    unchanged(client, alice, store)


@pytest.mark.parametrize("content_type", [
    "application/json; charset=utf-8", "application/json; charset=UTF-8",
    "application/json;charset=Utf-8", 'application/json; charset="utf-8"', "application/json"])
def test_utf8_declared_in_any_case_or_not_at_all_is_fine(client, alice, content_type):
    response = send(client, "POST", TASKS, '{"title": "ünï"}'.encode(), alice,
                    content_type=content_type)
    assert response.status_code == 201
    assert response.get_json()["task"]["title"] == "ünï"


def test_a_merge_patch_with_another_charset_is_415(client, alice, store, task):
    response = send(client, "PATCH", task, b'{"title": "x"}', alice,
                    content_type="application/merge-patch+json; charset=latin-1")
    assert response.status_code == 415
    unchanged(client, alice, store)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                      "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("method, path", JSON_ROUTES)
def test_utf16_and_utf32_bodies_are_415(client, alice, store, route, method, path, encoding):
    # "utf-16" and "utf-32" write a byte order mark; the -le and -be ones do not.
    body = '{"title": "x", "username": "eve", "password": "long-enough"}'.encode(encoding)
    response = send(client, method, route(path), body, alice)
    assert response.status_code == 415
    assert response.get_json()["message"] == "Send the JSON body in UTF-8, not UTF-16 or UTF-32"
    unchanged(client, alice, store)


def test_garbage_after_a_utf16_byte_order_mark_is_415(client, alice, store, task):
    response = send(client, "POST", TASKS, b"\xff\xfe\x00garbage", alice)
    assert response.status_code == 415
    unchanged(client, alice, store)


def test_a_utf8_byte_order_mark_is_tolerated(client, alice):
    # RFC 8259 lets a parser ignore it.
    response = send(client, "POST", TASKS, b'\xef\xbb\xbf{"title": "x"}', alice)
    assert response.status_code == 201


@pytest.mark.parametrize("method, path", JSON_ROUTES)
@pytest.mark.parametrize("body, member", [
    ('{"title": "a", "title": "b"}', '"title"'),
    ('{"password": "long-enough", "username": "eve", "password": "other-one"}', '"password"'),
    ('{"title": "a", "done": true, "done": false}', '"done"'),
    ('{"title": "a", "x": 1, "x": 1}', '"x"'),
    ('{"title": "a", "id": {"n": 1, "n": 2}}', '"n"'),
    ('{"title": "a", "ünï": 1, "ünï": 2}', '"ünï"'),
])
def test_a_member_given_twice_is_400_naming_it(client, alice, store, route, method, path,
                                                body, member):
    response = send(client, method, route(path), body.encode(), alice)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request",
                                   "message": f"The member {member} is given more than once"}
    unchanged(client, alice, store)


# 5. Titles show something; stored text is NFC.

INVISIBLE_TITLES = [
    "\u200b", "\u200b\u200c\u200d", " \u2060 ", "\ufeff", "\u00ad", "\u200e\u200f",
    "\u202e", "\U000e0020\U000e007f", "\u3164", "\u115f", "\u2800", "\ufe0f", "\x01",
    "\t\u200b\n", "\u180e", "\u034f",
]


@pytest.mark.parametrize("title", INVISIBLE_TITLES)
@pytest.mark.parametrize("method, path, content_type", [
    ("POST", TASKS, "application/json"), ("PUT", "{task}", "application/json"),
    ("PATCH", "{task}", "application/merge-patch+json")])
def test_a_title_of_only_invisible_characters_is_empty(client, alice, store, route, method,
                                                        path, content_type, title):
    response = send(client, method, route(path), json.dumps({"title": title}), alice,
                    content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["message"] == {"title": "Must not be empty"}
    unchanged(client, alice, store)


@pytest.mark.parametrize("title", ["a\u200b", "\u200ba", "\U0001F469\u200d\U0001F4BB",
                                   "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E"
                                   "\U000E0067\U000E007F", "\u2764\ufe0f", "\u00a0x"])
def test_a_title_with_something_visible_is_kept_as_sent(client, alice, title):
    response = client.post(TASKS, json={"title": title}, headers=alice)
    assert response.status_code == 201
    assert response.get_json()["task"]["title"] == title.strip()


def test_every_format_and_control_character_is_invisible():
    # Each Cf and Cc code point of this Python's Unicode: a newer Unicode adding one
    # (without it in todo.inputs) fails here.
    visible = [hex(point) for point in range(sys.maxunicode + 1)
               if unicodedata.category(chr(point)) in ("Cf", "Cc") and point
               and _accepts(resources.task_title, chr(point))]
    assert visible == []


def _accepts(validator, value):
    try:
        validator(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("value", [
    *INVISIBLE_TITLES, "a", " a ", "a\u200b", "\u200ba", "é", "", " ", "\x00", "x" * 200,
    "x" * 201, " " + "x" * 200 + " ", "\u200b" * 200 + "x", "\u2800x", "a\u0301",
])
def test_the_title_schema_says_what_the_validator_does(value):
    schema = jsonschema.Draft202012Validator(resources.task_title.schema)
    assert schema.is_valid(value) is _accepts(resources.task_title, value), repr(value)


@pytest.mark.parametrize("method, path, content_type", [
    ("POST", TASKS, "application/json"), ("PUT", "{task}", "application/json"),
    ("PATCH", "{task}", "application/merge-patch+json")])
def test_stored_text_is_nfc(client, alice, route, method, path, content_type):
    # "é" typed as e + combining acute, and the angstrom sign, come back composed.
    response = send(client, method, route(path),
                    json.dumps({"title": "Caf\u0065\u0301 \u212b",
                                "description": "n\u0303 \u1e9b\u0323"}),
                    alice, content_type=content_type)
    assert response.status_code in (200, 201)
    got = client.get(response.get_json()["task"]["uri"], headers=alice).get_json()["task"]
    assert got["title"] == "Caf\u00e9 \u00c5"
    assert got["description"] == "\u00f1 \u1e9b\u0323"   # NFC, not NFKC: ẛ̣ stays
    assert unicodedata.is_normalized("NFC", got["description"])


def test_the_length_is_counted_after_normalising(client, alice):
    # 201 code points that compose to 200 characters fit.
    response = client.post(TASKS, json={"title": "x" * 199 + "e\u0301"}, headers=alice)
    assert response.status_code == 201
    assert len(response.get_json()["task"]["title"]) == 200


@pytest.mark.parametrize("query", ["q", "startswith"])
def test_a_search_finds_the_title_whichever_way_it_is_typed(client, alice, query):
    client.post(TASKS, json={"title": "caf\u00e9 au lait"}, headers=alice)
    found = client.get(TASKS, query_string={query: "caf\u0065\u0301"}, headers=alice)
    assert [t["title"] for t in found.get_json()["tasks"]] == ["caf\u00e9 au lait"]


# 6. Error bodies are bounded.

def test_an_error_body_lists_the_first_20_field_errors_and_the_count(client, alice, store,
                                                                      task):
    body = {"done": "no", **{str(i): 0 for i in range(100_000)}}   # 989 kB, under 1 MiB
    response = send(client, "POST", TASKS, json.dumps(body, separators=(",", ":")), alice)
    assert response.status_code == 400
    error = response.get_json()
    assert len(response.data) < 1000
    assert error["error_count"] == 100_002   # 100,000 unknown, done wrong, no title
    assert len(error["message"]) == FIELD_ERRORS_SHOWN == 20
    # The known fields' errors come first.
    assert list(error["message"])[:3] == ["title", "done", "0"]
    assert error["message"]["17"] == "Unknown field"
    unchanged(client, alice, store)


def test_the_problem_details_list_the_first_20_too(client, alice):
    body = {"title": "x", **{f"x{i}": 1 for i in range(25)}}
    response = send(client, "POST", TASKS, json.dumps(body),
                    {**alice, "Accept": "application/problem+json"})
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["detail"] == "25 inputs are not valid; errors lists the first 20."
    assert list(problem["errors"]) == [f"x{i}" for i in range(20)]
    assert problem["error_count"] == 25


def test_twenty_errors_come_without_a_count(client, alice):
    body = {"title": "x", **{f"x{i}": 1 for i in range(20)}}
    error = client.post(TASKS, json=body, headers=alice).get_json()
    assert len(error["message"]) == 20
    assert "error_count" not in error


# 3. The size limit holds for bodies of unknown length (Transfer-Encoding: chunked).

def chunked(client, path, body, headers):
    """POST ``body`` with no Content-Length, as a server that de-chunks it hands it on."""
    return client.post(path, input_stream=io.BytesIO(body), content_type="application/json",
                       headers={**headers, "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


def padded(size, title="x"):
    """A JSON task of exactly ``size`` bytes."""
    body = json.dumps({"title": title}).encode()
    return body + b" " * (size - len(body))


def test_a_chunked_body_over_the_limit_is_413(client, alice, store, task):
    response = chunked(client, TASKS, padded(2 * 1024 * 1024), alice)
    assert response.status_code == 413
    assert response.get_json()["error"] == "Payload too large"
    unchanged(client, alice, store)


@pytest.mark.parametrize("size, status", [(1000, 201), (1001, 413), (999, 201), (5000, 413)])
def test_a_chunked_body_may_be_as_large_as_the_limit(app, client, alice, size, status):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    assert chunked(client, TASKS, padded(size), alice).status_code == status


def test_a_body_with_a_length_over_the_limit_is_413_as_before(app, client, alice, store, task):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = send(client, "POST", TASKS, padded(1001), alice)
    assert response.status_code == 413
    assert send(client, "POST", TASKS, padded(1000), alice).status_code == 201


# 2 and 3 through real servers: gunicorn (its own chunked reader) and the development server.

DEMO = "Basic " + base64.b64encode(b"miguel:python").decode()
LIMIT = 4096


def raw_request(port, head, body=b"", timeout=20):
    """Send bytes to 127.0.0.1:port; return (status, JSON body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode() + body)
        # All sent: the development server reads on after a 413 until the client is done.
        sock.shutdown(socket.SHUT_WR)
        received, deadline = b"", time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            received += data
    head, _, content = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        content = dechunk(content)
    return status, json.loads(content) if content else None


def dechunk(data):
    out = b""
    while data:
        size, _, data = data.partition(b"\r\n")
        size = int(size, 16)
        if not size:
            break
        out, data = out + data[:size], data[size + 2:]
    return out


def post_chunked(port, chunks):
    """POST a task to the demo account, in the chunks given (raw bytes after the headers)."""
    return raw_request(port, "POST /todo/api/v1.0/tasks HTTP/1.1\r\nHost: localhost\r\n"
                       f"Authorization: {DEMO}\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n", chunks)


def one_chunk(body):
    return b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"


def demo_titles(port):
    status, body = raw_request(port, "GET /todo/api/v1.0/tasks HTTP/1.1\r\nHost: localhost\r\n"
                               f"Authorization: {DEMO}\r\nConnection: close\r\n\r\n")
    assert status == 200
    return [task["title"] for task in body["tasks"]]


GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
SERVER_ENV = {"TODO_DEMO": "1", "TODO_MAX_CONTENT_LENGTH": str(LIMIT),
              "TODO_TRUSTED_HOSTS": "localhost"}


@pytest.fixture(scope="module", params=["gunicorn", "run.py"])
def server(request, tmp_path_factory):
    """A real server on 127.0.0.1 over a fresh SQLite file, the demo account in it."""
    folder = tmp_path_factory.mktemp(request.param)
    port = free_port()
    if request.param == "gunicorn":
        if not os.path.exists(GUNICORN):
            pytest.skip("gunicorn is not installed (pip install -e '.[test]')")
        command = [GUNICORN, "-w", "1", "-b", f"127.0.0.1:{port}", "todo:create_app()"]
    else:
        command = [sys.executable, os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), "run.py"), "--host", "127.0.0.1", "--port", str(port)]
    with open(folder / "server.log", "w") as log:
        process = subprocess.Popen(
            command, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **SERVER_ENV, "TODO_STORE": f"sqlite:///{folder}/todo.sqlite"})
        try:
            wait_for_port(port, process, timeout=60)
            yield port
        finally:
            stop(process)


@pytest.mark.slow
@pytest.mark.parametrize("chunks", [
    b"zz\r\n{}\r\n0\r\n\r\n",                         # a chunk size that is not hex
    b"5\r\n{\"tit\r\n-3\r\n\r\n0\r\n\r\n",               # a negative one
    b"4\r\n{\"title\": \"x\"}\r\n0\r\n\r\n",            # a chunk longer than it says
])
def test_a_malformed_chunked_body_is_400(server, chunks):
    status, body = post_chunked(server, chunks)
    assert status == 400
    assert body["error"] == "Bad request"
    assert demo_titles(server) == ["Buy groceries", "Learn Python"]


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_is_413_through_a_real_server(server):
    status, body = post_chunked(server, one_chunk(padded(2 * LIMIT, title="too big")))
    assert (status, body["error"]) == (413, "Payload too large")
    status, body = post_chunked(server, one_chunk(padded(LIMIT + 1, title="too big")))
    assert status == 413
    # Split into many chunks, the limit is counted over all of them.
    status, body = post_chunked(server, b"".join(
        b"400\r\n" + part + b"\r\n" for part in
        (padded(2 * LIMIT, title="too big")[i:i + 1024] for i in range(0, 2 * LIMIT, 1024)))
        + b"0\r\n\r\n")
    assert status == 413
    assert demo_titles(server) == ["Buy groceries", "Learn Python"]


@pytest.mark.slow
def test_a_chunked_body_at_the_limit_is_taken(server):
    status, body = post_chunked(server, one_chunk(padded(LIMIT, title="just fits")))
    assert status == 201
    assert "just fits" in demo_titles(server)


@pytest.mark.parametrize("method, path", [("POST", TASKS), ("PUT", "{task}")])
def test_an_empty_json_body_is_415_saying_so(client, alice, store, task, method, path):
    response = send(client, method, path.format(task=task), b"", alice)
    assert response.status_code == 415
    assert response.get_json() == {
        "error": "Unsupported media type",
        "message": "The request has no body; send a JSON object as application/json"}
    unchanged(client, alice, store)
