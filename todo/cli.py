"""`flask --app todo users ...`: manage the accounts that own task lists."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from todo import usernames
from todo.credentials import hash_password
from todo.store import DuplicateUser, StoreError, open_store
from todo.users import password as password_rule

# AppGroup: each command runs inside the app context, so it sees the app's store.
users_cli = AppGroup("users", help="Add, remove and list the users of the service.")

store_option = click.option(
    "--store", "store_url", metavar="URL", default=None,
    help="Store URL (default: TODO_STORE, else the instance folder's SQLite file).")


def _store(store_url):
    if store_url is None:
        return current_app.extensions["todo.store"]
    try:
        return open_store(store_url)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def _read_password(from_stdin):
    """Read the password, and hold it to the API's rule (8 to 1,024 characters of text)."""
    try:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    except UnicodeDecodeError:
        raise click.ClickException("the password is not text in this terminal's encoding") \
            from None
    if not password:
        raise click.ClickException("the password must not be empty")
    try:
        return password_rule(password)
    except ValueError as exc:
        raise click.ClickException(f"invalid password: {exc}") from None


def _exists(user):
    return click.ClickException(f"user {user!r} exists already")


@users_cli.command("add")
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
@store_option
def add_user(username, password_stdin, store_url):
    """Create a user; asks for the password twice.

    The rules are the API's: the username is 1 to 64 letters, digits, '.', '_'
    or '-', starting with a letter or a digit, unique ignoring case; the
    password 8 to 1,024 characters.
    """
    try:
        name = usernames.check(username)
    except ValueError as exc:
        raise click.ClickException(f"invalid username {username!r}: {exc}") from None
    store = _store(store_url)
    taken = store.get_user(name)
    if taken is not None:   # before asking for a password that could not be used
        raise _exists(taken["username"])
    password = _read_password(password_stdin)
    try:
        store.add_user(name, hash_password(password))
    except DuplicateUser:
        raise _exists(name) from None
    click.echo(f"Added user {name!r}.")


@users_cli.command("remove")
@click.argument("username")
@store_option
def remove_user(username, store_url):
    """Delete a user and all of their tasks (no confirmation); any case of the name will do."""
    store = _store(store_url)
    user = store.get_user(username)
    if user is None or not store.remove_user(user["username"]):
        raise click.ClickException(f"no user {username!r}")
    click.echo(f"Removed user {user['username']!r} and their tasks.")


@users_cli.command("list")
@store_option
def list_users(store_url):
    """Print one username per line."""
    for user in _store(store_url).list_users():
        click.echo(user["username"])
