"""The SQL store both database backends share: one implementation, and their dialects."""

from dataclasses import dataclass

from todo import usernames
from todo.store import ordering
from todo.store.base import (DEFAULT_SORT, MAX_ID, TASK_CHANGES, DuplicateUser,
                             NoSuchNeighbour, NoSuchUser, StoreConfigError, TaskStore,
                             VersionMismatch, storable)

# How many groups of clashing usernames a failed migration names (one line, bounded).
_CLASHES_SHOWN = 10
# A task's order is kept in the column position (ORDER is a word of SQL's own).
TASK_COLUMNS = "id, title, description, done, version, position"
COLUMN_OF = {"order": "position"}
# The texts a dialect with stored_keys keeps lowered beside them, as <name>_key.
KEYED_TEXTS = ("title", "description")
KEY_COLUMNS = "".join(f", {name}_key" for name in KEYED_TEXTS)
# What _refused_by() answers: which constraint refused a statement.
UNIQUE, FOREIGN_KEY = "unique", "foreign key"


@dataclass(frozen=True)
class Dialect:
    """How a database spells what the task queries need."""

    param: str          # the placeholder of a parameter
    lowered_title: str  # a task's title lowered as Python's str.lower lowers the input
    title_order: str    # the indexed expression of titles: lowered, in code-point order
    # contains(needle) -> (SQL, parameters): tasks whose lowered title or description
    # contains the lowered needle, through the database's own text index where it has one.
    contains: object
    no_limit: object = None  # the LIMIT that means all rows
    # What makes a move's transaction the only one moving tasks of a list (its user's
    # row, locked), where BEGIN does not already serialise every writer; None there.
    lock_list: str = None
    # True: tasks keep their lowered texts in columns of their own (title_key,
    # description_key), which the store writes beside the texts, so that the indexes
    # on them need no function of the app's own in the schema.
    stored_keys: bool = False


class Statements:
    """The store's fixed SQL in one dialect, spelled once, so every call sends the same text.

    The drivers cache statements by their text (sqlite3's statement cache,
    psycopg's prepared statements), so none of these is built per call.
    """

    def __init__(self, dialect):
        p = dialect.param
        user = "SELECT id, username, password_hash FROM users"
        self.add_user = ("INSERT INTO users (username, username_key, password_hash) "
                         f"VALUES ({p}, {p}, {p}) RETURNING id")
        self.user_by_key = f"{user} WHERE username_key = {p}"
        self.user_by_id = f"{user} WHERE id = {p}"
        self.users = f"{user} ORDER BY id"
        self.count_users = "SELECT count(*) FROM users"
        self.set_password_hash = f"UPDATE users SET password_hash = {p} WHERE id = {p}"
        self.revoke_tokens = f"DELETE FROM tokens WHERE user_id = {p}"
        # ON DELETE CASCADE takes the user's tasks and tokens along.
        self.remove_user = f"DELETE FROM users WHERE username_key = {p}"
        self.forget_expired_tokens = f"DELETE FROM tokens WHERE expires_at <= {p}"
        self.add_token = ("INSERT INTO tokens (token_hash, user_id, expires_at) "
                          f"VALUES ({p}, {p}, {p})")
        self.token_user = ("SELECT u.id, u.username, u.password_hash FROM tokens t "
                           "JOIN users u ON u.id = t.user_id "
                           f"WHERE t.token_hash = {p} AND t.expires_at > {p}")
        self.delete_token = f"DELETE FROM tokens WHERE token_hash = {p}"
        # Kept by triggers, so that no count of a whole list, or of its done or
        # undone tasks, is counted row by row.
        self.task_counts = f"SELECT task_count, done_count FROM users WHERE id = {p}"
        self.task = f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = {p} AND user_id = {p}"
        self.task_version = f"SELECT version FROM tasks WHERE id = {p} AND user_id = {p}"
        keys, keyed = (KEY_COLUMNS, len(KEYED_TEXTS)) if dialect.stored_keys else ("", 0)
        # Without an order given, the task goes last: GAP above the list's highest order
        # (read through tasks_by_position), or the top of the range (ordering.next_order).
        top, gap = ordering.MAX_ORDER, ordering.GAP
        last = (f"(SELECT CASE WHEN max(position) IS NULL THEN {gap} "
                f"WHEN max(position) > {top - gap} THEN {top} ELSE max(position) + {gap} END "
                f"FROM tasks WHERE user_id = {p})")
        self.add_task = (f"INSERT INTO tasks (user_id, title, description, done, position{keys}) "
                         f"VALUES ({p}, {p}, {p}, {p}, coalesce({p}, {last})"
                         f"{f', {p}' * keyed}) RETURNING id, position")
        # The tasks on either side of a spot (a move's neighbours), nearest first.
        near = ("SELECT position, id FROM tasks WHERE user_id = {p} AND id <> {p} "
                "AND (position, id) {op} ({p}, {p}) ORDER BY {order} LIMIT {p}")
        self.tasks_below = {op: near.format(p=p, op=op, order="position DESC, id DESC")
                            for op in ("<", "<=")}
        self.tasks_above = {op: near.format(p=p, op=op, order="position, id")
                            for op in (">", ">=")}
        self.set_position = (f"UPDATE tasks SET position = {p}, version = version + 1 "
                             f"WHERE id = {p} AND user_id = {p}")
        self.delete_tasks = f"DELETE FROM tasks WHERE user_id = {p}"
        self.delete_task = f"DELETE FROM tasks WHERE id = {p} AND user_id = {p}"


