"""todo.fields: the same output as Flask-RESTful's marshal_with and fields.Url, for any host."""

import pytest
from flask_restful import fields as restful_fields
from flask_restful import marshal_with as restful_marshal_with

from todo.fields import RecordUrl, Value, marshal_with, task_fields, user_fields

TASKS = [
    {"id": 1, "title": "Buy groceries", "description": "Milk, Cheese", "done": False,
     "order": 1000, "version": 3, "user_id": 7},
    {"id": 22, "title": "Learn Python", "description": "", "done": True, "order": -5,
     "version": 1, "user_id": 7},
]

STOCK_FIELDS = {
    "title": restful_fields.String,
    "done": restful_fields.Boolean(attribute="done"),
    "id": restful_fields.Integer,
    "uri": restful_fields.Url("task", absolute=True),
}
# task_fields, with the stock field each of ours stands for.
STOCK_TASK_FIELDS = {"title": restful_fields.String, "description": restful_fields.String,
                     "done": restful_fields.Boolean, "order": restful_fields.Integer,
                     "uri": restful_fields.Url("task", absolute=True)}


def marshalled(field_map, returned, decorate=marshal_with, envelope=None):
    @decorate(field_map, envelope=envelope)
    def view():
        return returned
    rv = view()
    # Flask-RESTful's makes OrderedDicts: compare as plain data.
    plain = lambda data: [dict(d) for d in data] if isinstance(data, list) else dict(data)
    if isinstance(rv, tuple):
        return (plain(rv[0]), *rv[1:])
    return plain(rv)


@pytest.mark.parametrize("field_map", [task_fields, STOCK_FIELDS], ids=["ours", "stock"])
@pytest.mark.parametrize("returned", [TASKS[0], TASKS, [], (TASKS[0], 201, {"ETag": "x"})],
                         ids=["one", "list", "empty", "with status and headers"])
@pytest.mark.parametrize("envelope", [None, "tasks"])
def test_marshal_with_agrees_with_flask_restful(memory_app, field_map, returned, envelope):
    with memory_app.test_request_context(base_url="https://todo.example"):
        assert marshalled(field_map, returned, marshal_with, envelope) == \
            marshalled(field_map, returned, restful_marshal_with, envelope)


@pytest.mark.parametrize("host_url, script_name", [
    ("http://987654321987654321.example", ""),       # digits in the host
    ("http://1.example", ""),                        # the id itself in the host
    ("http://127.0.0.1:8022", ""),                   # a port holding the id's digits
    ("http://[::1]:5000", ""),                       # an IPv6 literal
    ("https://todo.example:8443", "/apps/22/todo"),  # a SCRIPT_NAME prefix with digits
])
def test_uris_are_those_of_fields_url_for_every_host(memory_app, host_url, script_name):
    # host_url, not base_url: pytest-base-url (pytest-playwright's) has a fixture of that name.
    url = host_url + script_name
    with memory_app.test_request_context("/", base_url=url):
        ours = marshalled(task_fields, TASKS)
        stock = marshalled(STOCK_TASK_FIELDS, TASKS, restful_marshal_with)
        # Our fields in Flask-RESTful's marshal_with: each uri is built alone, the same.
        mixed = marshalled(task_fields, TASKS, restful_marshal_with)
    assert ours == stock == mixed
    assert [t["uri"] for t in ours] == [f"{url}/todo/api/v1.0/tasks/1",
                                        f"{url}/todo/api/v1.0/tasks/22"]


def test_a_numeric_host_gets_the_same_uri_in_body_and_location(client, alice):
    host = {"Host": "987654321987654321.example"}
    response = client.post("/todo/api/v1.0/tasks", json={"title": "t"}, headers={**alice, **host})
    assert response.status_code == 201
    assert response.get_json()["task"]["uri"] == response.headers["Location"]
    assert response.headers["Location"].startswith("http://987654321987654321.example/")


@pytest.mark.parametrize("scheme, absolute, expected", [
    (None, False, "/todo/api/v1.0/users/7"),
    (None, True, "http://todo.example/todo/api/v1.0/users/7"),
    ("https", True, "https://todo.example/todo/api/v1.0/users/7"),
])
def test_record_url_takes_fields_url_options(memory_app, scheme, absolute, expected):
    ours = {"uri": RecordUrl("user", absolute=absolute, scheme=scheme)}
    stock = {"uri": restful_fields.Url("user", absolute=absolute, scheme=scheme)}
    user = {"id": 7, "username": "alice"}
    with memory_app.test_request_context(base_url="http://todo.example"):
        assert marshalled(ours, user) == marshalled(stock, user) == {"uri": expected}


def test_value_honours_attribute_and_default(memory_app):
    field_map = {"name": Value("string", attribute="username"),
                 "note": Value("string", default="none")}
    with memory_app.test_request_context():
        assert marshalled(field_map, {"username": "alice"}) == {"name": "alice", "note": "none"}


def test_output_is_plain_dicts_in_field_map_order(memory_app):
    with memory_app.test_request_context():
        task = marshal_with(task_fields, envelope="task")(lambda: TASKS[0])()
        user = marshal_with(user_fields)(lambda: {"id": 7, "username": "alice"})()
    assert type(task) is dict and type(task["task"]) is dict
    assert list(task["task"]) == ["title", "description", "done", "order", "uri"]
    assert list(user) == ["username", "uri"]


def test_a_nested_field_map_is_refused_when_decorating():
    with pytest.raises(TypeError, match="nested"):
        marshal_with({"owner": {"name": restful_fields.String}})
