"""How the app meets the network: trusted proxies, the Host header, browser origins."""

from flask import request
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_host

from todo.errors import ApiError, error_response


def trust_proxies(app):
    """Trust the X-Forwarded-* headers of the proxies the settings name, and no others.

    TODO_PROXY_FIX counts the hops for X-Forwarded-For, -Proto and -Host; -Port
    and -Prefix each need their own count, since a proxy that does not clear
    them passes on whatever a client sent (a Prefix lands in every Location).
    """
    hops = app.config["PROXY_FIX"]
    port, prefix = app.config["PROXY_FIX_PORT"], app.config["PROXY_FIX_PREFIX"]
    if hops or port or prefix:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=port, x_prefix=prefix)


def refuse_untrusted_hosts(app):
    """Answer a request for a Host that TRUSTED_HOSTS does not name with a 400, before Flask.

    Flask would raise its SecurityError while routing; Flask-RESTful's error
    router matches the URL again to choose who answers the error, which raises
    it a second time, outside every handler. Checked here with the same
    Werkzeug function and list, Flask's own check never fails. Wrap this inside
    ProxyFix (call it first), so that a forwarded Host is the one checked.
    """
    trusted, inner = app.config["TRUSTED_HOSTS"], app.wsgi_app
    if not trusted:
        return

    def wsgi_app(environ, start_response):
        try:
            get_host(environ, trusted)
        except SecurityError as exc:
            with app.request_context(environ):
                response = error_response(400, exc.description)   # "Host 'x' is not trusted."
            return response(environ, start_response)
        return inner(environ, start_response)
    app.wsgi_app = wsgi_app


def check_host():
    """Refuse a request whose Host is not a host[:port] (before_request hook).

    Werkzeug's ``request.host`` is the empty string when the Host header is
    empty or has characters no host name has (a path, ``@``, quotes, spaces);
    absolute uris built from it would read ``http:///...``.
    """
    if not request.host:
        raise ApiError(400, "The Host header must be a host name or address, "
                            "with an optional port")


def warn_if_any_host(app):
    """Log one warning when the app answers to any Host (TODO_TRUSTED_HOSTS unset)."""
    if not app.config["TRUSTED_HOSTS"]:
        app.logger.warning("TODO_TRUSTED_HOSTS is not set: any Host header is accepted and "
                           "shows in task uris; set it to the host names this server answers to")


def vary_on_origin(response):
    """Say Vary: Origin on every response while CORS is on (after_request hook).

    Whether CORS headers are sent depends on the Origin of the request, so a
    cache must not give one origin's response to another. flask-cors says so
    only when several origins are configured, and only when one matched.
    """
    response.vary.add("Origin")
    return response
