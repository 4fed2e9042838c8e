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

from todo import access_log, fields, resources, todo_backend, users
from todo.converters import IdConverter
from todo.errors import FIELD_ERRORS_SHOWN

ERROR = {"$ref": "#/components/schemas/Error"}
PROBLEM = {"$ref": "#/components/schemas/Problem"}
BASIC = [{"basic": []}, {"bearer": []}]
BASIC_ONLY = [{"basic": []}]
BEARER_ONLY = [{"bearer": []}]
PUBLIC = []


def field_schema(field):
    """Return the JSON Schema of one Flask-RESTful output field."""
    if isinstance(field, type):
        field = field()
    if hasattr(field, "schema"):
        return dict(field.schema)
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


def query_parameters(query):
    """Return the OpenAPI query parameters of a reqparse.Query's arguments."""
    parameters = []
    for arg in query.parser.args:
        schema = dict(arg.type.schema)
        if arg.default is not None:
            schema["default"] = arg.default
        parameters.append({"name": arg.name, "in": "query", "required": False,
                           "schema": schema})
    return parameters


def body_schema(body):
    """Return the JSON Schema of the bodies a reqparse.JsonBody accepts."""
    properties = {arg.name: dict(arg.type.schema) for arg in body.parser.args}
    for name in sorted(body.ignore):
        properties[name] = {"description": "Read-only; accepted and ignored."}
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    required = [arg.name for arg in body.parser.args if arg.required]
    if required:
        schema["required"] = required
    if body.one_of:
        schema["oneOf"] = [{"required": [name]} for name in body.one_of]
    return schema


def envelope(name, schema):
    """Wrap a schema in a one-member object, as {"task": ...}."""
    return {"type": "object", "properties": {name: schema}, "required": [name],
            "additionalProperties": False}


def json_content(schema, media_types=("application/json",)):
    return {media_type: {"schema": schema} for media_type in media_types}


def error(description, headers=None):
    """Describe an error response, in both of the shapes the one helper makes."""
    return {"description": description,
            "content": {"application/json": {"schema": ERROR},
                        "application/problem+json": {"schema": PROBLEM}},
            "headers": {"Vary": header("Accept: the shape follows the Accept header."),
                        **(headers or {})}}


def header(description, schema=None):
    return {"description": description, "schema": schema or {"type": "string"}}


# Sent back on every response the app makes (todo.access_log).
REQUEST_ID = {access_log.HEADER: header(
    "The request's id, which its access-log line and every error line logged for it "
    "carry: the request's own X-Request-ID when that is 1 to 128 letters, digits or "
    "._~:+/=-, else a new one.",
    {"type": "string", "pattern": f"^{access_log.REQUEST_ID.pattern}$"})}


def operation(summary, responses, *, body=None, query=None, security=BASIC, errors=(),
              tag="tasks"):
    """Describe one operation: its good responses, its parsers and its errors."""
    op = {"summary": summary, "tags": [tag], "security": security,
          "responses": {status: response if "$ref" in response else
                        {**response, "headers": {**response.get("headers", {}), **REQUEST_ID}}
                        for status, response in responses.items()}}
    if query is not None:
        op["parameters"] = query_parameters(query)
    if body is not None:
        op["requestBody"] = {"required": True,
                             "content": json_content(body_schema(body), body.media_types)}
    # Any request may come with a malformed or untrusted Host header: a 400.
    for status in dict.fromkeys((*errors, 400)):
        op["responses"][str(status)] = {"$ref": f"#/components/responses/{status}"}
    return op


TASK = {"$ref": "#/components/schemas/Task"}
USER = {"$ref": "#/components/schemas/User"}
TODO = {"$ref": "#/components/schemas/Todo"}
# Credentials as everywhere, or none when TODO_BACKEND_PUBLIC_USER names an account.
BACKEND = [*BASIC, {}]
AUTHED = (401, 429, 500, 503)
WITH_BODY = (400, 413, 415)
ETAG = {"ETag": header("The strong validator of what was returned; send it back in "
                       "If-None-Match (reads) or If-Match (writes).")}
