"""Run the To-Do service on Flask's development server (production: see README)."""

import argparse
import logging
import os
import sys

from todo import create_app, demo
from todo.config import ConfigError
from todo.store import StoreError


def parse_args(argv=None):
    """Read the command line."""
    parser = argparse.ArgumentParser(description="Run the To-Do list API (development server).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    parser.add_argument("--store", metavar="URL",
                        help="memory://, sqlite:///path or postgresql://... (default: TODO_STORE, "
                             "else todo.sqlite in the instance folder)")
    parser.add_argument("--no-demo", action="store_true",
                        help="do not create the demo account miguel/python in an empty store")
    parser.add_argument("--debug", action="store_true",
                        help="Flask debug mode: the reloader and debug logs, never the debugger")
    return parser.parse_args(argv)


def main(argv=None):
    """Create the app, seed the demo account into an empty store, and serve."""
    args = parse_args(argv)
    debug = args.debug or os.environ.get("FLASK_DEBUG") == "1"
    overrides = {"STORE": args.store} if args.store else {}
    # The demo account is made with the app, before settings that may name it
    # (TODO_BACKEND_PUBLIC_USER) are checked.
    if not args.no_demo:
        overrides["DEMO"] = True
    # A console is read by people: logfmt text, and debug records in debug mode,
    # unless the environment asks otherwise.
    if "TODO_LOG_FORMAT" not in os.environ:
        overrides["LOG_FORMAT"] = "text"
    if debug and "TODO_LOG_LEVEL" not in os.environ:
        overrides["LOG_LEVEL"] = "DEBUG"
    try:
        app = create_app(overrides)
    except (ConfigError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Under --debug the reloader runs this twice; the second run finds the
    # account made by the first and stays quiet.
    if app.extensions["todo.demo_seeded"]:
        print(f" * Created the demo account {demo.USERNAME!r} (password {demo.PASSWORD!r}) "
              f"with {len(demo.TASKS)} tasks", flush=True)
    # The app logs each request itself (todo.access_log): Werkzeug's own line for it,
    # '127.0.0.1 - - [date] "GET /path HTTP/1.1" 200 -', would say it again, less well
    # (tests/test_access_log.py notices if Werkzeug words it otherwise).
    logging.getLogger("werkzeug").addFilter(
        lambda record: not str(record.msg).endswith('] "%s" %s %s'))
    # Werkzeug's interactive debugger would serve a Python console at /console and
    # HTML tracebacks: errors stay the API's JSON, in debug mode too.
    app.run(host=args.host, port=args.port, debug=debug, use_debugger=False,
            use_reloader=debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
