"""The To-Do list web service of "Designing a RESTful API using Flask-RESTful"."""

from flask import Flask
from flask_cors import CORS

from todo import access_log, auth, config, demo, deployment, errors, logs, metrics, throttle
from todo.api import Api
from todo.cli import store_cli, users_cli
from todo.client import add_client
from todo.clock import system_clock
from todo.converters import IdConverter
from todo.credentials import PasswordHashing, VerifiedCredentials
from todo.docs import DocsAsset, DocsPage, OpenAPIDocument
from todo.health import LivezAPI, Readiness, ReadyzAPI
from todo.logins import Logins
from todo.representations import output_json
from todo.resources import TaskAPI, TaskListAPI, TaskMoveAPI
from todo.todo_backend import TodoAPI, TodoListAPI
from todo.tokens import TokenAPI
from todo.users import UserAPI, UserListAPI
from todo.store import open_store


def create_app(test_config=None, clock=system_clock):
    """Build the application: settings, store, routes, error handling, CLI; time from ``clock``."""
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    # Log lines in TODO_LOG_FORMAT, each with its request id; then the id and the
    # access log's line, around every other hook.
    logs.init_app(app)
    access_log.init_app(app)
    # Behind trusted proxies, task uris use the public scheme and host; a Host
    # that is untrusted or no host name is refused before anything else looks at it.
    deployment.refuse_untrusted_hosts(app)
    deployment.trust_proxies(app)
    app.before_request(deployment.check_host)
    # Outside the Api's resources too (the web client's files), every failure is JSON.
    errors.init_app(app)

    # Its first hash is made now, before the store opens: a method werkzeug or OpenSSL
    # cannot hash with (scrypt wants N a power of 2 and its memory within werkzeug's
    # bound) stops the start, with nothing left open, rather than a first login.
    method = app.config["PASSWORD_HASH"]
    try:
        hashing = app.extensions["todo.hashing"] = PasswordHashing(
            app.config["HASH_CONCURRENCY"], method=method)
    except (ValueError, OverflowError) as exc:
        raise config.ConfigError(f"TODO_PASSWORD_HASH {method!r} cannot make a hash: "
                                 f"{exc}") from None
    store = open_store(app.config["STORE"], pg_pool_size=app.config["PG_POOL_SIZE"])
    app.extensions["todo.store"] = store
    # One clock for tokens, the credential cache and the throttle (todo.clock).
    app.extensions["todo.clock"] = clock
    # Bounds on guessing and on registrations; an empty setting turns one off.
    counting = throttle.limiter(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["todo.logins"] = Logins(
        store, VerifiedCredentials(ttl=app.config["CREDENTIAL_CACHE_TTL"],
                                   max_entries=app.config["CREDENTIAL_CACHE_SIZE"], clock=clock),
        hashing, throttle.LoginThrottle(app.config["LOGIN_FAILURES"],
                                        app.config["LOGIN_FAILURES_PER_ADDRESS"], counting,
                                        clock=clock)
        if app.config["LOGIN_FAILURES"] else None, clock=clock)
    app.extensions["todo.registrations"] = throttle.Counter(
        "registrations-by-address", app.config["REGISTRATIONS"], counting, clock=clock) \
        if app.config["REGISTRATIONS"] else None
    # Whether this start made the demo account (run.py says so; a second start doesn't).
    app.extensions["todo.demo_seeded"] = bool(app.config["DEMO"] and demo.seed(store, hashing))
    public = app.config["BACKEND_PUBLIC_USER"]
    if public:
        user = store.get_user(public)
        if user is None:
            store.close()
            raise config.ConfigError(f"TODO_BACKEND_PUBLIC_USER is {public!r}, "
                                     "but there is no such account")
        app.extensions["todo.public_user"] = auth.caller(user)
    # Requests, latency, store failures, refused logins, the pool (off by default).
    counted = metrics.init_app(app) if app.config["METRICS"] else None

    app.cli.add_command(users_cli)
    app.cli.add_command(store_cli)

    # The route table: every URL of the service, with its endpoint name.
    # Ids are ASCII digits without leading zeros: one URL per task or account.
    app.url_map.converters["id"] = IdConverter
    # A doubled slash is a 404 like any unknown URL, not a redirect (Werkzeug's would
    # answer HTML, before any error handler could speak JSON).
    app.url_map.merge_slashes = False
    # JSON only, compact (todo.representations); unknown URLs answer the JSON 404 too.
    api = Api(app, catch_all_404s=True, default_mediatype="application/json")
    api.representation("application/json")(output_json)
    resources = {"store": store}
    api.add_resource(TaskListAPI, "/todo/api/v1.0/tasks", endpoint="tasks",
                     resource_class_kwargs=resources)
    api.add_resource(TaskAPI, "/todo/api/v1.0/tasks/<id:id>", endpoint="task",
                     resource_class_kwargs=resources)
    api.add_resource(TaskMoveAPI, "/todo/api/v1.0/tasks/<id:id>/move", endpoint="task_move",
                     resource_class_kwargs=resources)
    # Todo-Backend's shape of the same tasks (todo.todo_backend).
    api.add_resource(TodoListAPI, "/todo-backend/todos", endpoint="todos",
                     resource_class_kwargs=resources)
    api.add_resource(TodoAPI, "/todo-backend/todos/<id:id>", endpoint="todo",
                     resource_class_kwargs=resources)
    api.add_resource(UserListAPI, "/todo/api/v1.0/users", endpoint="users",
                     resource_class_kwargs=resources)
    api.add_resource(UserAPI, "/todo/api/v1.0/users/<id:id>", endpoint="user",
                     resource_class_kwargs=resources)
    api.add_resource(TokenAPI, "/todo/api/v1.0/tokens", endpoint="tokens",
                     resource_class_kwargs=resources)
    api.add_resource(OpenAPIDocument, "/todo/api/v1.0/openapi.json", endpoint="openapi")
    api.add_resource(DocsPage, "/todo/api/v1.0/docs", endpoint="docs")
    api.add_resource(DocsAsset, "/todo/api/v1.0/docs/<path:filename>", endpoint="docs_asset")
    # For load balancers and orchestrators: no credentials, no throttle, no CORS.
    api.add_resource(LivezAPI, "/livez", endpoint="livez")
    api.add_resource(ReadyzAPI, "/readyz", endpoint="readyz",
                     resource_class_kwargs={"readiness": Readiness(store, clock)})
    # A 404 like any unknown URL while metrics are off.
    api.add_resource(metrics.MetricsAPI, "/metrics", endpoint="metrics",
                     resource_class_kwargs={"metrics": counted})
    # The web client: GET / answers its page; its script and stylesheet are static files.
    add_client(app)

    # Preflights need no credentials (OPTIONS never asks for them); browsers may read
    # the headers that carry the API's links, validators, totals and request id, and
    # send a request id of their own. The Todo-Backend root is open to every origin,
    # as its clients and suite expect: it takes credentials only in a header, never
    # cookies, so no other site can act with a visitor's.
    cors = {"/todo-backend/*": {"origins": "*", "send_wildcard": True}}
    if app.config["CORS_ORIGINS"]:
        cors["/todo/api/*"] = {"origins": app.config["CORS_ORIGINS"]}
    CORS(app, resources=cors,
         allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match",
                        "X-Request-ID"],
         expose_headers=["Location", "ETag", "Link", "X-Total-Count", "Accept-Patch",
                         "X-Request-ID"],
         max_age=600, vary_header=False)
    if app.config["CORS_ORIGINS"]:
        app.after_request(deployment.vary_on_origin)
    deployment.warn_if_any_host(app)
    return app
