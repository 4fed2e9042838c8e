"""The product uses Flask, Werkzeug, Flask-RESTful and Flask-HTTPAuth through their documented
surfaces: no underscore attribute of theirs is read, and no method of theirs is overridden
but the few the README lists, each checked here against the installed library."""

import ast
import importlib
import inspect
import pathlib
import pkgutil
import sys
from functools import wraps

import pytest
from flask_restful import Api, Resource, fields, reqparse
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

import todo
from support import TASKS

PACKAGE = pathlib.Path(todo.__file__).parent

# The README's list ("Using the libraries as documented"): (library class, method) -> why.
OVERRIDES = {
    (fields.Raw, "output"): "the custom-field hook of Flask-RESTful's docs",
    (Api, "handle_error"): "Flask-RESTful's documented way to shape its error responses",
    # Constructors that take one more setting and pass the rest to the library's own.
    (fields.Raw, "__init__"): "fields.Value takes its JSON type",
    (reqparse.Argument, "__init__"): "Argument takes the message for a missing field",
    (HTTPException, "__init__"): "ApiError takes a status, a message and headers",
    (IntegerConverter, "__init__"): "IdConverter admits no leading zeros",
}
# Underscore names a library documents for use: (name) -> why.
UNDERSCORE_NAMES = {
    "_get_current_object": "Flask documents it for the sender of a signal",
    "_replace": "a named tuple's documented method; urllib.parse's docs use it on its results",
}


def own_classes():
    for info in pkgutil.walk_packages(todo.__path__, "todo."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == module.__name__:
                yield cls


def third_party(cls):
    top = cls.__module__.split(".")[0]
    return top not in ("todo", "builtins") and top not in sys.stdlib_module_names


def overrides():
    """Yield (our class, method name, the library class whose method it replaces)."""
    for cls in own_classes():
        for name, value in vars(cls).items():
            if not callable(value) and not isinstance(value, (staticmethod, classmethod)):
                continue
            for base in cls.__mro__[1:]:
                if third_party(base) and name in vars(base):
                    yield cls, name, base
                    break


def allowed(name, base):
    return any(name == method and issubclass(base, library) or
               (name == method and issubclass(library, base))
               for library, method in OVERRIDES)


def test_no_library_method_is_overridden_but_the_listed_ones():
    found = [(f"{cls.__module__}.{cls.__qualname__}.{name}", f"{base.__module__}.{base.__name__}")
             for cls, name, base in overrides() if not allowed(name, base)]
    assert found == []


def test_the_listed_overrides_are_all_still_needed():
    used = {(name, base) for _, name, base in overrides()}
    for library, method in OVERRIDES:
        assert any(name == method and (issubclass(base, library) or issubclass(library, base))
                   for name, base in used), (library, method)


def underscore_reads():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                    and not node.attr.startswith("__") \
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                yield f"{path.relative_to(PACKAGE)}:{node.lineno}", ast.unparse(node), node.attr


def test_no_underscore_attribute_is_read_from_another_object():
    assert [(where, code) for where, code, name in underscore_reads()
            if name not in UNDERSCORE_NAMES] == []


@pytest.mark.parametrize("method, parameters", [
    (fields.Raw.output, ["self", "key", "obj"]),
    (fields.Url.output, ["self", "key", "obj"]),
    (Api.handle_error, ["self", "e"]),
])
def test_the_overridden_methods_have_the_signatures_we_override(method, parameters):
    assert list(inspect.signature(method).parameters) == parameters


@pytest.mark.parametrize("cls, used", [
    (fields.Raw, ["default", "attribute"]),
    (fields.Url, ["endpoint", "absolute", "scheme"]),
    (reqparse.Argument, ["name", "default", "required", "type", "location", "store_missing",
                         "dest", "help"]),
    (HTTPException, ["description", "response"]),
])
def test_the_constructors_we_extend_still_take_what_we_pass(cls, used):
    assert set(used) <= set(inspect.signature(cls.__init__).parameters)


def test_method_decorators_of_a_resource_run(client, alice, monkeypatch):
    """Resource.method_decorators, as Flask-RESTful documents them, wrap our resources' methods."""
    from todo.resources import TaskListAPI

    calls = []

    def record(method):
        @wraps(method)
        def wrapper(*args, **kwargs):
            calls.append(method.__name__)
            return method(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(TaskListAPI, "method_decorators", {"get": [record]}, raising=False)
    assert client.get(TASKS, headers=alice).status_code == 200
    assert client.post(TASKS, json={"title": "t"}, headers=alice).status_code == 201
    assert calls == ["get"]


def test_resources_dispatch_through_flask_restfuls_own_dispatch_request():
    from todo import docs, resources, tokens, users
    for module in (resources, users, tokens, docs):
        for cls in vars(module).values():
            if inspect.isclass(cls) and issubclass(cls, Resource):
                assert cls.dispatch_request is Resource.dispatch_request, cls