def task_filter(dialect, user_id, done=None, startswith=None, q=None):
    """Return (WHERE clause, parameters) selecting one user's matching tasks."""
    p = dialect.param
    where, params = [f"user_id = {p}"], [user_id]
    if done is not None:
        where.append(f"done = {p}")
        params.append(done)
    if startswith:
        # Compared as a lowered prefix rather than with LIKE: no wildcards to escape;
        # the range on the indexed title key lets the title index find the candidates.
        prefix, key = startswith.lower(), dialect.title_order
        where.append(f"substr({dialect.lowered_title}, 1, {p}) = {p} AND {key} >= {p}")
        params += [len(prefix), prefix, prefix]
        end = prefix_end(prefix)
        if end is not None:
            where.append(f"{key} < {p}")
            params.append(end)
    if q:
        sql, search_params = dialect.contains(q.lower())
        where.append(sql)
        params += search_params
    return " AND ".join(where), params


def prefix_end(prefix):
    """Return the least string above every string that starts with ``prefix``, or None.

    Code-point order, as SQLite's BINARY and PostgreSQL's "C" collations compare
    UTF-8; surrogates, which no stored text holds, are skipped.
    """
    while prefix:
        last = ord(prefix[-1]) + 1
        if last <= 0x10FFFF:
            return prefix[:-1] + chr(0xE000 if 0xD800 <= last <= 0xDFFF else last)
        prefix = prefix[:-1]
    return None


def task_order(dialect, sort, backwards=False):
    """Return the ORDER BY clause of (key, descending) pairs, id breaking ties (``backwards``: reversed)."""
    columns = {"id": "id", "title": dialect.title_order, "done": "done", **COLUMN_OF}
    terms = [columns[key] + (" DESC" if descending != backwards else "")
             for key, descending in sort]
    if not any(key == "id" for key, _ in sort):
        terms.append("id DESC" if backwards else "id")
    return ", ".join(terms)


def _task(row):
    # bool(): SQLite keeps done as an integer.
    return {"id": row[0], "title": row[1], "description": row[2], "done": bool(row[3]),
            "order": row[5], "version": row[4]}


def _user(row):
    return {"id": row[0], "username": row[1], "password_hash": row[2]}


