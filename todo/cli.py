"""`flask --app todo users ...`: manage the accounts that own task lists."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from todo.credentials import hash_password
from todo.store import DuplicateUser, StoreError, open_store

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
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.ClickException("the password must not be empty")
    return password


@users_cli.command("add")
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
@store_option
def add_user(username, password_stdin, store_url):
    """Create a user; asks for the password twice."""
    store = _store(store_url)
    if not username.strip():
        raise click.ClickException("the username must not be empty")
    if store.get_user(username) is not None:
        raise click.ClickException(f"user {username!r} exists already")
    password = _read_password(password_stdin)
    try:
        store.add_user(username, hash_password(password))
    except DuplicateUser:
        raise click.ClickException(f"user {username!r} exists already") from None
    click.echo(f"Added user {username!r}.")


@users_cli.command("remove")
@click.argument("username")
@store_option
def remove_user(username, store_url):
    """Delete a user and all of their tasks (no confirmation)."""
    if not _store(store_url).remove_user(username):
        raise click.ClickException(f"no user {username!r}")
    click.echo(f"Removed user {username!r} and their tasks.")


@users_cli.command("list")
@store_option
def list_users(store_url):
    """Print one username per line."""
    for user in _store(store_url).list_users():
        click.echo(user["username"])
