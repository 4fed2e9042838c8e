"""The users resources: registration (UserListAPI) and one's own account (UserAPI)."""

import string
import unicodedata
from contextlib import contextmanager

from flask import current_app, request, url_for

from todo import inputs, usernames
from todo.auth import current_user, password_required
from todo.errors import ApiError
from todo.fields import marshal_with, user_fields
from todo.reqparse import JsonBody, parser
from todo.resources import StoreResource
from todo.store import DuplicateUser

PASSWORD_MIN, PASSWORD_MAX = 8, 1024
_NAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._-")
# Every character whose NFKC form is ASCII lies in the first two planes (the
# others hold CJK ideographs, tags, variation selectors and private use); a test
# looks through all of them, so a new Unicode version cannot change that unnoticed.
_SCANNED = 0x20000


def _character_class(chars):
    """Spell a set of characters as a regular expression class, in ranges."""
    def escape(char):
        return "\\" + char if char in "\\]^-[" else char
    points, ranges = sorted(map(ord, chars)), []
    for point in points:
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    return "[" + "".join(escape(chr(a)) if a == b else f"{escape(chr(a))}-{escape(chr(b))}"
                         for a, b in ranges) + "]"


def _name_pattern():
    """The JSON Schema pattern of what usernames.check accepts, but for its length.

    It lists every character whose NFKC form is made only of the rule's
    characters (ｍ, ﬁ, ⑩...), those a name may start with first.
    """
    anywhere = set(_NAME_CHARACTERS)
    for char in map(chr, range(_SCANNED)):
        # A character without a decomposition is its own NFKC form.
        if unicodedata.decomposition(char):
            form = unicodedata.normalize("NFKC", char)
            if set(form) <= _NAME_CHARACTERS:
                anywhere.add(char)
    first = {char for char in anywhere if unicodedata.normalize("NFKC", char)[0].isalnum()}
    # (?!\n): Python's $ also matches before a final newline, ECMA-262's does not.
    return f"^{_character_class(first)}{_character_class(anywhere)}*$(?!\\n)"


def username(value):
    """Accept a JSON string that follows the username rule; return it NFKC-normalised."""
    if not isinstance(value, str):
        raise ValueError(f"Must be a string, not {inputs.json_type(value)}")
    return usernames.check(value)


# The rule applies to the NFKC form, which JSON Schema cannot compute: the
# pattern admits the characters that normalise to allowed ones, and the lengths
# hold before normalising too (no accepted character shrinks under NFKC).
username.schema = {
    "type": "string", "minLength": 1, "maxLength": usernames.MAX_LENGTH,
    "pattern": _name_pattern(),
    "description": f"{usernames.RULE}, once NFKC-normalised (full-width ｍｉｇｕｅｌ is "
                   f"miguel); a character such as ⑩ counts as the two it becomes. Stored "
                   f"normalised, and unique ignoring case: Miguel is miguel.",
}
password = inputs.text(PASSWORD_MAX, min_length=PASSWORD_MIN)

new_user_parser = parser()
new_user_parser.add_argument("username", type=username, required=True, location="json",
                             missing_message="No username provided")
new_user_parser.add_argument("password", type=password, required=True, location="json",
                             missing_message="No password provided")
new_user = JsonBody(new_user_parser, ignore=("uri",))

password_change_parser = parser()
password_change_parser.add_argument("password", type=password, required=True, location="json",
                                    missing_message="No password provided")
password_change = JsonBody(password_change_parser, ignore=("uri", "username"))


class UserListAPI(StoreResource):
    """Registration: POST a username and password (when TODO_REGISTRATION=open)."""

    decorators = []   # registering needs no account

    @marshal_with(user_fields, envelope="user")
    def post(self):
        if current_app.config["REGISTRATION"] != "open":
            raise ApiError(403, "Registration is closed; an administrator adds users with "
                                "'flask --app todo users add'")
        args = new_user.parse()
        # Accounts created and names found taken count; refused input does not.
        with registration_slot():
            # A taken name is a DuplicateUser: 409 (todo.errors).
            user = self.store.add_user(args.username,
                                       current_app.extensions["todo.hashing"].hash(args.password))
        return user, 201, {"Location": url_for("user", id=user["id"], _external=True)}


@contextmanager
def registration_slot():
    """Hold one of this address's registrations for the block; give it back if the
    block fails for any reason but a taken name."""
    counter = current_app.extensions["todo.registrations"]
    address = (request.remote_addr or "-",)
    if counter is not None:
        wait = counter.reserve(address)
        if wait:
            raise ApiError(429, "Too many registrations from here; try again later",
                           headers={"Retry-After": str(wait)})
    try:
        yield
    except DuplicateUser:
        raise   # a name found taken counts: that is what an enumeration tries
    except BaseException:
        if counter is not None:
            counter.release(address)
        raise


class UserAPI(StoreResource):
    """One's own account: read it, change its password, or delete it with all its tasks.

    A token reads the account; changing the password or deleting the account
    needs the password itself, so a stolen token cannot take the account over.
    """

    def own(self, id):
        """Return the caller if ``id`` is theirs; anyone else's account does not exist (404)."""
        user = current_user()
        if user["id"] != id:
            raise ApiError(404)
        return user

    @marshal_with(user_fields, envelope="user")
    def get(self, id):
        return self.own(id)

    @password_required
    @marshal_with(user_fields, envelope="user")
    def put(self, id):
        user = self.own(id)
        args = password_change.parse()
        # Revokes every token of the user's; the credential cache notices the new hash.
        new_hash = current_app.extensions["todo.hashing"].hash(args.password)
        if not self.store.set_password_hash(id, new_hash):
            raise ApiError(404)
        return user

    @password_required
    def delete(self, id):
        if not self.store.remove_user(self.own(id)["username"]):
            raise ApiError(404)
        return {"result": True}
