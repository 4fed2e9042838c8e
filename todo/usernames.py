"""Usernames: one rule for registration, the command line and logins.

A name is NFKC-normalised (so a full-width ``ｍｉｇｕｅｌ`` is ``miguel``), then
must be 1 to 64 ASCII letters, digits, ``.``, ``_`` or ``-``, starting with a
letter or a digit. ASCII only: no look-alike letters from other scripts, and
nothing that Basic credentials cannot carry (a colon) or that a terminal would
show differently. Names are unique, and looked up, by ``key``: the normalised
name casefolded, so ``Miguel`` and ``MIGUEL`` are the same account as ``miguel``.
"""

import re
import unicodedata

MAX_LENGTH = 64
RULE = f"Must be 1 to {MAX_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or a digit"
PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_LENGTH - 1}}}"
_VALID = re.compile(PATTERN)


def normalize(name):
    """Return ``name`` in NFKC, the form that is stored and shown."""
    return unicodedata.normalize("NFKC", name)


def check(name):
    """Return ``name`` normalised if it follows the rule; raise ValueError saying the rule if not."""
    name = normalize(name)
    if not _VALID.fullmatch(name):
        raise ValueError(RULE)
    return name


def key(name):
    """Return the form under which names are unique and looked up (any text, never raising)."""
    return normalize(name).casefold()
