"""todo.fields.marshal gives what flask_restful.marshal gives, at a fraction of the cost."""

import pytest
from flask_restful import fields as restful_fields
from flask_restful import marshal as restful_marshal

from todo.fields import marshal, marshal_with, task_fields, user_fields

TASKS = [
    {"id": 1, "title": "Buy groceries", "description": "Milk, Cheese", "done": False,
     "version": 3, "user_id": 7},
    {"id": 22, "title": "Learn Python", "description": "", "done": True, "version": 1,
     "user_id": 7},
]

STOCK_FIELDS = {
    "title": restful_fields.String,
    "done": restful_fields.Boolean(attribute="done"),
    "id": restful_fields.Integer,
    "uri": restful_fields.Url("task", absolute=True),
    "nested": {"description": restful_fields.String, "missing": restful_fields.String},
}


@pytest.mark.parametrize("field_map", [task_fields, STOCK_FIELDS], ids=["ours", "stock"])
@pytest.mark.parametrize("data", [TASKS[0], TASKS, [], tuple(TASKS)],
                         ids=["one", "list", "empty", "tuple"])
@pytest.mark.parametrize("envelope", [None, "tasks"])
def test_marshal_agrees_with_flask_restful(memory_app, field_map, data, envelope):
    with memory_app.test_request_context(base_url="https://todo.example"):
        assert marshal(data, field_map, envelope) == restful_marshal(data, field_map, envelope)


def test_record_urls_use_the_requests_host(memory_app):
    with memory_app.test_request_context(base_url="https://todo.example:8443"):
        tasks = marshal(TASKS, task_fields)
        user = marshal({"id": 7, "username": "alice"}, user_fields)
    assert [t["uri"] for t in tasks] == ["https://todo.example:8443/todo/api/v1.0/tasks/1",
                                         "https://todo.example:8443/todo/api/v1.0/tasks/22"]
    assert user == {"username": "alice", "uri": "https://todo.example:8443/todo/api/v1.0/users/7"}


def test_output_is_plain_dicts_in_field_map_order(memory_app):
    with memory_app.test_request_context():
        task = marshal(TASKS[0], task_fields, "task")
    assert type(task) is dict and type(task["task"]) is dict
    assert list(task["task"]) == ["title", "description", "done", "uri"]


@pytest.mark.parametrize("returned, expected", [
    (TASKS[0], ({"task": {"title": "Buy groceries"}}, 200, {})),
    ((TASKS[0], 201), ({"task": {"title": "Buy groceries"}}, 201, {})),
    ((TASKS[0], 200, {"ETag": '"1-3"'}), ({"task": {"title": "Buy groceries"}}, 200,
                                          {"ETag": '"1-3"'})),
])
def test_marshal_with_keeps_status_and_headers(memory_app, returned, expected):
    @marshal_with({"title": restful_fields.String}, envelope="task")
    def view():
        return returned

    with memory_app.test_request_context():
        assert view() == expected
