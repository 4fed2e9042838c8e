"""The OpenAPI 3.1 description of the service, built from the code it describes.

Request bodies come from the reqparse parsers (each strict validator in
todo.inputs carries its own JSON Schema), response bodies from the marshal
field maps, paths and methods from the app's URL map.  OPERATIONS adds what
code cannot say: summaries, statuses and headers.  A route without an entry
here fails the build of the document, and tests/test_openapi.py checks every
response the test suite sees against it.
"""

import re

from flask import current_app, request
from flask_restful import fields as restful_fields

from todo import fields, resources

ERROR = {"$ref": "#/components/schemas/Error"}
BASIC = [{"basic": []}]
PUBLIC = []


def field_schema(field):
    """Return the JSON Schema of one Flask-RESTful output field."""
    if isinstance(field, type):
        field = field()
    if isinstance(field, restful_fields.Url):
        return {"type": "string", "format": "uri"}
    if isinstance(field, restful_fields.Boolean):
        return {"type": "boolean"}
    if isinstance(field, restful_fields.Integer):
        return {"type": "integer"}
    if isinstance(field, restful_fields.String):
        return {"type": "string"}
    raise TypeError(f"no JSON Schema for {field!r}")


def object_schema(field_map):
    """Return the JSON Schema of what marshal() makes of ``field_map``."""
    return {"type": "object",
            "properties": {name: field_schema(f) for name, f in field_map.items()},
            "required": list(field_map), "additionalProperties": False}


def body_schema(parser):
    """Return the JSON Schema of the bodies a JsonBodyParser accepts."""
    properties = {arg.name: dict(arg.type.schema) for arg in parser.args}
    for name in sorted(parser.ignore):
        properties[name] = {"description": "Read-only; accepted and ignored."}
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    required = [arg.name for arg in parser.args if arg.required]
    if required:
        schema["required"] = required
    return schema


def envelope(name, schema):
    """Wrap a schema in a one-member object, as {"task": ...}."""
    return {"type": "object", "properties": {name: schema}, "required": [name],
            "additionalProperties": False}


def json_content(schema):
    return {"application/json": {"schema": schema}}


def error(description):
    return {"description": description, "content": json_content(ERROR)}


def operation(summary, responses, *, body=None, security=BASIC, errors=(), tag="tasks"):
    """Describe one operation: its good responses, its body parser and its errors."""
    op = {"summary": summary, "tags": [tag], "security": security,
          "responses": dict(responses)}
    if body is not None:
        op["requestBody"] = {"required": True, "content": json_content(body_schema(body))}
    for status in errors:
        op["responses"][str(status)] = {"$ref": f"#/components/responses/{status}"}
    return op


TASK = {"$ref": "#/components/schemas/Task"}
AUTHED = (401, 500, 503)
WITH_BODY = (400, 413, 415)
LOCATION = {"Location": {"description": "The new task's uri.",
                         "schema": {"type": "string", "format": "uri"}}}

# (endpoint, method) -> operation; every route the app serves has its entry.
OPERATIONS = {
    ("tasks", "get"): operation("List your tasks", {
        "200": {"description": "Your tasks, in id order.",
                "content": json_content(envelope("tasks", {"type": "array", "items": TASK}))},
    }, errors=AUTHED),
    ("tasks", "post"): operation("Create a task", {
        "201": {"description": "The new task.", "headers": LOCATION,
                "content": json_content(envelope("task", TASK))},
    }, body=resources.new_task_parser, errors=AUTHED + WITH_BODY),
    ("task", "get"): operation("Get one of your tasks", {
        "200": {"description": "The task.", "content": json_content(envelope("task", TASK))},
    }, errors=AUTHED + (404,)),
    ("task", "put"): operation("Change the fields sent, and only those", {
        "200": {"description": "The changed task.",
                "content": json_content(envelope("task", TASK))},
    }, body=resources.task_update_parser, errors=AUTHED + WITH_BODY + (404,)),
    ("task", "delete"): operation("Delete one of your tasks", {
        "200": {"description": "Deleted.",
                "content": json_content(envelope("result", {"const": True}))},
    }, errors=AUTHED + (404,)),
    ("openapi", "get"): operation("This document", {
        "200": {"description": "The OpenAPI 3.1 description of the API.",
                "content": json_content({"type": "object"})},
    }, security=PUBLIC, errors=(500,), tag="documentation"),
    ("docs", "get"): operation("Interactive documentation (Swagger UI)", {
        "200": {"description": "The docs page.",
                "content": {"text/html": {"schema": {"type": "string"}}}},
    }, security=PUBLIC, errors=(500,), tag="documentation"),
    ("docs_asset", "get"): operation("A file of the docs page", {
        "200": {"description": "A packaged Swagger UI file.",
                "content": {"*/*": {"schema": {}}}},
        "404": {"$ref": "#/components/responses/404"},
    }, security=PUBLIC, errors=(500,), tag="documentation"),
}

