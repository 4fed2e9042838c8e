"""Strict ``type=`` callables for reqparse: they check types and never coerce.

Each carries ``.schema``, the JSON Schema of exactly what it accepts, from
which the OpenAPI document is built.
"""

import math
import re
import unicodedata

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# What the schema can say of it: lone surrogates cannot appear in a JSON Schema
# pattern that generators understand, so the schema names NUL alone.
_UNSTORABLE_CHARS = r"\x00"
# Python's whitespace (what str.strip() removes), spelled out: a pattern's \s means
# something else in JSON Schema's regex dialect (ECMA-262 has no \x85, for one).
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# What shows nothing, besides whitespace: control characters (Cc), format characters
# (Cf: zero-width space and joiners, bidi controls, BOM, tags...), and the other
# default-ignorable or blank code points (Hangul fillers, variation selectors,
# braille blank). Cf as of Unicode 15.1; tests/test_bodies.py notices a newer one.
_INVISIBLE_RANGES = (
    (0x00, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x34F, 0x34F), (0x600, 0x605), (0x61C, 0x61C),
    (0x6DD, 0x6DD), (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F),
    (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# As a regex class body: BMP ones escaped as Python re, ECMA-262 and the fuzzer's engine
# all read them; the others (which \u cannot spell) as the characters themselves.
_INVISIBLE = "".join(
    "-".join(dict.fromkeys(rf"\u{c:04x}" if c < 0x10000 else chr(c) for c in (low, high)))
    for low, high in _INVISIBLE_RANGES)
_VISIBLE = re.compile(rf"[^{_SPACE}{_INVISIBLE}]")


def text(max_length, *, strip=False, required=False, null_as=None, min_length=0, nfc=False):
    """Return a validator for a JSON string of at most ``max_length`` characters.

    With ``nfc`` the value is put in Unicode NFC (one spelling for ``é``, however
    typed), and with ``strip`` trimmed of whitespace; its length is counted after
    both. With ``required`` a string with nothing visible (empty, blank, or only
    zero-width and other invisible characters) is refused; with ``null_as`` a
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
        if nfc:
            value = unicodedata.normalize("NFC", value)
        if strip:
            value = value.strip()
        if required and not _VISIBLE.search(value):
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
    if required:
        # Something visible, anywhere: a second pattern (a schema takes one per object).
        validate.schema["allOf"] = [{"pattern": rf"[^{_SPACE}{_INVISIBLE}]"}]
    if nfc:
        validate.schema["description"] = ("Stored in Unicode NFC; the length is counted "
                                          "after normalisation.")
    if null_as is not None:
        validate.schema = {"type": ["string", "null"], **{k: v for k, v in validate.schema.items()
                                                          if k != "type"}}
    return validate



def boolean(value):
    """Accept only JSON ``true`` and ``false``: not "false", not 1, not null."""
    if value is True or value is False:
        return value
    raise ValueError(f"Must be true or false, not {json_type(value)}")


boolean.schema = {"type": "boolean"}


def integer(low, high):
    """Return a validator for a JSON integer from ``low`` to ``high``: not "1", true or 1.5.

    JSON has one kind of number, so ``3.0`` is the integer 3 (as JSON Schema and
    JavaScript read it); every float in the range that is whole is exact.
    """
    def validate(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"Must be an integer, not {json_type(value)}")
        if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
            raise ValueError("Must be an integer, not a fraction")
        if not low <= value <= high:   # also 1e400, which Python reads as infinity
            raise ValueError(f"Must be an integer from {low} to {high}")
        return int(value)
    validate.schema = {"type": "integer", "minimum": low, "maximum": high}
    return validate


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
