"""Where a task stands in its owner's list: sparse integer orders, and moves that write few rows.

A list is sorted by (order, id): equal orders are allowed, and ids break the tie,
so the order of a list is always defined, whatever clients or concurrent moves do.
New tasks go GAP above the highest order, so there is room between neighbours: a
move takes the middle of the gap it lands in and writes one row. Only when a gap
has been halved to nothing (about ten moves into the same one, or orders that a
client chose one apart) does a move respace: it spreads the fewest neighbours
around the spot over the room they have, which is a handful of rows, never the
whole list.
"""

GAP = 1000
# Integers every JSON client reads exactly (JavaScript's safe integers); SQL keeps them
# in a 64-bit column.
MIN_ORDER, MAX_ORDER = -(2**53 - 1), 2**53 - 1
BELOW, ABOVE = "below", "above"


def next_order(last):
    """Return the order of a task added after ``last``, the list's highest order (None: empty).

    At the top of the range the new task shares MAX_ORDER, and its id, the
    highest, still puts it last.
    """
    return GAP if last is None else min(MAX_ORDER, last + GAP)


def plan_move(moved, neighbours):
    """Return the [(task id, new order)] that put the task ``moved`` at a spot in its list.

    ``moved`` is its (order, id); ``neighbours(side, limit)`` returns up to
    ``limit`` (order, id) pairs of the tasks on that side of the spot (BELOW or
    ABOVE), nearest first, leaving the moved task out. An empty plan means it is
    there already.
    """
    below, above = neighbours(BELOW, 1), neighbours(ABOVE, 1)
    low, high = (below or [None])[0], (above or [None])[0]
    if _fits(moved, low, high):
        return []
    order = _between(moved[1], low, high)
    if order is not None:
        return [(moved[1], order)]
    return _respace(moved[1], neighbours)


def _fits(key, low, high):
    """Whether (order, id) ``key`` sorts after ``low`` and before ``high`` (None: no bound)."""
    return (low is None or low < key) and (high is None or key < high)


def _between(task_id, low, high):
    """Return an order that puts ``task_id`` between ``low`` and ``high``, or None if none does."""
    if low is not None and high is not None:
        candidates = (low[0] + (high[0] - low[0]) // 2, low[0], high[0])
    elif low is not None:
        candidates = (min(MAX_ORDER, low[0] + GAP), low[0])
    else:
        candidates = (max(MIN_ORDER, high[0] - GAP), high[0])
    for order in candidates:
        if _fits((order, task_id), low, high):
            return order
    return None


def _respace(task_id, neighbours):
    """Spread the moved task and its nearest neighbours evenly over the room around them.

    The window doubles until its room leaves each of its tasks a fair share of
    the gap, which shrinks as the window grows: windows stay small, and the list
    ends (the range's ends, in effect) always have room.
    """
    width = 1
    while True:
        below, above = neighbours(BELOW, width + 1), neighbours(ABOVE, width + 1)
        window = [*reversed(below[:width]), (None, task_id), *above[:width]]
        known = [order for order, _ in window if order is not None]
        floor = below[width][0] if len(below) > width else \
            max(MIN_ORDER - 1, min(known) - GAP * len(window))
        ceiling = above[width][0] if len(above) > width else \
            min(MAX_ORDER + 1, max(known) + GAP * len(window))
        step = (ceiling - floor) // (len(window) + 1)
        whole_list = len(below) <= width and len(above) <= width
        if step >= max(1, GAP // (len(window) + 1)) or (whole_list and step >= 1):
            return [(tid, floor + step * (n + 1)) for n, (order, tid) in enumerate(window)
                    if order != floor + step * (n + 1)]
        if whole_list:
            raise ValueError("no room for another task in the order range")
        width *= 2
