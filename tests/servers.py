"""Starting and stopping server processes for the tests, on 127.0.0.1 only."""

import os
import signal
import socket
import subprocess
import sys
import time

GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, timeout=20.0):
    """Wait until something accepts connections on 127.0.0.1:port, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def stop(process):
    """Stop a server process by its PID, politely first."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Gunicorn:
    """A gunicorn process group serving todo:create_app() on a free port of 127.0.0.1."""

    def __init__(self, store_url, workers, log_dir, env=None):
        self.port = free_port()
        self.log = open(os.path.join(log_dir, f"gunicorn-{self.port}.log"), "w")
        self.process = subprocess.Popen(
            [GUNICORN, "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--graceful-timeout", "5", "todo:create_app()"],
            env={**os.environ, "TODO_STORE": store_url, **(env or {})}, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, self.process, timeout=60)

    def kill_hard(self):
        """kill -9 the master and its workers at once, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        stop(self.process)
        self.log.close()
