"""How many rows a move writes: POST /tasks/<id>/move's cost, counted in the store.

    python -m benchmarks.moves                 # memory store, lists of 1,000 to 10,000
    python -m benchmarks.moves --store sqlite  # the same on a SQLite file

Each pattern makes 400 moves in one list and counts the tasks whose version each move
changed (a store bumps a task's version whenever it writes its row). Prints the most
rows one move wrote and the mean, per pattern and list length: the README's claim is
that neither grows with the list.
"""

import argparse
import os
import random
import statistics
import tempfile

from todo.store import open_store

MOVES = 400
LENGTHS = (1_000, 3_000, 10_000)


def random_moves(ids, rnd):
    """A random task to just after another random task."""
    while True:
        moved, other = rnd.sample(ids, 2)
        yield moved, other


def crowd(movers):
    """Tasks taken from the first ``movers``, each put just after the one in the middle:
    the gap there is halved again and again, the worst case for sparse orders."""
    def pattern(ids, rnd):
        fixed = ids[len(ids) // 2]
        pool = [i for i in ids[:movers] if i != fixed]
        while True:
            yield rnd.choice(pool), fixed
    return pattern


PATTERNS = {
    "a random task to a random spot": random_moves,
    "50 tasks crowded into one spot": crowd(50),
    "200 tasks crowded into one spot": crowd(200),
}


def versions(store, user_id):
    tasks, _ = store.find_tasks(user_id, limit=None)
    return {task["id"]: task["version"] for task in tasks}


def rows_per_move(url, length, pattern, seed=1):
    """Return [rows written by each of MOVES moves] in a new list of ``length`` tasks."""
    store = open_store(url)
    try:
        user_id = store.add_user("mover", "not-a-hash")["id"]
        ids = [store.add_task(user_id, f"task {n}")["id"] for n in range(length)]
        moves = pattern(ids, random.Random(seed))
        written = []
        before = versions(store, user_id)
        for _ in range(MOVES):
            moved, other = next(moves)
            store.move_task(user_id, moved, after=other)
            after = versions(store, user_id)
            written.append(sum(after[i] != before[i] for i in after))
            before = after
        return written
    finally:
        store.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("memory", "sqlite"), default="memory")
    args = parser.parse_args()
    print(f"| {args.store}: {MOVES} moves | tasks | most rows in one move | mean |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for number, (name, pattern) in enumerate(PATTERNS.items()):
            for length in LENGTHS:
                url = "memory://" if args.store == "memory" else \
                    f"sqlite:///{os.path.join(folder, f'{number}-{length}.sqlite')}"
                written = rows_per_move(url, length, pattern)
                print(f"| {name} | {length:,} | {max(written)} | "
                      f"{statistics.mean(written):.2f} |", flush=True)


if __name__ == "__main__":
    main()