RESPONSES = {
    "308": {**error("Not the canonical URL (e.g. doubled slashes); follow Location."),
            "headers": {"Location": {"description": "The canonical URL.",
                                     "schema": {"type": "string", "format": "uri"}}}},
    "400": error("Invalid JSON or fields; `message` maps each field to what is wrong."),
    "401": {**error("Missing or wrong credentials."), "headers": {
        "WWW-Authenticate": {"description": "The Basic challenge.",
                             "schema": {"type": "string"}}}},
    "404": error("No such URL, or no such task of yours."),
    "405": {**error("Method not allowed."), "headers": {
        "Allow": {"description": "The methods allowed.", "schema": {"type": "string"}}}},
    "413": error("The body is larger than the server accepts."),
    "415": error("The body is missing or not application/json."),
    "500": error("A bug; logged, never detailed."),
    "503": {**error("The database is unreachable; retry later."), "headers": {
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "string"}}}},
}

SCHEMAS = {
    "Task": object_schema(fields.task_fields),
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string", "description": "A short phrase, e.g. Not found."},
            "message": {"description": "A sentence, or an object mapping field to message.",
                        "oneOf": [{"type": "string"},
                                  {"type": "object", "additionalProperties": {"type": "string"}}]},
        },
        "required": ["error"],
        "additionalProperties": False,
    },
}

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_PARAMETER_SCHEMAS = {"int": {"type": "integer", "minimum": 0}, "path": {"type": "string"},
                      None: {"type": "string"}, "default": {"type": "string"}}
EXAMPLES = {"filename": {"example": "swagger-ui.css"}, "id": {"example": 1}}


def path_template(rule):
    """Turn a Werkzeug rule into an OpenAPI path: /tasks/<int:id> -> /tasks/{id}."""
    return _CONVERTER.sub(r"{\2}", rule)


def build(app):
    """Build the OpenAPI document of ``app`` from its URL map and OPERATIONS."""
    paths = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        item = paths.setdefault(path_template(rule.rule), {})
        parameters = [{"name": name, "in": "path", "required": True,
                       "schema": _PARAMETER_SCHEMAS.get(converter, {"type": "string"}),
                       **EXAMPLES.get(name, {})}
                      for converter, name in _CONVERTER.findall(rule.rule)]
        if parameters:
            item["parameters"] = parameters
        for method in sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}):
            try:
                item[method] = {"operationId": f"{rule.endpoint}.{method}",
                                **OPERATIONS[rule.endpoint, method]}
            except KeyError:
                raise LookupError(f"{method.upper()} {rule.rule} has no entry in "
                                  f"todo.openapi.OPERATIONS") from None
    return {
        "openapi": "3.1.0",
        "info": {"title": "todo", "version": "1.0",
                 "description": "The To-Do list API of \"Designing a RESTful API using "
                                "Flask-RESTful\", done properly."},
        "paths": paths,
        "tags": [{"name": "tasks", "description": "Your to-do list."},
                 {"name": "documentation", "description": "This description of the API."}],
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
    }


def document():
    """Return this app's document with the server URL of the current request."""
    cached = current_app.extensions.get("todo.openapi")
    if cached is None:
        cached = current_app.extensions["todo.openapi"] = build(current_app)
    return {**cached, "servers": [{"url": request.host_url.rstrip("/")}]}