ACCEPT_PATCH = {"Accept-Patch": header("The media types PATCH accepts.")}
TASK_HEADERS = {**ETAG, **ACCEPT_PATCH}
LOCATION = {"Location": header("The new task's uri.", {"type": "string", "format": "uri"})}
PAGE_HEADERS = {
    "Link": header("RFC 8288 links to the first, prev, next and last pages (absolute URLs "
                   "keeping the other query arguments)."),
    "X-Total-Count": header("How many tasks match, over all pages.",
                            {"type": "string", "pattern": "^[0-9]+$"}),
}
NOT_MODIFIED = {"304": {"description": "Not modified: If-None-Match names the current ETag.",
                        "headers": ETAG}}
TASK_BODY = json_content(envelope("task", TASK))
CONDITIONAL = {"name": "If-Match", "in": "header", "required": False,
               "schema": {"type": "string"},
               "description": "Write only if the task's ETag is one of these (else 412)."}


def with_if_match(op):
    """Add the If-Match header parameter and its 412 answer to a write operation."""
    op["parameters"] = [*op.get("parameters", []), CONDITIONAL]
    op["responses"]["412"] = {"$ref": "#/components/responses/412"}
    return op


HEALTHY = {"type": "object", "required": ["status"], "additionalProperties": False,
           "properties": {"status": {"const": "ok"}}}

