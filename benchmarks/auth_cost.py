"""What authentication costs a request: Basic (cached or not) and Bearer, against a 401.

Runs in one process with Flask's test client (no network, so the figures are the
app's own work), alternating the scenarios round by round and reporting the
median per-request time of each and its ratio to the unauthenticated 401.

    python benchmarks/auth_cost.py [--rounds 5] [--requests 200]
"""

import argparse
import base64
import statistics
import time

from todo import create_app
from todo.credentials import hash_password

PATH = "/todo/api/v1.0/tasks/1"


def basic(username, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def build(cache_ttl):
    # The login throttle does its bookkeeping, but with a limit the 401 rounds never reach.
    app = create_app({"STORE": "memory://", "CREDENTIAL_CACHE_TTL": cache_ttl,
                      "LOGIN_FAILURES": "1000000/minute"})
    store = app.extensions["todo.store"]
    user = store.add_user("miguel", hash_password("python"))   # scrypt, werkzeug's default
    store.add_task(user["id"], "Buy groceries")
    return app


def per_request(client, headers, count, expected):
    start = time.perf_counter()
    for _ in range(count):
        response = client.get(PATH, headers=headers)
    elapsed = time.perf_counter() - start
    assert response.status_code == expected, response.status_code
    return elapsed / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    cached, uncached = build(300).test_client(), build(0).test_client()
    token = cached.post("/todo/api/v1.0/tokens", headers=basic("miguel", "python")).get_json()["token"]
    scenarios = {
        "no credentials (401)": (cached, {}, 401, args.requests),
        "Basic, scrypt, cached": (cached, basic("miguel", "python"), 200, args.requests),
        "Bearer token": (cached, {"Authorization": f"Bearer {token}"}, 200, args.requests),
        # Every request re-derives scrypt: a few suffice to measure it.
        "Basic, scrypt, no cache": (uncached, basic("miguel", "python"), 200,
                                    max(3, args.requests // 50)),
    }
    times = {name: [] for name in scenarios}
    for _ in range(args.rounds):
        for name, (client, headers, status, count) in scenarios.items():
            times[name].append(per_request(client, headers, count, status))
    base = statistics.median(times["no credentials (401)"])
    print(f"{'scenario':<26} {'median µs/request':>18} {'× the 401':>10}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<26} {median * 1e6:>18.0f} {median / base:>10.2f}")


if __name__ == "__main__":
    main()
