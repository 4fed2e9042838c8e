"""Benchmark todo against its plain-Flask twin, the article's code, an earlier commit and itself.

    python -m benchmarks.run                       # about 21 minutes on 2 cores
    python -m benchmarks.run --quick               # a smoke run: 1 round of 1 s per side
    python -m benchmarks.run --stores sqlite --only framework
    python -m benchmarks.run --against main~1 --only framework,article,against --auth Basic
    python -m benchmarks.run --only metrics --stores memory,sqlite

With ``--against REV`` a git worktree of REV is checked out in a temporary
folder, and each store's service from REV and from this working tree are
served side by side: each gunicorn runs with its own tree as cwd and
PYTHONPATH, so each imports its own ``todo`` and its own benchmarks.wsgi.

Servers are gunicorn with 2 sync workers on 127.0.0.1; the load is wrk
(`apt-get install wrk`). The two sides of each comparison are loaded in
alternation (A B A B ...), and the table gives the median of the per-round
ratios, so a noisy shared machine slows both sides alike. PostgreSQL is
measured when its server binaries and psycopg are installed: the benchmark
starts its own server, as the tests do. Every server started is stopped by its
PID; every load is bounded in time, and the worktree is removed at the end.
"""

import argparse
import base64
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.seed import PASSWORD, TOKEN, USERNAME

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = "/todo/api/v1.0/tasks"
BASIC = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
BEARER = f"Bearer {TOKEN}"
AUTHS = {"Basic": BASIC, "Bearer": BEARER}

# name -> (method, path, body)
REQUESTS = {
    "GET one": ("GET", f"{TASKS}/1", None),
    "GET page of 100": ("GET", f"{TASKS}?per_page=100", None),
    "GET page of 50": ("GET", f"{TASKS}?per_page=50", None),
    "PUT": ("PUT", f"{TASKS}/1", '{"done": true}'),
    "POST": ("POST", TASKS, '{"title": "Benchmark task"}'),
}
# What todo must reach against plain Flask, as a throughput ratio.
FRAMEWORK_TARGETS = {"GET one": 0.9, "GET page of 100": 1.1, "PUT": 0.9, "POST": 0.9}
# What PostgreSQL must keep of SQLite's speed, each on one machine with the servers.
STORE_TARGETS = {"GET one": 0.7, "PUT": 0.5, "POST": 0.5}
# What the working tree must keep of an earlier commit's speed (--against).
AGAINST_TARGET = 0.95
# The article has no pages: its list holds as many tasks as todo's page of 100.
ARTICLE_TASKS = 100
PARTS = ("framework", "article", "auth", "stores", "scale", "against", "metrics", "logs")
# The access log (a JSON line per request, to gunicorn's stderr) is priced on its own,
# in part "logs": the twin and the article's code log nothing, and the commits that
# --against is for may not have it.  Elsewhere todo runs with it off.
QUIET = {"TODO_LOG_LEVEL": "WARNING"}
# What metrics on may cost: GET one keeps this much of its speed with metrics off.
METRICS_TARGET = 0.97
# Run with a tree's cwd and PYTHONPATH; each ends by printing which todo it imported.
SEED_SCRIPT = """
import sys, todo
from todo.store import open_store
from benchmarks.seed import seed
store = open_store(sys.argv[1])
seed(store, int(sys.argv[2]))
store.close()
print(todo.__file__)
"""
IMPORT_SCRIPT = "import todo, benchmarks.wsgi; print(todo.__file__)"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn (2 sync workers) serving one of benchmarks.wsgi's apps."""

    def __init__(self, factory, store_url, seed_tasks=0, tree=ROOT, env=None):
        self.port = free_port()
        env = {**tree_env(tree), "TODO_STORE": store_url, "BENCH_SEED_TASKS": str(seed_tasks),
               **(env or {})}
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", f"benchmarks.wsgi:{factory}"],
            cwd=tree, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 300   # memory stores seed 100,000 tasks per worker
        while True:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{factory} did not start: {self.log.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.1)

    def peak_rss_kib(self):
        """The sum of the workers' peak resident memory (VmHWM), in KiB."""
        total = 0
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                                  capture_output=True, text=True).stdout.split()
        for pid in children:
            with open(f"/proc/{pid}/status") as status:
                total += int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1))
        return total

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def tree_env(tree):
    """The environment in which a process imports ``tree``'s todo and benchmarks packages."""
    return {**os.environ, "PYTHONPATH": tree}


