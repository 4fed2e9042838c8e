"""The strict parsers: every value seen as sent, every error reported, nothing coerced."""

import pytest

from todo import inputs
from todo.errors import ApiError
from todo.reqparse import JsonBodyParser


@pytest.fixture
def parser():
    parser = JsonBodyParser(ignore=("id",))
    parser.add_argument("title", type=inputs.text(10, strip=True, required=True),
                        required=True, missing_message="No title")
    parser.add_argument("done", type=inputs.boolean, default=False, store_missing=True)
    parser.add_argument("note", type=inputs.text(10))
    return parser


def parse(app, parser, body):
    with app.test_request_context(method="POST", data=body, content_type="application/json"):
        return parser.parse_args()


@pytest.mark.parametrize("body, expected", [
    ('{"title": " a "}', {"title": "a", "done": False}),
    ('{"title": "a", "done": true, "note": "n", "id": 3}', {"title": "a", "done": True,
                                                            "note": "n"}),
])
def test_values_are_validated_and_defaults_filled(memory_app, parser, body, expected):
    assert parse(memory_app, parser, body) == expected


@pytest.mark.parametrize("body, errors", [
    ("{}", {"title": "No title"}),
    ('{"title": "a", "done": "false"}', {"done": "Must be true or false, not a string"}),
    ('{"done": null, "extra": 1}', {"title": "No title", "extra": "Unknown field",
                                    "done": "Must be true or false, not null"}),
])
def test_every_error_is_reported_at_once(memory_app, parser, body, errors):
    with pytest.raises(ApiError) as raised:
        parse(memory_app, parser, body)
    assert raised.value.code == 400
    assert raised.value.message == errors


@pytest.mark.parametrize("option", ["choices", "action", "trim", "help", "nullable"])
def test_options_these_arguments_ignore_are_refused(option):
    with pytest.raises(TypeError, match=option):
        JsonBodyParser().add_argument("title", type=inputs.boolean, **{option: None})
