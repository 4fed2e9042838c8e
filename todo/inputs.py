"""Strict ``type=`` callables for reqparse: they check types and never coerce.

Each carries ``.schema``, the JSON Schema of exactly what it accepts, from
which the OpenAPI document is built.
"""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# What the schema can say of it: lone surrogates cannot appear in a JSON Schema
# pattern that generators understand, so the schema names NUL alone.
_UNSTORABLE_CHARS = r"\x00"
# Python's whitespace (what str.strip() removes), spelled out: a pattern's \s means
# something else in JSON Schema's regex dialect (ECMA-262 has no \x85, for one).
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def text(max_length, *, strip=False, required=False, null_as=None, min_length=0):
    """Return a validator for a JSON string of at most ``max_length`` characters.

    With ``strip`` the value is trimmed first and its length counted after; with
    ``required`` an empty (or all-blank) string is refused; with ``null_as`` a
    JSON null is accepted and stands for that value (merge-patch clearing).
    """
    def validate(value):
        if value is None and null_as is not None:
            return null_as
        if not isinstance(value, str):
            raise ValueError(f"Must be a string, not {json_type(value)}")
        if _UNSTORABLE.search(value):
            # Lone surrogates are not text, and no database stores NUL in text.
            raise ValueError("Must be text without NUL characters or lone surrogates")
        if strip:
            value = value.strip()
        if required and not value:
            raise ValueError("Must not be empty")
        if len(value) > max_length:
            raise ValueError(f"Must be at most {max_length} characters")
        if len(value) < min_length:
            raise ValueError(f"Must be at least {min_length} characters")
        return value
    # The JSON Schema of exactly what this accepts, for the OpenAPI document.
    if strip and required:
        # Length and emptiness count after trimming, which maxLength cannot say.
        space, solid = rf"[{_SPACE}]", rf"[^{_SPACE}{_UNSTORABLE_CHARS}]"
        any_char = rf"[^{_UNSTORABLE_CHARS}]"
        validate.schema = {"type": "string", "minLength": 1, "pattern":
                           rf"^{space}*{solid}({any_char}{{0,{max_length - 2}}}{solid})?{space}*$"}
    else:
        validate.schema = {"type": "string", "maxLength": max_length,
                           "pattern": rf"^[^{_UNSTORABLE_CHARS}]*$"}
        if required or min_length:
            validate.schema["minLength"] = max(1 if required else 0, min_length)
    if null_as is not None:
        validate.schema = {"type": ["string", "null"], **{k: v for k, v in validate.schema.items()
                                                          if k != "type"}}
    return validate


def pattern(regex, message):
    """Return a validator for a JSON string matching ``regex`` whole."""
    compiled = re.compile(regex)

    def validate(value):
        if not isinstance(value, str):
            raise ValueError(f"Must be a string, not {json_type(value)}")
        if not compiled.fullmatch(value):
            raise ValueError(message)
        return value
    validate.schema = {"type": "string", "pattern": f"^{regex}$"}
    return validate


def boolean(value):
    """Accept only JSON ``true`` and ``false``: not "false", not 1, not null."""
    if value is True or value is False:
        return value
    raise ValueError(f"Must be true or false, not {json_type(value)}")


boolean.schema = {"type": "boolean"}


def json_type(value):
    """Name the JSON type of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


# Query-string values arrive as text: these parse it, strictly.

def whole_number(low, high):
    """Return a validator for a decimal whole number from ``low`` to ``high``."""
    def validate(value):
        if not re.fullmatch(r"[0-9]{1,19}", value) or not low <= int(value) <= high:
            raise ValueError(f"Must be a whole number from {low} to {high}")
        return int(value)
    validate.schema = {"type": "integer", "minimum": low, "maximum": high}
    return validate


def query_boolean(value):
    """Accept only the words true and false."""
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("Must be true or false")


query_boolean.schema = {"type": "string", "enum": ["true", "false"]}


def sort_keys(allowed):
    """Return a validator for comma-separated keys from ``allowed``, each maybe prefixed '-'."""
    def validate(value):
        keys = []
        for term in value.split(","):
            key = term.removeprefix("-")
            if key not in allowed:
                raise ValueError(f"Unknown sort key {key!r}; use {', '.join(allowed)}, "
                                 "each optionally prefixed with '-'")
            keys.append((key, term.startswith("-")))
        return tuple(keys)
    choice = "|".join(map(re.escape, allowed))
    validate.schema = {"type": "string", "pattern": rf"^-?({choice})(,-?({choice}))*$"}
    return validate