def run_in(tree, script, *args):
    """Run a Python ``script`` as ``tree``'s servers run; check it imported that tree's todo."""
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=tree, env=tree_env(tree),
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"in {tree}: {done.stderr[-2000:]}")
    imported = done.stdout.strip()
    if not imported.startswith(os.path.join(tree, "")):
        raise RuntimeError(f"{tree} imported the todo of {imported}")


class Worktree:
    """A detached git worktree of a revision, in a folder of its own until removed."""

    def __init__(self, commit, folder):
        self.commit = commit
        self.path = os.path.join(folder, f"todo-{self.commit}")
        git("worktree", "add", "--detach", self.path, self.commit)
        run_in(self.path, IMPORT_SCRIPT)

    def remove(self):
        """Remove the worktree and git's record of it; warn rather than fail."""
        try:
            git("worktree", "remove", "--force", self.path)
        except subprocess.CalledProcessError as exc:
            print(f"could not remove the worktree {self.path}: {exc.stderr}", flush=True)


def git(*args):
    """Run git in this checkout; return its output."""
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip()


def wrk(port, request, seconds, auth=BASIC, connections=8):
    """Load 127.0.0.1:port with one request for ``seconds``; return (requests/s, p99 ms)."""
    method, path, body = REQUESTS[request]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "{method}"\n')
        if body:
            script.write(f"wrk.body = '{body}'\n")
            script.write('wrk.headers["Content-Type"] = "application/json"\n')
    try:
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
             "--timeout", "10s", "-H", f"Authorization: {auth}", "-s", script.name,
             f"http://127.0.0.1:{port}{path}"],
            capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{request} on port {port}: {errors.group(1)} error responses")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return rps, p99_ms


def compare(a, b, request, rounds, seconds, auth_a=BASIC, auth_b=BASIC):
    """Load A and B in alternation; return (median ratio A/B, median p99 of A, of B)."""
    ratios, p99_a, p99_b = [], [], []
    for _ in range(rounds):
        rps_a, lat_a = wrk(a.port, request, seconds, auth=auth_a)
        rps_b, lat_b = wrk(b.port, request, seconds, auth=auth_b)
        ratios.append(rps_a / rps_b)
        p99_a.append(lat_a)
        p99_b.append(lat_b)
    return statistics.median(ratios), statistics.median(p99_a), statistics.median(p99_b)


