"""URL converters: the ids in the service's URLs."""

from werkzeug.routing import IntegerConverter

ID_MAX = 2**63 - 1   # the largest id a database integer column holds


class IdConverter(IntegerConverter):
    """An id as the service writes it: ASCII digits, no sign, no leading zeros.

    Werkzeug's ``int`` converter matches ``\\d+``, which takes any Unicode
    digit (``١``, ``１``) and leading zeros, so one task would have many URLs.
    Here only the one spelling ``str(id)`` gives is a match; any other is a 404.
    """

    regex = r"0|[1-9][0-9]{0,18}"

    def __init__(self, map, max=ID_MAX):
        super().__init__(map, min=0, max=max)

    # The JSON Schema of what matches, for the OpenAPI document's path parameters.
    schema = {"type": "integer", "minimum": 0, "maximum": ID_MAX}
