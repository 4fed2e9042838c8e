"""Benchmark todo against the same API hand-written in plain Flask, and against itself at scale.

    python -m benchmarks.run            # about ten minutes on 2 cores
    python -m benchmarks.run --quick    # a smoke run

Servers are gunicorn with 2 sync workers on 127.0.0.1; the load is wrk
(`apt-get install wrk`). The two sides of each comparison are loaded in
alternation (A B A B ...), and the table gives the median of the per-round
ratios, so a noisy shared machine slows both sides alike. Every server started
is stopped by its PID; every load is bounded in time.
"""

import argparse
import base64
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from todo.store import open_store

from benchmarks.seed import PASSWORD, USERNAME, seed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = "/todo/api/v1.0/tasks"
AUTH = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()

# name -> (method, path, body)
REQUESTS = {
    "GET one": ("GET", f"{TASKS}/1", None),
    "GET page of 100": ("GET", f"{TASKS}?per_page=100", None),
    "GET page of 50": ("GET", f"{TASKS}?per_page=50", None),
    "PUT": ("PUT", f"{TASKS}/1", '{"done": true}'),
    "POST": ("POST", TASKS, '{"title": "Benchmark task"}'),
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn (2 sync workers) serving one of benchmarks.wsgi's apps."""

    def __init__(self, factory, store_url, seed_tasks=0):
        self.port = free_port()
        env = {**os.environ, "TODO_STORE": store_url, "BENCH_SEED_TASKS": str(seed_tasks)}
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", f"benchmarks.wsgi:{factory}"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{factory} did not start: {self.log.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
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


def wrk(port, request, seconds, connections=8, auth=AUTH):
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


def compare(a, b, request, rounds, seconds, auth_a=AUTH, auth_b=AUTH):
    """Load A and B in alternation; return (median ratio A/B, median p99 of A, of B)."""
    ratios, p99_a, p99_b = [], [], []
    for _ in range(rounds):
        rps_a, lat_a = wrk(a.port, request, seconds, auth=auth_a)
        rps_b, lat_b = wrk(b.port, request, seconds, auth=auth_b)
        ratios.append(rps_a / rps_b)
        p99_a.append(lat_a)
        p99_b.append(lat_b)
    return statistics.median(ratios), statistics.median(p99_a), statistics.median(p99_b)


def bearer_token(port):
    """Ask a todo server for a bearer token."""
    import json
    import urllib.request
    request = urllib.request.Request(f"http://127.0.0.1:{port}/todo/api/v1.0/tokens",
                                     method="POST", headers={"Authorization": AUTH})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


def store_url(kind, folder, name, tasks):
    """A store of ``kind`` holding miguel and ``tasks`` tasks; (URL, tasks to seed per worker)."""
    if kind == "memory":
        return "memory://", tasks
    url = f"sqlite:///{folder}/{name}.sqlite"
    store = open_store(url)
    seed(store, tasks)
    store.close()
    return url, 0


class Table:
    def __init__(self):
        self.rows = []

    def add(self, what, store, ratio, target, p99_a, p99_b, versus):
        verdict = "met" if ratio >= target else "MISSED"
        self.rows.append((what, store, f"{ratio:.2f}×", f"≥ {target}×", verdict,
                          f"{p99_a:.1f}", f"{p99_b:.1f}", versus))
        print("  " + " | ".join(self.rows[-1]), flush=True)

    def show(self):
        head = ("comparison", "store", "ratio", "target", "", "p99 ms (A)", "p99 ms (B)", "B is")
        print("\n| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for row in self.rows:
            print("| " + " | ".join(row) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s: a smoke run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--stores", default="memory,sqlite")
    args = parser.parse_args()
    rounds, seconds = (1, 1) if args.quick else (args.rounds, args.seconds)
    sizes = (100, 10_000) if args.quick else (100, 10_000, 100_000)
    stores = args.stores.split(",")
    table = Table()
    folder = tempfile.mkdtemp(prefix="todo-bench-")
    started = []

    def start(*server_args):
        server = Server(*server_args)
        started.append(server)
        # Warm up: each worker's first login derives scrypt once, and imports settle.
        wrk(server.port, "GET one", 1)
        return server

    try:
        print(f"{rounds} round(s) of {seconds:g} s per side, gunicorn -w 2, wrk -t2 -c8", flush=True)
        # 1. The project against the plain-Flask baseline, same store, same auth.
        get_one = {}
        for kind in stores:
            url, per_worker = store_url(kind, folder, f"vs-{kind}", 1000)
            project, baseline = start("project()", url, per_worker), start("baseline()", url, per_worker)
            for request, target in (("GET one", 0.9), ("GET page of 100", 1.1), ("PUT", 0.9),
                                    ("POST", 0.9)):
                ratio, p99_a, p99_b = compare(project, baseline, request, rounds, seconds)
                table.add(f"{request}: todo / plain Flask", kind, ratio, target, p99_a, p99_b,
                          "plain Flask")
            get_one[kind] = project
        # 2. Strong hashes with the credential cache against plaintext passwords.
        url, per_worker = store_url("memory", folder, "auth", 100)
        project, plaintext = start("project()", url, per_worker), \
            start("baseline(plaintext=True)", url, per_worker)
        ratio, p99_a, p99_b = compare(project, plaintext, "GET one", rounds, seconds)
        table.add("GET one: todo, scrypt+cache / plain Flask, plaintext", "memory", ratio, 0.9,
                  p99_a, p99_b, "plaintext passwords")
        # The cache alone: the same plain-Flask app with scrypt hashes or plaintext.
        hashed = start("baseline()", url, per_worker)
        ratio, p99_a, p99_b = compare(hashed, plaintext, "GET one", rounds, seconds)
        table.add("GET one: plain Flask, scrypt+cache / plaintext", "memory", ratio, 0.9,
                  p99_a, p99_b, "plaintext passwords")
        # Tokens: one store lookup instead of the cached password check. On SQLite,
        # because a memory store's token would be known to one worker only.
        if "sqlite" in get_one:
            sqlite = get_one["sqlite"]
            ratio, p99_a, p99_b = compare(sqlite, sqlite, "GET one", rounds, seconds,
                                          auth_a=f"Bearer {bearer_token(sqlite.port)}")
            table.add("GET one: todo, Bearer token / Basic", "sqlite", ratio, 0.9, p99_a, p99_b,
                      "Basic, scrypt+cache")
        # 3. SQLite against memory.
        if {"memory", "sqlite"} <= set(stores):
            ratio, p99_a, p99_b = compare(get_one["sqlite"], get_one["memory"], "GET one",
                                          rounds, seconds)
            table.add("GET one: SQLite / memory", "both", ratio, 0.8, p99_a, p99_b, "memory")
        for server in started:
            server.stop()
        started.clear()
        # 4. Scale: 10,000 and 100,000 tasks against 100.
        for kind in stores:
            small_url, small_seed = store_url(kind, folder, f"small-{kind}", sizes[0])
            small = start("project()", small_url, small_seed)
            for size in sizes[1:]:
                url, per_worker = store_url(kind, folder, f"{size}-{kind}", size)
                large = start("project()", url, per_worker)
                for request in ("GET one", "GET page of 50"):
                    ratio, p99_a, p99_b = compare(large, small, request, rounds, seconds)
                    table.add(f"{request}: {size:,} tasks / {sizes[0]}", kind, ratio, 0.9,
                              p99_a, p99_b, f"{sizes[0]} tasks")
                if kind == "sqlite" and size == sizes[-1]:
                    ratio = large.peak_rss_kib() / small.peak_rss_kib()
                    # Memory: lower is better, so the row shows the inverse against 1/1.2.
                    table.rows.append((f"peak worker RSS: {size:,} tasks / {sizes[0]}",
                                       "sqlite", f"{ratio:.2f}×", "≤ 1.2×",
                                       "met" if ratio <= 1.2 else "MISSED",
                                       f"{large.peak_rss_kib() // 1024} MiB",
                                       f"{small.peak_rss_kib() // 1024} MiB", f"{sizes[0]} tasks"))
                    print("  " + " | ".join(table.rows[-1]), flush=True)
                large.stop()
                started.remove(large)
            small.stop()
            started.remove(small)
    finally:
        for server in started:
            server.stop()
    table.show()


if __name__ == "__main__":
    main()