class Stores:
    """Makes seeded stores of each kind: (URL, tasks each worker seeds itself)."""

    def __init__(self, folder):
        self.folder = folder
        self.postgres = None

    def available(self, kind):
        """None if stores of ``kind`` can be made here, else why not."""
        if kind != "postgresql":
            return None
        sys.path.insert(0, os.path.join(ROOT, "tests"))
        from postgres_server import why_unavailable
        return why_unavailable()

    def make(self, kind, name, tasks, tree=ROOT):
        """A store seeded by ``tree``'s code: (URL, tasks each worker seeds itself)."""
        if kind == "memory":
            return "memory://", tasks   # not shared by workers: each seeds its own
        if kind == "sqlite":
            url = f"sqlite:///{self.folder}/{name}.sqlite"
        else:
            if self.postgres is None:
                from postgres_server import PostgresServer
                self.postgres = PostgresServer()
            url = self.postgres.create_database(name)
            # The test server runs with synchronous_commit off; the benchmark's commits
            # wait for their WAL write, as a deployment's do.  fsync stays off, as
            # SQLite's synchronous=NORMAL syncs no commit either: both then survive a
            # crash of the database's process, not a power loss.
            import psycopg
            with psycopg.connect(self.postgres.url(), autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = on')
        run_in(tree, SEED_SCRIPT, url, str(tasks))
        return url, 0

    def close(self):
        if self.postgres is not None:
            self.postgres.destroy()


class Table:
    HEAD = ("comparison", "store", "auth", "ratio", "target", "", "p99 ms (A)", "p99 ms (B)",
            "B is")

    def __init__(self):
        self.rows = []

    def add(self, what, store, auth, ratio, target, p99_a, p99_b, versus, lower_is_better=False):
        if target is None:   # measured for information: the issue sets no target
            goal, verdict = "-", ""
        else:
            met = ratio <= target if lower_is_better else ratio >= target
            goal = f"{'≤' if lower_is_better else '≥'} {target}×"
            verdict = "met" if met else "MISSED"
        self.rows.append((what, store, auth, f"{ratio:.2f}×", goal, verdict, p99_a, p99_b,
                          versus))
        print("  " + " | ".join(self.rows[-1]), flush=True)

    def show(self):
        print("\n| " + " | ".join(self.HEAD) + " |")
        print("|" + "---|" * len(self.HEAD))
        for row in self.rows:
            print("| " + " | ".join(row) + " |")


def ms(value):
    return f"{value:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s: a smoke run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--stores", default="memory,sqlite,postgresql")
    parser.add_argument("--only", help=f"comma-separated parts: {','.join(PARTS)}")
    parser.add_argument("--auth", default=",".join(AUTHS),
                        help="the schemes of the twin's rows: Basic,Bearer")
    parser.add_argument("--against", metavar="REV",
                        help="also serve todo from REV beside the working tree (part 'against')")
    args = parser.parse_args()
    rounds, seconds = (1, 1) if args.quick else (args.rounds, args.seconds)
    sizes = (100, 10_000) if args.quick else (100, 10_000, 100_000)
    parts = set(args.only.split(",")) if args.only else set(PARTS) - {"against"}
    if args.against and not args.only:
        parts.add("against")
    if parts - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(parts - set(PARTS)))}")
    if "against" in parts and not args.against:
        parser.error("the part 'against' needs --against REV")
    auths = {name: AUTHS[name] for name in args.auth.split(",") if name in AUTHS}
    if len(auths) != len(args.auth.split(",")):
        parser.error(f"--auth takes some of {','.join(AUTHS)}")
    if "against" in parts:
        try:
            commit = git("rev-parse", "--short", "--verify", f"{args.against}^{{commit}}")
        except subprocess.CalledProcessError:
            parser.error(f"--against {args.against}: no such commit")
    folder = tempfile.mkdtemp(prefix="todo-bench-")
    stores = Stores(folder)
    kinds = []
    for kind in args.stores.split(","):
        why = stores.available(kind)
        if why:
            print(f"{kind}: not measured, {why}", flush=True)
        else:
            kinds.append(kind)
    table = Table()
    started = []
    worktree = None

    def start(factory, url, per_worker, tree=ROOT, env=None):
        server = Server(factory, url, per_worker, tree, {**QUIET, **(env or {})})
        started.append(server)
        # Warm up: each worker's first login derives scrypt once, and imports settle.
        wrk(server.port, "GET one", 1)
        return server

    def stop(server):
        server.stop()
        started.remove(server)

    def stop_all():
        for server in started:
            server.stop()
        started.clear()

    def measure(a, b, request, what, kind, auth, target, versus, auth_b=None):
        ratio, p99_a, p99_b = compare(a, b, request, rounds, seconds, AUTHS[auth],
                                      AUTHS[auth_b or auth])
        table.add(what, kind, auth if auth_b is None else "both", ratio, target, ms(p99_a),
                  ms(p99_b), versus)

    try:
        print(f"{rounds} round(s) of {seconds:g} s per side, gunicorn -w 2, wrk -t2 -c8",
              flush=True)
        if "against" in parts:
            worktree = Worktree(commit, folder)   # now, so that a broken REV fails at once
        get_one = {}
        if parts & {"framework", "article", "stores"}:
            # 1. The project against the plain-Flask twin (same store, same auth) and
            # against the article's code (its list of dicts, its plaintext password).
            for kind in kinds:
                url, per_worker = stores.make(kind, f"vs_{kind}", 1000)
                project = start("project()", url, per_worker)
                get_one[kind] = project
                rivals = []   # (server, name in the rows, the schemes to load it with)
                if "framework" in parts:
                    rivals.append((start("baseline()", url, per_worker), "plain Flask", auths))
                if "article" in parts:
                    rivals.append((start("article()", "memory://", ARTICLE_TASKS), "article",
                                   ["Basic"]))
                # Request by request, so that every POST, which adds tasks, comes last.
                for request, target in FRAMEWORK_TARGETS.items():
                    for rival, name, schemes in rivals:
                        for auth in schemes:
                            measure(project, rival, request, f"{request}: todo / {name}", kind,
                                    auth, target if name == "plain Flask" else None, name)
                for rival, _, _ in rivals:
                    stop(rival)
        if "stores" in parts:
            # 2. The embedded SQL store against the dict store, and PostgreSQL's cost.
            if {"memory", "sqlite"} <= set(get_one):
                measure(get_one["sqlite"], get_one["memory"], "GET one",
                        "GET one: SQLite / memory", "both", "Basic", 0.8, "memory")
            if {"memory", "postgresql"} <= set(get_one):
                measure(get_one["postgresql"], get_one["memory"], "GET one",
                        "GET one: PostgreSQL / memory", "both", "Basic", None, "memory")
            if {"sqlite", "postgresql"} <= set(get_one):
                # POST last: it adds tasks.
                for request, target in STORE_TARGETS.items():
                    measure(get_one["postgresql"], get_one["sqlite"], request,
                            f"{request}: PostgreSQL / SQLite", "both", "Basic", target, "SQLite")
        stop_all()
        if "against" in parts:
            # 3. The working tree against REV, each serving its own todo from its own tree.
            for kind in kinds:
                new = start("project()", *stores.make(kind, f"new_{kind}", 1000))
                old = start("project()", *stores.make(kind, f"old_{kind}", 1000, worktree.path),
                            worktree.path)
                for request in FRAMEWORK_TARGETS:
                    measure(new, old, request, f"{request}: new / old ({worktree.commit})", kind,
                            "Basic", AGAINST_TARGET, f"todo at {worktree.commit}")
                stop_all()
        if "auth" in parts:
            # 4. Strong hashes with the credential cache against plaintext passwords,
            # in todo itself and, for comparison, in the plain-Flask twin.
            url, per_worker = stores.make("memory", "auth", 100)
            project = start("project()", url, per_worker)
            project_plaintext = start("project(plaintext=True)", url, per_worker)
            for request in FRAMEWORK_TARGETS:
                measure(project, project_plaintext, request,
                        f"{request}: todo, scrypt+cache / todo, plaintext", "memory", "Basic",
                        0.9, "plaintext passwords")
            hashed = start("baseline()", url, per_worker)
            plaintext = start("baseline(plaintext=True)", url, per_worker)
            for request in FRAMEWORK_TARGETS:
                measure(hashed, plaintext, request,
                        f"{request}: plain Flask, scrypt+cache / plaintext", "memory", "Basic",
                        0.9, "plaintext passwords")
            # A token: one store lookup, against the cached password check.
            measure(project, project, "GET one", "GET one: todo, Bearer / Basic", "memory",
                    "Bearer", 0.9, "Basic, scrypt+cache", auth_b="Basic")
            stop_all()
        if "scale" in parts:
            # 5. Scale: 10,000 and 100,000 tasks against 100, in every store.
            for kind in kinds:
                small = start("project()", *stores.make(kind, f"small_{kind}", sizes[0]))
                for size in sizes[1:]:
                    large = start("project()", *stores.make(kind, f"tasks{size}_{kind}", size))
                    for request in ("GET one", "GET page of 50"):
                        measure(large, small, request, f"{request}: {size:,} tasks / {sizes[0]}",
                                kind, "Basic", 0.9, f"{sizes[0]} tasks")
                    if kind == "sqlite" and size == sizes[-1]:
                        large_rss, small_rss = large.peak_rss_kib(), small.peak_rss_kib()
                        table.add(f"peak worker RSS: {size:,} tasks / {sizes[0]}", kind, "-",
                                  large_rss / small_rss, 1.2, f"{large_rss // 1024} MiB",
                                  f"{small_rss // 1024} MiB", f"{sizes[0]} tasks",
                                  lower_is_better=True)
                    stop(large)
                stop_all()
        if "metrics" in parts:
            # 6. Metrics on (multiprocess mode, as the README sets gunicorn up) against off.
            for kind in kinds:
                url, per_worker = stores.make(kind, f"metrics_{kind}", 1000)
                multiproc = os.path.join(folder, f"prometheus_{kind}")
                os.mkdir(multiproc)
                on = start("project()", url, per_worker, env={
                    "TODO_METRICS": "1", "PROMETHEUS_MULTIPROC_DIR": multiproc})
                off = start("project()", url, per_worker)
                measure(on, off, "GET one", "GET one: metrics on / off", kind, "Basic",
                        METRICS_TARGET, "metrics off")
                stop_all()
        if "logs" in parts:
            # 7. The access log on (the default) against off, for information.
            for kind in kinds:
                url, per_worker = stores.make(kind, f"logs_{kind}", 1000)
                on = start("project()", url, per_worker, env={"TODO_LOG_LEVEL": "INFO"})
                off = start("project()", url, per_worker)
                for request in ("GET one", "PUT"):
                    measure(on, off, request, f"{request}: access log on / off", kind, "Basic",
                            None, "access log off")
                stop_all()
    finally:
        stop_all()
        stores.close()
        if worktree is not None:
            worktree.remove()
        shutil.rmtree(folder, ignore_errors=True)   # the SQLite files: up to 100,000 tasks
    table.show()


if __name__ == "__main__":
    main()
