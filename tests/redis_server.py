"""A throwaway Redis server for the tests, on 127.0.0.1, kept in memory only."""

import shutil
import subprocess

from servers import free_port, stop, wait_for_port


def why_unavailable():
    """Say why Redis tests cannot run here, or return None if they can."""
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis client is not installed (pip install -e '.[test]')"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    return None


class RedisServer:
    """One redis-server process with no persistence, stopped by its PID."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def flush(self):
        """Forget every count, between tests."""
        import redis
        redis.Redis.from_url(self.url).flushall()

    def destroy(self):
        stop(self.process)
