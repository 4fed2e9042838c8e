"""The docs page serves Swagger UI from the package, and nothing the page does not load."""

import json
import os
import re
import shutil
import subprocess

import pytest
from swagger_ui_bundle import swagger_ui_path

from openapi_check import CheckedClient
from todo import create_app, docs

DOCS = "/todo/api/v1.0/docs"
DOCUMENT = "/todo/api/v1.0/openapi.json"


@pytest.fixture
def docs_client():
    app = create_app({"TESTING": True, "STORE": "memory://"})
    app.test_client_class = CheckedClient
    return app.test_client()


def page_sources(client):
    html = client.get(DOCS).get_data(as_text=True)
    return html, re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_page_loads_its_stylesheet_and_scripts_from_docs(docs_client):
    html, sources = page_sources(docs_client)
    assert sorted(sources) == sorted(f"{DOCS}/{name}" for name in
                                     ("swagger-ui.css", "swagger-ui-bundle.js", "todo-docs.js"))
    for source in sources:
        response = docs_client.get(source)
        assert response.status_code == 200
        assert response.mimetype in ("text/css", "text/javascript")


def test_the_page_has_no_inline_script_or_style(docs_client):
    html, _ = page_sources(docs_client)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attributes and not body.strip()
                           for attributes, body in scripts)
    assert "<style" not in html and "style=" not in html and " on" not in html.lower()


@pytest.mark.parametrize("filename", sorted(os.listdir(swagger_ui_path)))
def test_only_the_files_the_page_loads_are_served(docs_client, filename):
    _, sources = page_sources(docs_client)
    response = docs_client.get(f"{DOCS}/{filename}")
    if f"{DOCS}/{filename}" in sources:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert response.get_json() == {"error": "Not found"}


def test_the_stock_demo_page_is_not_served(docs_client):
    response = docs_client.get(f"{DOCS}/index.html")
    assert response.status_code == 404
    assert b"petstore" not in response.data


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_start_script_points_swagger_ui_at_the_document(docs_client):
    html, _ = page_sources(docs_client)
    named = re.search(r'id="swagger-ui" data-document="([^"]+)"', html).group(1)
    assert named == DOCUMENT
    script = docs_client.get(f"{DOCS}/{docs.START}").get_data(as_text=True)
    # A stand-in for the browser and for Swagger UI: print what Swagger UI is given.
    stubs = ("const window = {};"
             "const document = {getElementById: id => id === 'swagger-ui' ? "
             f"{{dataset: {{document: {json.dumps(named)}}}}} : null}};"
             "const SwaggerUIBundle = options => options;")
    result = subprocess.run(["node", "-e", stubs + script + "console.log(JSON.stringify(window.ui))"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    assert options["url"] == DOCUMENT and options["dom_id"] == "#swagger-ui"
