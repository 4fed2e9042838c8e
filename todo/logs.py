"""The app's log output: one line per record, as JSON or logfmt text, with its request's id.

Everything the app logs goes through the logger ``todo`` (Flask's ``app.logger``)
and its children (``todo.access``, one line per request). create_app gives
that logger one handler on standard error, at TODO_LOG_LEVEL, in TODO_LOG_FORMAT:
``json`` (JSON lines, for a log collector) or ``text`` (logfmt, for people).
Flask adds no handler of its own when one is there.
"""

import json
import logging
import re
import time

from flask import g, has_request_context

LOGGER = "todo"
# The name of our handler on the logger: create_app is called once per app, and
# tests make many apps in one process; each call reconfigures the one handler.
HANDLER = "todo"
# A logfmt value is quoted (JSON-escaped) unless it is plain: no spaces, quotes,
# equals signs or control characters, so a client's text cannot forge a field.
_PLAIN = re.compile(r"[A-Za-z0-9._:/<>@+\-]+")


def add_request_id(record):
    """Give every record the id of the request it was logged in, if any (a handler filter)."""
    record.request_id = g.get("request_id") if has_request_context() else None
    return True


class Fields(logging.Formatter):
    """What both formats show: UTC time to the millisecond (ISO 8601), level, logger,
    request id, the access line's fields, message."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def fields(self, record):
        """Return a record's fields, in the order lines show them."""
        line = {"time": self.formatTime(record), "level": record.levelname.lower(),
                "logger": record.name}
        if getattr(record, "request_id", None):
            line["request_id"] = record.request_id
        line.update(getattr(record, "access", ()))
        line["message"] = record.getMessage()
        return line


class JSONLines(Fields):
    """One JSON object per line; a traceback is the ``exception`` member, escaped."""

    def format(self, record):
        """Return the record as one line of JSON."""
        line = self.fields(record)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


class Logfmt(Fields):
    """key=value pairs on one line; a traceback follows on lines of its own, for people."""

    def format(self, record):
        """Return the record as a logfmt line (and its traceback, if any)."""
        text = " ".join(f"{key}={logfmt_value(value)}"
                        for key, value in self.fields(record).items() if value is not None)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def logfmt_value(value):
    """Return ``value`` as logfmt writes it: bare when plain, else a quoted JSON string."""
    text = str(value)
    return text if _PLAIN.fullmatch(text) else json.dumps(text)


def init_app(app):
    """Send the logger ``todo`` to standard error in the app's format and at its level."""
    logger = logging.getLogger(LOGGER)
    handler = next((h for h in logger.handlers if h.get_name() == HANDLER), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.set_name(HANDLER)
        handler.addFilter(add_request_id)
        logger.addHandler(handler)
    handler.setFormatter(JSONLines() if app.config["LOG_FORMAT"] == "json" else Logfmt())
    logger.setLevel(app.config["LOG_LEVEL"])