class SQLStore(TaskStore):
    """The store contract in SQL; a subclass says how its database connects and fails.

    A subclass sets ``dialect`` (a Dialect) and ``integrity_error`` (its driver's
    exception for a statement a constraint refused), and provides:

    - ``_query(sql, params)``: the rows of one statement, in a transaction of its own;
    - ``_transaction(work, snapshot=False)``: ``work(db)`` in one write transaction
      (with ``snapshot``, one read-only snapshot) and its result, where ``db.execute``
      returns a DB-API cursor;
    - ``_refused_by(exc)``: UNIQUE, FOREIGN_KEY or None, for an ``integrity_error``.

    The first two turn an outage into StoreUnavailable.  A subclass whose
    transactions cost round trips overrides ``_write`` to run a lone statement
    without one.
    """

    dialect = None
    integrity_error = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.sql = Statements(cls.dialect)

    def _write(self, sql, params=()):
        """Run one statement that changes rows, atomic on its own: (its rows, its rowcount)."""
        def write(db):
            cur = db.execute(sql, params)
            return (cur.fetchall() if cur.description else []), cur.rowcount
        return self._transaction(write)

    # -- users ---------------------------------------------------------------

    def add_user(self, username, password_hash):
        """Create a user under the normalised name and return it."""
        if not storable(username):
            raise ValueError("a username must be text without NUL or lone surrogates")
        name = usernames.normalize(username)

        def add(db):
            try:
                row = db.execute(self.sql.add_user,
                                 (name, usernames.key(name), password_hash)).fetchone()
            except self.integrity_error as exc:
                if self._refused_by(exc) != UNIQUE:
                    raise
                raise DuplicateUser(name) from None
            return {"id": row[0], "username": name, "password_hash": password_hash}
        return self._transaction(add)

    def get_user(self, username):
        """Return the user whose name has the same key as ``username``, or None."""
        if not storable(username):
            return None
        rows = self._query(self.sql.user_by_key, (usernames.key(username),))
        return _user(rows[0]) if rows else None

    def get_user_by_id(self, user_id):
        """Return the user with this id, or None."""
        rows = self._query(self.sql.user_by_id, (user_id,))
        return _user(rows[0]) if rows else None

    def set_password_hash(self, user_id, password_hash):
        """Replace a user's password hash and revoke all their tokens; False if no such user."""
        def change(db):
            changed = db.execute(self.sql.set_password_hash,
                                 (password_hash, user_id)).rowcount > 0
            db.execute(self.sql.revoke_tokens, (user_id,))
            return changed
        return self._transaction(change)

    def remove_user(self, username):
        """Delete the user whose name has the same key, with all their tasks and tokens."""
        if not storable(username):
            return False
        return self._transaction(lambda db: db.execute(
            self.sql.remove_user, (usernames.key(username),)).rowcount > 0)

    def list_users(self):
        """Return all users, in id order."""
        return [_user(row) for row in self._query(self.sql.users)]

    def count_users(self):
        """Return how many users there are."""
        return self._query(self.sql.count_users)[0][0]

    # -- tokens --------------------------------------------------------------

    def add_token(self, user_id, token_hash, expires_at, now):
        """Record a user's token, valid until ``expires_at``; forget those expired by ``now``."""
        def add(db):
            db.execute(self.sql.forget_expired_tokens, (now,))
            try:
                db.execute(self.sql.add_token, (token_hash, user_id, expires_at))
            except self.integrity_error as exc:
                # The account was deleted while this request ran.
                if self._refused_by(exc) != FOREIGN_KEY:
                    raise
                raise NoSuchUser(user_id) from None
        self._transaction(add)

    def get_token_user(self, token_hash, now):
        """Return the user a token belongs to if it has not expired by ``now``, else None."""
        rows = self._query(self.sql.token_user, (token_hash, now))
        return _user(rows[0]) if rows else None

    def delete_token(self, token_hash):
        """Revoke a token; return False if there was no such token."""
        return self._transaction(lambda db: db.execute(
            self.sql.delete_token, (token_hash,)).rowcount > 0)

    # -- tasks ---------------------------------------------------------------

    def find_tasks(self, user_id, *, done=None, startswith=None, q=None, sort=DEFAULT_SORT,
                   offset=0, limit=100):
        """Return (one page of the user's matching tasks, how many match in all)."""
        dialect = self.dialect
        where, params = task_filter(dialect, user_id, done, startswith, q)
        p = dialect.param

        def find(db):
            if not startswith and not q:
                # The whole list, or its done or undone part: counts kept by triggers.
                counts = db.execute(self.sql.task_counts, (user_id,)).fetchone() or (0, 0)
                total = counts[0] if done is None else counts[1] if done else counts[0] - counts[1]
            else:
                total = db.execute(f"SELECT count(*) FROM tasks WHERE {where}",
                                   params).fetchone()[0]
            page_offset, page_limit, backwards = offset, limit, False
            if limit is not None and offset * 2 > total:
                # Past the middle, a page is nearer the end: read it from there in
                # reverse order, so that the last page costs what the first does.
                page_limit = min(limit, total - offset)
                if page_limit <= 0:
                    return [], total
                page_offset, backwards = total - offset - page_limit, True
            rows = db.execute(
                f"SELECT {TASK_COLUMNS} FROM tasks WHERE {where} "
                f"ORDER BY {task_order(dialect, sort, backwards)} LIMIT {p} OFFSET {p}",
                (*params, dialect.no_limit if page_limit is None else page_limit,
                 page_offset)).fetchall()
            if backwards:
                rows.reverse()
            return [_task(row) for row in rows], total
        # One snapshot: the page and the count agree.
        return self._transaction(find, snapshot=True)

    def get_task(self, user_id, task_id):
        """Return the user's task with this id, or None."""
        if not 0 <= task_id <= MAX_ID:
            return None
        rows = self._query(self.sql.task, (task_id, user_id))
        return _task(rows[0]) if rows else None

    def _keys(self, texts):
        """The lowered copies of ``texts``' title and description that a row keeps beside
        them ({"title_key": ...}), where the dialect stores them; else {}."""
        if not self.dialect.stored_keys:
            return {}
        return {f"{name}_key": texts[name].lower() for name in KEYED_TEXTS if name in texts}

    def add_task(self, user_id, title, description="", done=False, order=None):
        """Create a task for the user and return it; raise NoSuchUser if there is no such user."""
        try:
            rows, _ = self._write(self.sql.add_task,
                                  (user_id, title, description, done, order, user_id,
                                   *self._keys({"title": title,
                                                "description": description}).values()))
        except self.integrity_error as exc:
            if self._refused_by(exc) != FOREIGN_KEY:
                raise
            raise NoSuchUser(user_id) from None
        return {"id": rows[0][0], "title": title, "description": description,
                "done": bool(done), "order": rows[0][1], "version": 1}

    def update_task(self, user_id, task_id, changes, versions=None):
        """Apply ``changes`` (a subset of TASK_CHANGES) and return the task, or None."""
        unknown = set(changes) - TASK_CHANGES
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        if not 0 <= task_id <= MAX_ID:
            return None
        p = self.dialect.param
        values = {COLUMN_OF.get(name, name): value
                  for name, value in {**changes, **self._keys(changes)}.items()}
        # Column names come from TASK_CHANGES (and their keys) only, never from the caller.
        columns = sorted(values)
        assignments = "".join(f"{c} = {p}, " for c in columns)
        required, required_params = self._versions_clause(versions)
        rows, _ = self._write(
            f"UPDATE tasks SET {assignments}version = version + 1 "
            f"WHERE id = {p} AND user_id = {p}{required} RETURNING {TASK_COLUMNS}",
            (*(values[c] for c in columns), task_id, user_id, *required_params))
        if rows:
            return _task(rows[0])
        self._refuse_if_exists(user_id, task_id, versions)
        return None

    def delete_task(self, user_id, task_id, versions=None):
        """Delete the user's task; return False if there was no such task."""
        if not 0 <= task_id <= MAX_ID:
            return False
        required, required_params = self._versions_clause(versions)
        _, deleted = self._write(self.sql.delete_task + required,
                                 (task_id, user_id, *required_params))
        if deleted:
            return True
        self._refuse_if_exists(user_id, task_id, versions)
        return False

    def move_task(self, user_id, task_id, *, before=None, after=None, versions=None):
        """Put the task just before ``before`` or just after ``after``; return it, or None."""
        side, other_id = ("before", before) if before is not None else ("after", after)
        if not 0 <= task_id <= MAX_ID:
            return None
        sql = self.sql

        def move(db):
            if self.dialect.lock_list:
                db.execute(self.dialect.lock_list, (user_id,))
            row = db.execute(sql.task, (task_id, user_id)).fetchone()
            if row is None:
                return None
            task = _task(row)
            if versions is not None and task["version"] not in versions:
                raise VersionMismatch(task_id)
            row = db.execute(sql.task, (other_id, user_id)).fetchone() \
                if 0 <= other_id <= MAX_ID else None
            if row is None:
                raise NoSuchNeighbour(side, other_id)
            other = _task(row)
            spot = (other["order"], other["id"])
            if other_id == task_id:
                return task   # next to itself: where it is
            # After a task: it is the nearest below the spot; before one, the nearest above.
            below = sql.tasks_below["<=" if side == "after" else "<"]
            above = sql.tasks_above[">" if side == "after" else ">="]

            def neighbours(where, limit):
                statement = below if where == ordering.BELOW else above
                return [tuple(key) for key in db.execute(
                    statement, (user_id, task_id, *spot, limit)).fetchall()]
            plan = ordering.plan_move((task["order"], task_id), neighbours)
            for moved_id, position in plan:
                db.execute(sql.set_position, (position, moved_id, user_id))
            return _task(db.execute(sql.task, (task_id, user_id)).fetchone()) if plan else task
        return self._transaction(move)

    def delete_tasks(self, user_id):
        """Delete every task of the user's; return how many there were."""
        return self._write(self.sql.delete_tasks, (user_id,))[1]

    def _versions_clause(self, versions):
        """Return (the WHERE terms, their parameters) keeping a task only at one of ``versions``.

        The check and the write are then one statement, so one atomic step with no
        transaction around them; None requires no version.
        """
        if versions is None:
            return "", ()
        # A version outside the column's range matches no task (and must not reach the database).
        versions = tuple(v for v in versions if 0 <= v <= MAX_ID)
        if not versions:
            return " AND false", ()
        return f" AND version IN ({', '.join([self.dialect.param] * len(versions))})", versions

    def _refuse_if_exists(self, user_id, task_id, versions):
        """After a write with required versions changed nothing: VersionMismatch if the task exists."""
        if versions is not None and self._query(self.sql.task_version, (task_id, user_id)):
            raise VersionMismatch(task_id)

    # -- backups and moving stores (todo.store.transfer) ----------------------
    # A subclass says how its database reads (_ids_used) and raises (_raise_ids)
    # the highest id each table has handed out, and what an INSERT needs to keep
    # the ids it is given (keep_ids).
    keep_ids = ""

    def export_rows(self, now):
        """Return all users, tasks, tokens unexpired by ``now`` and the ids used, in one snapshot."""
        p = self.dialect.param

        def export(db):
            users = [{"id": i, "username": name, "password_hash": password_hash}
                     for i, name, password_hash in db.execute(
                         "SELECT id, username, password_hash FROM users ORDER BY id").fetchall()]
            tasks = [{"id": row[0], "user_id": row[1], "title": row[2], "description": row[3],
                      "done": bool(row[4]), "version": row[5], "order": row[6]}
                     for row in db.execute("SELECT id, user_id, title, description, done, "
                                           "version, position FROM tasks ORDER BY id").fetchall()]
            tokens = [{"token_hash": token_hash, "user_id": user_id, "expires_at": expires_at}
                      for token_hash, user_id, expires_at in db.execute(
                          "SELECT token_hash, user_id, expires_at FROM tokens "
                          f"WHERE expires_at > {p} ORDER BY token_hash", (now,)).fetchall()]
            return {"users": users, "tasks": tasks, "tokens": tokens,
                    "ids": self._ids_in_use(db)}
        return self._transaction(export, snapshot=True)

    def import_rows(self, rows):
        """Insert ``export_rows()``'s rows, keeping their ids, into this empty store in one step."""
        p = self.dialect.param

        def load(db):
            held = self._row_counts_in(db)
            if any(held.values()):
                raise StoreConfigError("the destination holds data already (users: "
                                       f"{held['users']}, tasks: {held['tasks']}): copy only "
                                       "into an empty store")
            ids = self._ids_in_use(db)
            db.executemany(
                f"INSERT INTO users (id, username, username_key, password_hash){self.keep_ids} "
                f"VALUES ({p}, {p}, {p}, {p})",
                [(u["id"], u["username"], usernames.key(u["username"]), u["password_hash"])
                 for u in rows["users"]])
            keys, keyed = (KEY_COLUMNS, len(KEYED_TEXTS)) if self.dialect.stored_keys else ("", 0)
            db.executemany(
                f"INSERT INTO tasks (id, user_id, title, description, done, version, "
                f"position{keys}){self.keep_ids} VALUES ({', '.join([p] * (7 + keyed))})",
                [(t["id"], t["user_id"], t["title"], t["description"], t["done"], t["version"],
                  t["order"], *self._keys(t).values())
                 for t in rows["tasks"]])
            db.executemany(f"INSERT INTO tokens (token_hash, user_id, expires_at) "
                           f"VALUES ({p}, {p}, {p})",
                           [(t["token_hash"], t["user_id"], t["expires_at"])
                            for t in rows["tokens"]])
            # Above the source's ids, deleted ones included, and above any this
            # database handed out before: an id never names two tasks.
            self._raise_ids(db, {table: max(ids[table], rows["ids"][table],
                                            *(row["id"] for row in rows[table]))
                                 for table in ("users", "tasks")})
        self._transaction(load)

    def row_counts(self):
        """Return how many users, tasks and tokens the store holds, by those names."""
        return self._transaction(self._row_counts_in, snapshot=True)

    @staticmethod
    def _row_counts_in(db):
        """Inside a transaction: how many users, tasks and tokens there are."""
        row = db.execute("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM tasks), "
                         "(SELECT count(*) FROM tokens)").fetchone()
        return dict(zip(("users", "tasks", "tokens"), row))

    def _ids_in_use(self, db):
        """Inside a transaction: the highest id each table has handed out, or holds."""
        used = self._ids_used(db)
        for table in ("users", "tasks"):
            held = db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            used[table] = max(used.get(table) or 0, held)
        return used


