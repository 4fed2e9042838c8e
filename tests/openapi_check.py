"""Check every response the test suite sees against the app's own OpenAPI document."""

import jsonschema
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from todo import openapi

_SKIPPED_METHODS = {"HEAD", "OPTIONS"}   # Flask answers these for every route


class Conformance:
    """The document of one app, and the checks of responses against it."""

    def __init__(self, app):
        self.app = app
        self.document = openapi.build(app)

    def _deref(self, node):
        while "$ref" in node:
            target = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def documented(self, method, path, status):
        """Return the documented response for this request and status, or fail."""
        adapter = self.app.url_map.bind("localhost")
        try:
            rule, _ = adapter.match(path, method=method, return_rule=True)
        except (NotFound, MethodNotAllowed, RequestRedirect) as exc:
            # Outside every operation: only a generic JSON error may come back.
            code = {NotFound: 404, MethodNotAllowed: 405}.get(type(exc), 308)
            assert status == code, f"{method} {path}: {status}, expected {code}"
            return self._deref({"$ref": f"#/components/responses/{code}"})
        template = openapi.path_template(rule.rule)
        response = self.document["paths"][template][method.lower()]["responses"].get(str(status))
        assert response is not None, \
            f"{method} {template} answered {status}, which the OpenAPI document does not list"
        return self._deref(response)

    def check(self, method, path, response):
        """Assert that ``response`` has the status, body and headers the document gives."""
        if method in _SKIPPED_METHODS:
            return
        documented = self.documented(method, path, response.status_code)
        content = documented.get("content", {})
        if content:
            media = response.mimetype
            assert media in content or "*/*" in content, (method, path, media)
            if media == "application/json" or media.endswith("+json"):
                # The components ride along so that "#/components/..." references resolve.
                schema = {**content[media]["schema"], "components": self.document["components"]}
                jsonschema.Draft202012Validator(schema).validate(response.get_json())
        else:
            assert not response.data, (method, path, "a body the document does not describe")
        for header in documented.get("headers", {}):
            assert header in response.headers, f"{method} {path}: no {header} header"


# Every password hash werkzeug makes starts with its method's name.
_HASH_MARKERS = (b"scrypt:", b"pbkdf2:")


class CheckedClient(FlaskClient):
    """A test client that checks every response against the OpenAPI document.

    It also checks that no response ever shows a password hash.
    """

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        assert not any(marker in response.data for marker in _HASH_MARKERS), response.data
        extensions = self.application.extensions
        if "todo.test.conformance" not in extensions:
            extensions["todo.test.conformance"] = Conformance(self.application)
        extensions["todo.test.conformance"].check(response.request.method,
                                                  response.request.path, response)
        return response