# (endpoint, method) -> operation; every route the app serves has its entry.
OPERATIONS = {
    ("tasks", "get"): operation("List your tasks, a page at a time", {
        "200": {"description": "One page of your tasks (in id order unless sorted).",
                "headers": {**PAGE_HEADERS, **ETAG},
                "content": json_content(envelope("tasks", {"type": "array", "items": TASK}))},
        **NOT_MODIFIED,
    }, query=resources.task_list_query, errors=AUTHED + (400,)),
    ("tasks", "post"): operation("Create a task", {
        "201": {"description": "The new task.", "headers": {**LOCATION, **ETAG},
                "content": TASK_BODY},
    }, body=resources.new_task, errors=AUTHED + WITH_BODY),
    ("task", "get"): operation("Get one of your tasks", {
        "200": {"description": "The task.", "headers": TASK_HEADERS, "content": TASK_BODY},
        **NOT_MODIFIED,
    }, errors=AUTHED + (404,)),
    ("task", "put"): with_if_match(operation("Change the fields sent, and only those", {
        "200": {"description": "The changed task.", "headers": TASK_HEADERS,
                "content": TASK_BODY},
    }, body=resources.task_update, errors=AUTHED + WITH_BODY + (404,))),
    ("task", "patch"): with_if_match(operation("Merge-patch a task (RFC 7396)", {
        "200": {"description": "The changed task.", "headers": TASK_HEADERS,
                "content": TASK_BODY},
    }, body=resources.task_patch, errors=AUTHED + WITH_BODY + (404,))),
    ("task", "delete"): with_if_match(operation("Delete one of your tasks", {
        "200": {"description": "Deleted.", "headers": ACCEPT_PATCH,
                "content": json_content(envelope("result", {"const": True}))},
    }, errors=AUTHED + (404,))),
    ("task_move", "post"): with_if_match(operation(
        "Move a task just before or just after another of yours (sort=order shows it)", {
            "200": {"description": "The moved task, with its new order.", "headers": ETAG,
                    "content": TASK_BODY},
        }, body=resources.task_move, errors=AUTHED + WITH_BODY + (404,))),
    ("todos", "get"): operation("Todo-Backend: all your todos, in order", {
        "200": {"description": "A bare array of your todos, sorted by order.",
                "content": json_content({"type": "array", "items": TODO})},
    }, security=BACKEND, errors=AUTHED, tag="todo-backend"),
    ("todos", "post"): operation("Todo-Backend: add a todo", {
        "201": {"description": "The new todo.", "headers": {
            "Location": header("The todo's url.", {"type": "string", "format": "uri"})},
                "content": json_content(TODO)},
    }, body=todo_backend.new_todo, security=BACKEND, errors=AUTHED + WITH_BODY,
        tag="todo-backend"),
    ("todos", "delete"): operation("Todo-Backend: delete all your todos", {
        "200": {"description": "How many were deleted.", "content": json_content({
            "type": "object", "required": ["deleted"], "additionalProperties": False,
            "properties": {"deleted": {"type": "integer", "minimum": 0}}})},
    }, security=BACKEND, errors=AUTHED, tag="todo-backend"),
    ("todo", "get"): operation("Todo-Backend: one of your todos", {
        "200": {"description": "The todo.", "content": json_content(TODO)},
    }, security=BACKEND, errors=AUTHED + (404,), tag="todo-backend"),
    ("todo", "patch"): operation("Todo-Backend: change a todo's title, completed or order", {
        "200": {"description": "The changed todo.", "content": json_content(TODO)},
    }, body=todo_backend.todo_patch, security=BACKEND, errors=AUTHED + WITH_BODY + (404,),
        tag="todo-backend"),
    ("todo", "delete"): operation("Todo-Backend: delete a todo", {
        "200": {"description": "Deleted.",
                "content": json_content(envelope("result", {"const": True}))},
    }, security=BACKEND, errors=AUTHED + (404,), tag="todo-backend"),
    ("users", "post"): operation("Register an account (when registration is open)", {
        "201": {"description": "The new account.", "headers": {
            "Location": header("The account's uri.", {"type": "string", "format": "uri"})},
                "content": json_content(envelope("user", USER))},
    }, body=users.new_user, security=PUBLIC,
        errors=WITH_BODY + (403, 409, 429, 500, 503),
        tag="accounts"),
    ("user", "get"): operation("Your account", {
        "200": {"description": "Your account.", "content": json_content(envelope("user", USER))},
    }, errors=AUTHED + (404,), tag="accounts"),
    ("user", "put"): operation("Change your password (revokes all your tokens); needs the "
                               "current password (Basic), not a token", {
        "200": {"description": "Changed.", "content": json_content(envelope("user", USER))},
    }, body=users.password_change, errors=AUTHED + WITH_BODY + (403, 404),
        tag="accounts"),
    ("user", "delete"): operation("Delete your account and all its tasks; needs the password "
                                  "(Basic), not a token", {
        "200": {"description": "Deleted.",
                "content": json_content(envelope("result", {"const": True}))},
    }, errors=AUTHED + (403, 404), tag="accounts"),
    ("tokens", "post"): operation("Trade your password for a bearer token", {
        "200": {"description": "A token for `Authorization: Bearer <token>`.",
                "content": json_content({
                    "type": "object", "required": ["token", "expires_in"],
                    "additionalProperties": False,
                    "properties": {"token": {"type": "string"},
                                   "expires_in": {"type": "integer",
                                                  "description": "Seconds it lives."}}})},
    }, security=BASIC_ONLY, errors=AUTHED + (403,), tag="accounts"),
    ("tokens", "delete"): operation("Revoke the token this request carries", {
        "200": {"description": "Revoked.",
                "content": json_content(envelope("result", {"const": True}))},
    }, security=BEARER_ONLY, errors=AUTHED, tag="accounts"),
    ("openapi", "get"): operation("This document", {
        "200": {"description": "The OpenAPI 3.1 description of the API.",
                "content": json_content({"type": "object"})},
    }, security=PUBLIC, errors=(500,), tag="documentation"),
    ("docs", "get"): operation("Interactive documentation (Swagger UI)", {
        "200": {"description": "The docs page.",
                "content": {"text/html": {"schema": {"type": "string"}}}},
    }, security=PUBLIC, errors=(500,), tag="documentation"),
    ("client", "get"): operation("The web client's page", {
        "200": {"description": "The To-Do list in the browser: an HTML page that loads "
                               "/static/app.js and /static/app.css, under a strict "
                               "Content-Security-Policy. Its meta element todo-registration "
                               "says whether registration is open.",
                "content": {"text/html": {"schema": {"type": "string"}}},
                "headers": {"Content-Security-Policy": header("Only this origin; no inline "
                                                              "script or style; never framed."),
                            "ETag": header("The page's validator.")}},
        "304": {"description": "Not modified (If-None-Match named the page's ETag).",
                "headers": {"ETag": header("The page's validator.")}},
    }, security=PUBLIC, errors=(500,), tag="client"),
    ("docs_asset", "get"): operation("A file of the docs page", {
        "200": {"description": "Swagger UI's stylesheet or script, or the page's start script.",
                "content": {"*/*": {"schema": {}}}},
        "404": {"$ref": "#/components/responses/404"},
    }, security=PUBLIC, errors=(500,), tag="documentation"),
    ("livez", "get"): operation("Whether the process is up (for load balancers)", {
        "200": {"description": "Up; the store is not asked.", "content": json_content(HEALTHY)},
    }, security=PUBLIC, errors=(500,), tag="operations"),
    ("readyz", "get"): operation("Whether this server can serve now (for load balancers)", {
        "200": {"description": "The store answers and its schema is current (checked at "
                               "most once a second per process).",
                "content": json_content(HEALTHY)},
        "503": error("Not ready: `message` says why (the database is unreachable or busy, or "
                     "its schema is not this server's).",
                     {"Retry-After": header("Seconds to wait.")}),
    }, security=PUBLIC, errors=(500,), tag="operations"),
    ("metrics", "get"): operation("Prometheus metrics (with TODO_METRICS=1; unauthenticated)", {
        "200": {"description": "The Prometheus text format: requests by route template, "
                               "latency, store failures, refused logins, the PostgreSQL pool.",
                "content": {"text/plain": {"schema": {"type": "string"}}}},
    }, security=PUBLIC, errors=(404, 500), tag="operations"),
}

