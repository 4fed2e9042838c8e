"""reqparse for JSON bodies: shape checked first, no coercion, unknown fields refused."""

import json

from flask import request
from flask_restful import reqparse

from todo.errors import ApiError

UNKNOWN_FIELD = "Unknown field"


class Argument(reqparse.Argument):
    """An argument whose ``type`` sees every value as sent, null included.

    reqparse would skip ``type`` for null (or refuse it with its own wording),
    retry ``type`` with other signatures on TypeError, and look for operators,
    choices, case and whitespace options on every request. These arguments take
    ``type``, ``required``, ``default``, ``store_missing``, ``dest`` and
    ``missing_message`` only, and read one value from those the parser has
    already decoded: the strict validators of todo.inputs get it as it is.
    """

    def __init__(self, name, missing_message=None, **kwargs):
        unsupported = set(kwargs) - {"type", "required", "default", "store_missing", "dest",
                                     "location"}
        if unsupported:
            raise TypeError(f"Argument does not take {', '.join(sorted(unsupported))}")
        kwargs.setdefault("location", "json")
        # Only what the client sent ends up in the namespace: PUT changes those alone.
        kwargs.setdefault("store_missing", False)
        super().__init__(name, **kwargs)
        self.missing_message = missing_message or "Missing required field"

    def parse(self, values):
        """From the decoded ``values`` (a dict) return (value, True), (default, False)
        when absent, or (error, {name: message})."""
        if self.name not in values:
            if self.required:
                return ValueError(self.missing_message), {self.name: self.missing_message}
            return (self.default() if callable(self.default) else self.default), False
        try:
            return self.type(values[self.name]), True
        except ValueError as error:
            return error, {self.name: str(error)}


class StrictParser(reqparse.RequestParser):
    """A parser that refuses what it does not know and reports every error at once.

    ``ignore`` names inputs that are accepted and dropped (a task's ``id`` and
    ``uri`` sent back); any other unknown name is an error, so a typo is never
    silently dropped.  Subclasses say where the values come from.
    """

    location = None
    unknown_message = UNKNOWN_FIELD

    def __init__(self, ignore=(), **kwargs):
        kwargs.setdefault("argument_class", Argument)
        super().__init__(bundle_errors=True, **kwargs)
        self.ignore = frozenset(ignore)

    def add_argument(self, *args, **kwargs):
        kwargs.setdefault("location", self.location)
        return super().add_argument(*args, **kwargs)

    def values(self):
        """Return (the request's values by name, errors found reading them)."""
        raise NotImplementedError

    def parse_args(self, req=None, strict=False, http_error_code=400):
        """Return the arguments (reqparse's namespace), or raise a 400 naming every error.

        reqparse's own loop would hand each argument the request to find its
        values in again; here they are read once, and each argument looks its
        own up in them.
        """
        values, errors = self.values()
        known = {arg.name for arg in self.args} | self.ignore
        errors.update({name: self.unknown_message for name in values if name not in known})
        args = self.namespace_class()
        for arg in self.args:
            value, found = arg.parse(values)
            if isinstance(value, ValueError):
                errors.update(found)
            elif found or arg.store_missing:
                args[arg.dest or arg.name] = value
        if errors:
            raise ApiError(http_error_code, errors)
        return args


class JsonBodyParser(StrictParser):
    """Parse a JSON object body; ``media_types`` are the Content-Types accepted (415 otherwise)."""

    location = "json"

    def __init__(self, ignore=(), media_types=("application/json",), **kwargs):
        super().__init__(ignore, **kwargs)
        self.media_types = tuple(media_types)

    def values(self):
        return json_object_body(self.media_types), {}


class QueryParser(StrictParser):
    """Parse the query string, where each argument may be given once."""

    location = "args"
    unknown_message = "Unknown query argument"

    def values(self):
        errors = {name: "Given more than once" for name, given in request.args.lists()
                  if len(given) > 1}
        return request.args.to_dict(), errors


def json_object_body(media_types=("application/json",)):
    """Return the request's JSON body, which must be an object sent as one of ``media_types``."""
    if request.mimetype not in media_types:
        raise ApiError(415, f"Send the body as JSON with Content-Type: {media_types[0]}")
    data = request.get_data(cache=True)
    if not data:
        raise ApiError(415, f"The request has no body; send a JSON object as {media_types[0]}")
    try:
        # What json.loads does with bytes, with a decoder made once, not per call.
        body = _decode(data.decode(json.detect_encoding(data), "surrogatepass"))
    except (ValueError, RecursionError):
        # RecursionError: absurdly deep nesting, which Flask's get_json lets through as a 500.
        raise ApiError(400, "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body


def _refuse_constant(name):
    # NaN and Infinity are not JSON, whatever Python's decoder accepts.
    raise ValueError(f"{name} is not valid JSON")


_decode = json.JSONDecoder(parse_constant=_refuse_constant).decode
