"""The one JSON encoding of every response body, success and error alike."""

import json

from flask import current_app

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(data):
    """Encode ``data`` as compact UTF-8 JSON text ending in a newline (tidy under curl)."""
    return _encode(data) + "\n"


def output_json(data, code, headers=None):
    """Flask-RESTful representation for application/json: compact, never indented."""
    response = current_app.response_class(dumps(data), status=code,
                                          mimetype="application/json")
    if headers:
        # A dict, or (name, value) pairs; Headers.extend would sort out every other type first.
        add = response.headers.add
        for name, value in headers.items() if isinstance(headers, dict) else headers:
            add(name, value)
    return response
