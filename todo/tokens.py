"""The tokens resource: trade a password for a short-lived bearer token, or revoke one."""

from flask import current_app

from todo.auth import basic_auth, bearer_token, current_user, password_required, token_auth
from todo.credentials import new_token, token_hash
from todo.resources import StoreResource


class TokenAPI(StoreResource):
    """POST with Basic credentials for a token; DELETE with the token to revoke it."""

    decorators = []   # each method names the authentication it takes

    @basic_auth.login_required
    @password_required   # a token must not mint tokens: that would make it live for ever
    def post(self):
        token, digest = new_token()
        ttl = current_app.config["TOKEN_TTL"]
        now = current_app.extensions["todo.clock"]()
        self.store.add_token(current_user()["id"], digest, now + ttl, now)
        return {"token": token, "expires_in": ttl}

    @token_auth.login_required
    def delete(self):
        self.store.delete_token(token_hash(bearer_token()))
        return {"result": True}