RESPONSES = {
    "400": error("Invalid JSON, fields or query arguments; `message` maps each to what is "
                 f"wrong (the first {FIELD_ERRORS_SHOWN}; `error_count` says how many when "
                 "there were more). Also a Host header that is malformed or not trusted."),
    "401": error("Missing or wrong credentials, or an account deleted while its request ran.",
                 {"WWW-Authenticate": header("The Basic challenge.")}),
    "403": error("Registration is closed; or a bearer token was sent where the account's "
                 "password is needed (a new password, deleting the account, a new token); or, "
                 "with TODO_AUTH_FAILURE_STATUS=403, a failed login."),
    "404": error("No such URL, or no such task or account of yours (for a move, `message` "
                 "names the field when the other task is the one not found)."),
    "409": error("That username is taken."),
    "405": error("Method not allowed.", {"Allow": header("The methods allowed.")}),
    "412": error("If-Match names no current ETag of the task: it changed; nothing was done."),
    "413": error("The body is larger than the server accepts."),
    "415": error("The body is missing, of another media type, or not in UTF-8."),
    "429": error("Too many failed logins from this address (at this username, or at any), "
                 "or too many registrations from it.",
                 {"Retry-After": header("Seconds to wait.")}),
    "500": error("A bug; logged, never detailed."),
    "503": error("The database is busy, cannot be opened, fails or is unreachable; `message` "
                 "says which. Retry later.",
                 {"Retry-After": header("Seconds to wait.")}),
}

ERROR_COUNT = {"type": "integer", "minimum": FIELD_ERRORS_SHOWN + 1,
               "description": "How many field errors there were in all; given only when "
                              "there were more than the field map lists."}

SCHEMAS = {
    "Task": object_schema(fields.task_fields),
    "User": object_schema(fields.user_fields),
    "Todo": object_schema(todo_backend.todo_fields),
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string", "description": "A short phrase, e.g. Not found."},
            "message": {"description": "A sentence, or an object mapping field to message "
                                       f"(at most {FIELD_ERRORS_SHOWN}).",
                        "oneOf": [{"type": "string"},
                                  {"type": "object", "additionalProperties": {"type": "string"},
                                   "maxProperties": FIELD_ERRORS_SHOWN}]},
            "error_count": ERROR_COUNT,
        },
        "required": ["error"],
        "additionalProperties": False,
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details, for clients that Accept application/problem+json.",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"},
                       "maxProperties": FIELD_ERRORS_SHOWN},
            "error_count": ERROR_COUNT,
        },
        "required": ["type", "title", "status"],
    },
}

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_PARAMETER_SCHEMAS = {"id": IdConverter.schema, "int": {"type": "integer", "minimum": 0},
                      "path": {"type": "string"},
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
                 {"name": "accounts", "description": "Your account, and tokens."},
                 {"name": "documentation", "description": "This description of the API."},
                 {"name": "todo-backend",
                  "description": "The same tasks in the Todo-Backend shape, for its clients."},
                 {"name": "client", "description": "The To-Do list in the browser."},
                 {"name": "operations", "description": "Health checks and metrics."}],
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                "bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A token from POST /tokens."}},
        },
    }


def document():
    """Return this app's document with the server URL of the current request."""
    cached = current_app.extensions.get("todo.openapi")
    if cached is None:
        cached = current_app.extensions["todo.openapi"] = build(current_app)
    return {**cached, "servers": [{"url": request.host_url.rstrip("/")}]}