def migrate(conn, current, target, migrations, run_script, record):
    """Move a database from schema version ``current`` to ``target``, recording each step.

    A step of ``migrations`` is SQL, given to ``run_script(conn, sql)``, or a
    function of the connection; ``record(conn, version)`` notes each new version.
    """
    if current > target:
        raise StoreConfigError(f"database schema version {current} is newer than this "
                               f"program's ({target})")
    for version in range(current, target):
        step = migrations[version]
        if callable(step):
            step(conn)
        else:
            run_script(conn, step)
        record(conn, version + 1)


def keyed_usernames(rows):
    """For the migration to case-insensitive names: (normalised name, key, id) of each row.

    ``rows`` are (id, username) pairs.  Names that share a key cannot all stay
    accounts of their own, and which one to keep is the operator's choice: they
    are named in a StoreConfigError, and the migration changes nothing.
    """
    by_key = {}
    for _, name in rows:
        by_key.setdefault(usernames.key(name), []).append(name)
    clashes = [names for names in by_key.values() if len(names) > 1]
    if clashes:
        shown = "; ".join(", ".join(repr(name) for name in names)
                          for names in clashes[:_CLASHES_SHOWN])
        if len(clashes) > _CLASHES_SHOWN:
            shown += f"; and {len(clashes) - _CLASHES_SHOWN} more groups"
        raise StoreConfigError(
            "usernames must now differ in more than case or width, and these do not: "
            f"{shown}. Nothing was changed: rename or delete all but one of each "
            "(with the previous release, or in the database), then start again")
    return [(usernames.normalize(name), usernames.key(name), user_id) for user_id, name in rows]
