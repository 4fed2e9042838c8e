"""The users resources: registration (UserListAPI) and one's own account (UserAPI)."""

from flask import current_app, url_for

from todo import inputs
from todo.auth import current_user
from todo.credentials import hash_password
from todo.errors import ApiError
from todo.fields import marshal_with, user_fields
from todo.reqparse import JsonBodyParser
from todo.resources import StoreResource
from todo.store import DuplicateUser

USERNAME_MAX = 64
PASSWORD_MIN, PASSWORD_MAX = 8, 1024

username = inputs.pattern(r"[A-Za-z0-9._-]{1,%d}" % USERNAME_MAX,
                          f"Must be 1 to {USERNAME_MAX} letters, digits, '.', '_' or '-'")
password = inputs.text(PASSWORD_MAX, min_length=PASSWORD_MIN)

new_user_parser = JsonBodyParser(ignore=("uri",))
new_user_parser.add_argument("username", type=username, required=True,
                             missing_message="No username provided")
new_user_parser.add_argument("password", type=password, required=True,
                             missing_message="No password provided")

password_change_parser = JsonBodyParser(ignore=("uri", "username"))
password_change_parser.add_argument("password", type=password, required=True,
                                    missing_message="No password provided")


class UserListAPI(StoreResource):
    """Registration: POST a username and password (when TODO_REGISTRATION=open)."""

    decorators = []   # registering needs no account

    @marshal_with(user_fields, envelope="user")
    def post(self):
        if current_app.config["REGISTRATION"] != "open":
            raise ApiError(403, "Registration is closed; an administrator adds users with "
                                "'flask --app todo users add'")
        args = new_user_parser.parse_args()
        try:
            user = self.store.add_user(args.username, hash_password(args.password))
        except DuplicateUser:
            raise ApiError(409, {"username": "Already taken"}) from None
        return user, 201, {"Location": url_for("user", id=user["id"], _external=True)}


class UserAPI(StoreResource):
    """One's own account: read it, change its password, or delete it with all its tasks."""

    def own(self, id):
        """Return the caller if ``id`` is theirs; anyone else's account does not exist (404)."""
        user = current_user()
        if user["id"] != id:
            raise ApiError(404)
        return user

    @marshal_with(user_fields, envelope="user")
    def get(self, id):
        return self.own(id)

    @marshal_with(user_fields, envelope="user")
    def put(self, id):
        user = self.own(id)
        args = password_change_parser.parse_args()
        # Revokes every token of the user's; the credential cache notices the new hash.
        if not self.store.set_password_hash(id, hash_password(args.password)):
            raise ApiError(404)
        return user

    def delete(self, id):
        if not self.store.remove_user(self.own(id)["username"]):
            raise ApiError(404)
        return {"result": True}
