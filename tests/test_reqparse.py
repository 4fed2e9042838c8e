"""The strict parsers: Flask-RESTful's RequestParser, every value seen as sent, every error at once."""

import pytest
from flask_restful import reqparse

from todo import inputs
from todo.errors import ApiError
from todo.reqparse import JsonBody, Query, parser as new_parser
from todo.resources import new_task_parser, task_list_parser, task_patch_parser


@pytest.fixture
def parser():
    parser = new_parser()
    parser.add_argument("title", type=inputs.text(10, strip=True, required=True),
                        required=True, missing_message="No title", location="json")
    parser.add_argument("done", type=inputs.boolean, default=False, store_missing=True,
                        location="json")
    parser.add_argument("note", type=inputs.text(10, null_as=""), location="json")
    return parser


def parse(app, parser, body):
    with app.test_request_context(method="POST", data=body, content_type="application/json"):
        return JsonBody(parser, ignore=("id",)).parse()


@pytest.mark.parametrize("body, expected", [
    ('{"title": " a "}', {"title": "a", "done": False}),
    ('{"title": "a", "done": true, "note": "n", "id": 3}', {"title": "a", "done": True,
                                                            "note": "n"}),
    ('{"title": "a", "note": null}', {"title": "a", "done": False, "note": ""}),
])
def test_values_are_validated_and_defaults_filled(memory_app, parser, body, expected):
    assert parse(memory_app, parser, body) == expected


@pytest.mark.parametrize("body, errors", [
    ("{}", {"title": "No title"}),
    ('{"title": null}', {"title": "Must be a string, not null"}),
    ('{"title": "a", "done": "false"}', {"done": "Must be true or false, not a string"}),
    ('{"done": null, "extra": 1}', {"title": "No title",
                                    "done": "Must be true or false, not null",
                                    "extra": "Unknown field"}),
])
def test_every_error_is_reported_at_once(memory_app, parser, body, errors):
    with pytest.raises(ApiError) as raised:
        parse(memory_app, parser, body)
    assert raised.value.code == 400
    assert raised.value.message == errors
    assert list(raised.value.message) == list(errors)   # known fields first, in order


def test_parsers_copy_and_replace_arguments_as_flask_restful_documents(memory_app):
    copy = new_task_parser.copy()
    copy.replace_argument("title", type=inputs.text(3), location="json")
    copy.add_argument("priority", type=inputs.boolean, location="json")
    assert [arg.name for arg in copy.args] == ["description", "done", "order", "title",
                                                "priority"]
    assert [arg.name for arg in new_task_parser.args] == ["title", "description", "done", "order"]
    with memory_app.test_request_context(method="POST", json={"title": "abc", "priority": True}):
        assert JsonBody(copy).parse() == {"title": "abc", "description": "", "done": False,
                                          "priority": True}


def test_the_patch_parser_is_the_update_parser_with_null_clearing_the_description():
    assert [arg.name for arg in task_patch_parser.args] == ["title", "done", "order", "description"]
    assert task_patch_parser.args[-1].type(None) == ""


def test_parse_args_takes_the_request_and_strict_as_documented(memory_app):
    # The parsers are stock RequestParsers: parse_args(req=..., strict=...) does what it says.
    class Given:
        json = {"title": "a", "stray": 1}
    with memory_app.test_request_context():
        assert new_task_parser.parse_args(req=Given()) == {"title": "a", "description": "",
                                                            "done": False}
        with pytest.raises(Exception, match="Unknown arguments: stray"):
            new_task_parser.parse_args(req=Given(), strict=True)


def test_the_parsers_are_flask_restfuls_own():
    for parser in (new_task_parser, task_patch_parser, task_list_parser):
        assert type(parser) is reqparse.RequestParser


@pytest.mark.parametrize("query, errors", [
    ("page=1&page=2", {"page": "Given more than once"}),
    ("per_page=0&colour=red", {"per_page": "Must be a whole number from 1 to 1000",
                               "colour": "Unknown query argument"}),
])
def test_query_errors_are_reported_at_once(memory_app, query, errors):
    with memory_app.test_request_context(f"/?{query}"):
        with pytest.raises(ApiError) as raised:
            Query(task_list_parser).parse()
    assert raised.value.message == errors
