"""`flask --app todo users ...` and `store ...`: the accounts; backups and moving the store."""

import sys
from urllib.parse import urlsplit, urlunsplit

import click
from flask import current_app
from flask.cli import AppGroup

from todo import usernames
from todo.store import DuplicateUser, StoreError, open_store, transfer
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
        store.add_user(name, current_app.extensions["todo.hashing"].hash(password))
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


# `flask --app todo store ...`: back up, check, and move to another store.
store_cli = AppGroup("store", help="Back up the store, check it, or copy it to another.")


def _shown(url):
    """Return a store URL without its password, fit to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


@store_cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@store_option
def backup_store(file, store_url):
    """Copy the live SQLite database to FILE, a new file, while the service keeps serving.

    A PostgreSQL database is backed up with pg_dump instead.
    """
    try:
        counts = transfer.backup(_store(store_url), file)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {transfer.counted(counts)} to {file}; its integrity check is ok.")


@store_cli.command("copy")
@click.option("--to", "to_url", metavar="URL", required=True,
              help="The empty store to copy into, e.g. postgresql://user:pass@host/db.")
@store_option
def copy_store(to_url, store_url):
    """Copy every user, task and unexpired token to the empty store at URL, keeping ids.

    Stop the servers first: what they write during the copy is not copied.
    """
    if to_url.startswith("memory:"):
        raise click.ClickException("memory:// lives only in this process: copy to a "
                                   "sqlite:/// or postgresql:// URL")
    source = _store(store_url)
    destination = _store(to_url)
    try:
        counts = transfer.copy(source, destination)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        destination.close()
    click.echo(f"Copied {transfer.counted(counts)} to {_shown(to_url)}.")


@store_cli.command("check")
@store_option
def check_store(store_url):
    """Print the schema version, the integrity check's finding and the row counts."""
    try:
        version, problems, counts = transfer.check(_store(store_url))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    schema = f"schema version {version}" if version is not None else "no schema"
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise click.ClickException(f"{schema}; the integrity check fails: {problems[0]}{more}; "
                                   f"{transfer.counted(counts)}")
    integrity = "integrity ok" if problems is not None else "no integrity check for this store"
    click.echo(f"{schema.capitalize()}; {integrity}; {transfer.counted(counts)}.")
