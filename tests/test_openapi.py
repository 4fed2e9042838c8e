"""The OpenAPI document and the docs page."""

import re

import pytest
from flask_restful import fields
from openapi_spec_validator import validate

from todo import openapi, resources

DOCUMENT = "/todo/api/v1.0/openapi.json"
DOCS = "/todo/api/v1.0/docs"


@pytest.fixture
def document(client):
    response = client.get(DOCUMENT)
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_the_server_answers_exactly_the_documented_methods(client, alice, document):
    # Asked over HTTP, not read from the URL map the document is built from.
    for path, item in document["paths"].items():
        url = re.sub(r"\{\w+\}", "1", path)
        for method in ("get", "post", "put", "patch", "delete"):
            status = client.open(url, method=method, headers=alice).status_code
            assert (status == 405) == (method not in item), f"{method.upper()} {path}: {status}"


def test_every_operation_described_is_served(app):
    served = {(rule.endpoint, method.lower()) for rule in app.url_map.iter_rules()
              for method in rule.methods}
    assert set(openapi.OPERATIONS) <= served


def test_a_route_without_an_entry_fails_the_build(app):
    app.add_url_rule("/undocumented", endpoint="undocumented", view_func=lambda: "")
    with pytest.raises(LookupError, match="/undocumented"):
        openapi.build(app)


def test_the_server_url_follows_the_request_host(client):
    document = client.get(DOCUMENT, base_url="https://todo.example:8443").get_json()
    assert document["servers"] == [{"url": "https://todo.example:8443"}]


@pytest.mark.parametrize("path", [DOCUMENT, DOCS, f"{DOCS}/swagger-ui.css",
                                  f"{DOCS}/swagger-ui-bundle.js"])
def test_the_document_and_docs_need_no_credentials(client, path):
    assert client.get(path).status_code == 200


def test_the_task_routes_take_basic_or_bearer(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["basic"] == {"type": "http", "scheme": "basic"}
    assert schemes["bearer"]["scheme"] == "bearer"
    for method, operation in document["paths"]["/todo/api/v1.0/tasks/{id}"].items():
        if method != "parameters":
            assert operation["security"] == [{"basic": []}, {"bearer": []}]


def test_request_bodies_come_from_the_parsers(document):
    post = document["paths"]["/todo/api/v1.0/tasks"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["title"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {arg.name for arg in resources.new_task_parser.args} \
        | {"id", "uri"}
    assert schema["properties"]["done"] == {"type": "boolean"}
    assert schema["properties"]["description"]["maxLength"] == 4000
    put = document["paths"]["/todo/api/v1.0/tasks/{id}"]["put"]
    assert "required" not in put["requestBody"]["content"]["application/json"]["schema"]


@pytest.mark.parametrize("title, accepted", [
    ("x", True), ("  x  ", True), ("x" * 200, True), (" " + "x" * 200 + "\n", True),
    ("x" * 201, False), ("", False), ("   ", False), ("a\nb", True), ("a\x00", False),
    ("\U0001F600", True), ("\t\x85\n\x0b", False), ("\x1cx\u3000", True),
    ("\ufeffx", True),
])
def test_the_title_pattern_says_what_the_validator_does(title, accepted):
    validator = resources.new_task_parser.args[0].type
    pattern = validator.schema["pattern"]
    assert bool(re.search(pattern, title)) is accepted
    try:
        validator(title)
        really = True
    except ValueError:
        really = False
    assert really is accepted


def test_the_docs_page_uses_packaged_assets_only(client):
    page = client.get(DOCS)
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert DOCUMENT in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith(f"{DOCS}/") for s in sources)
    for source in sources:
        assert client.get(source).status_code == 200


@pytest.mark.parametrize("path", [f"{DOCS}/nope.js", f"{DOCS}/../../../setup.cfg",
                                  f"{DOCS}/%2e%2e/%2e%2e/setup.cfg"])
def test_docs_assets_outside_the_bundle_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not found"}


@pytest.mark.parametrize("field, schema", [
    (fields.String, {"type": "string"}),
    (fields.String(), {"type": "string"}),
    (fields.Boolean(), {"type": "boolean"}),
    (fields.Integer(), {"type": "integer"}),
    (fields.Url("task", absolute=True), {"type": "string", "format": "uri"}),
])
def test_stock_fields_in_a_field_map_get_their_json_schema(field, schema):
    assert openapi.field_schema(field) == schema


def test_a_field_with_no_json_schema_fails_the_build():
    with pytest.raises(TypeError, match="no JSON Schema"):
        openapi.field_schema(fields.Raw())
