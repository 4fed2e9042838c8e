"""Strict ``type=`` callables for reqparse: they check JSON types and never coerce."""


def text(max_length, *, strip=False, required=False):
    """Return a validator for a JSON string of at most ``max_length`` characters.

    With ``strip`` the value is trimmed first and its length counted after; with
    ``required`` an empty (or all-blank) string is refused.
    """
    def validate(value):
        if not isinstance(value, str):
            raise ValueError(f"Must be a string, not {json_type(value)}")
        if strip:
            value = value.strip()
        if required and not value:
            raise ValueError("Must not be empty")
        if len(value) > max_length:
            raise ValueError(f"Must be at most {max_length} characters")
        return value
    # The JSON Schema of exactly what this accepts, for the OpenAPI document.
    if strip and required:
        # Length and emptiness count after trimming, which maxLength cannot say.
        validate.schema = {"type": "string",
                           "pattern": rf"^\s*\S([\s\S]{{0,{max_length - 2}}}\S)?\s*$"}
    else:
        validate.schema = {"type": "string", "maxLength": max_length}
        if required:
            validate.schema["minLength"] = 1
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
