"""Where a request's time goes, in todo and in its plain-Flask twin, layer by layer.

    python -m benchmarks.profile [--requests 2000] [--rounds 5]

In one process, with no server and no network: each request is a direct WSGI
call with Basic credentials (scrypt hash, credential cache), memory store of
1,000 tasks (--store sqlite: one SQLite file), login throttle on. First the wall time per request (medians of
alternating rounds), then a cProfile of each, its own time summed by the
package the code belongs to and scaled to the wall time (cProfile slows small
Python calls most, so the shares are a guide, the wall times the measure).
"""

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict

from werkzeug.test import EnvironBuilder

from benchmarks.baseline import create_baseline_app
from benchmarks.run import BASIC, FRAMEWORK_TARGETS
from benchmarks.run import REQUESTS as LOADS
from benchmarks.seed import seed
from todo import create_app
from todo.store import open_store

# The requests benchmarks.run compares with plain Flask, as it sends them.
REQUESTS = {name: LOADS[name] for name in FRAMEWORK_TARGETS}
# Where code lives -> the layer it is counted in, first match wins.
LAYERS = [
    ("/todo/store/", "todo: store"),
    ("/todo/fields.py", "todo: marshalling"),
    ("/todo/reqparse.py", "todo: parsing"), ("/todo/inputs.py", "todo: parsing"),
    ("/todo/auth.py", "todo: auth"), ("/todo/credentials.py", "todo: auth"),
    ("/todo/throttle.py", "todo: auth"),
    ("/todo/representations.py", "todo: JSON"), ("/json/", "JSON"), ("_json", "JSON"),
    ("/todo/", "todo: resources and the rest"),
    ("/benchmarks/", "plain Flask app's own code"),
    ("/flask_restful/", "Flask-RESTful"), ("flask_httpauth", "Flask-HTTPAuth"),
    ("/limits/", "limits (throttle)"), ("/flask/", "Flask"), ("/werkzeug/", "Werkzeug"),
    ("hmac", "hashlib/hmac"), ("hashlib", "hashlib/hmac"), ("_hashlib", "hashlib/hmac"),
]


def environ(request):
    method, url, body = REQUESTS[request]
    path, _, query = url.partition("?")
    body = body.encode() if body else b""
    builder = EnvironBuilder(path=path, query_string=query or None, method=method, data=body,
                             headers={"Authorization": BASIC},
                             content_type="application/json" if body else None)
    return builder.get_environ(), body


def call(app, env, body):
    env = {**env, "wsgi.input": io.BytesIO(body)}
    status = []
    b"".join(app(env, lambda s, headers, exc_info=None: status.append(s)))
    return status[0]


def per_request(app, request, count):
    env, body = environ(request)
    start = time.perf_counter()
    for _ in range(count):
        status = call(app, env, body)
    elapsed = time.perf_counter() - start
    assert status.startswith("2"), status
    return elapsed / count


def layers(app, request, count):
    """cProfile ``count`` requests; return {layer: share of the profiled time}."""
    env, body = environ(request)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(count):
        call(app, env, body)
    profile.disable()
    totals = defaultdict(float)
    for (filename, _, name), (_, _, tottime, _, _) in pstats.Stats(profile).stats.items():
        where = filename if filename != "~" else name
        layer = next((layer for part, layer in LAYERS if part in where), "other (stdlib, builtins)")
        totals[layer] += tottime
    total = sum(totals.values())
    return {layer: t / total for layer, t in totals.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--store", default="memory", choices=("memory", "sqlite"))
    parser.add_argument("--only", help="one of: " + ", ".join(REQUESTS))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="todo-profile-")
    try:
        profile_apps(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def profile_apps(args, folder):
    if args.store == "memory":
        urls = ["memory://", "memory://"]   # one store each: memory stores are not shared
    else:
        urls = [f"sqlite:///{folder}/todo.sqlite"] * 2
        store = open_store(urls[0])
        seed(store, 1000)
        store.close()
    # The access log off, as in benchmarks.run: the twin logs nothing.
    apps = {"todo": create_app({"STORE": urls[0], "LOG_LEVEL": "WARNING"}),
            "plain Flask": create_baseline_app(urls[1])}
    if args.store == "memory":
        for app in apps.values():
            seed(app.extensions["todo.store"], 1000)
    for request in [args.only] if args.only else REQUESTS:
        times = {name: [] for name in apps}
        for name, app in apps.items():
            per_request(app, request, 100)   # warm up
        for _ in range(args.rounds):
            for name, app in apps.items():
                times[name].append(per_request(app, request, args.requests))
        wall = {name: statistics.median(t) * 1e6 for name, t in times.items()}
        shares = {name: layers(app, request, args.requests) for name, app in apps.items()}
        print(f"\n{request}: todo {wall['todo']:.0f} µs, plain Flask {wall['plain Flask']:.0f} µs"
              f" a request (todo at {wall['plain Flask'] / wall['todo']:.2f}× the speed)")
        print(f"  {'layer':<32} {'todo µs':>8} {'plain Flask µs':>15}")
        names = sorted(set(shares["todo"]) | set(shares["plain Flask"]),
                       key=lambda layer: -shares["todo"].get(layer, 0))
        for layer in names:
            print(f"  {layer:<32} {shares['todo'].get(layer, 0) * wall['todo']:>8.1f} "
                  f"{shares['plain Flask'].get(layer, 0) * wall['plain Flask']:>15.1f}")
    for app in apps.values():
        app.extensions["todo.store"].close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
