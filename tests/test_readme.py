"""The README's curl sessions, replayed against a real `python run.py` server each."""

import os
import re
import shlex
import shutil
import subprocess

import pytest

from support import ROOT

MARKER = "<!-- readme-session -->"
# The Todo-Backend root's session, run against a fresh server of its own.
BACKEND_MARKER = "<!-- todo-backend-session -->"
# Headers that differ from one run to the next (X-Request-ID: a new id per request).
IGNORED_HEADERS = ("date:", "server:", "x-request-id:")


def readme_session(marker=MARKER):
    """Return [(command, expected output)] from the README's console block after ``marker``."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = text.split(marker, 1)[1].split("```console\n", 1)[1].split("\n```", 1)[0]
    steps = []
    for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
        command, _, output = chunk.partition("\n")
        steps.append((command, output.strip("\n")))
    return steps


def curl(command, port):
    """Run one curl command line against the test server; return its output as the README shows it."""
    argv = shlex.split(command.replace("localhost:5000", f"localhost:{port}"))
    assert argv[0] == "curl"
    result = subprocess.run([argv[0], "--silent", "--show-error", "--max-time", "10", *argv[1:]],
                            capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode().replace("\r\n", "\n").replace(f"localhost:{port}",
                                                                  "localhost:5000")
    head, _, body = text.partition("\n\n")
    # The README was written against port 5000: with the port put back, the body's
    # length is what it would be there.
    head = re.sub(r"(?im)^content-length: \d+$", f"Content-Length: {len(body.encode())}", head)
    kept = [line for line in head.split("\n") if not line.lower().startswith(IGNORED_HEADERS)]
    return ("\n".join(kept) + "\n\n" + body).strip("\n")

def test_the_readme_has_the_articles_calls():
    commands = [command for command, _ in readme_session()]
    assert len(commands) >= 8
    joined = "\n".join(commands)
    for needed in ("-X POST", "-X PUT", "-X DELETE", "tasks/2", "tasks/3", "-u miguel:python"):
        assert needed in joined
    assert any("-u" not in c for c in commands)   # the no-credentials call


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (.ci/run installs it)")
def test_the_readme_session_is_what_the_server_answers(run_server, tmp_path):
    process, port, log = run_server("--store", f"sqlite:///{tmp_path}/readme.sqlite")
    for command, expected in readme_session():
        assert curl(command, port) == expected, command


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (.ci/run installs it)")
def test_the_readme_todo_backend_session_is_what_the_server_answers(run_server, tmp_path):
    process, port, log = run_server("--store", f"sqlite:///{tmp_path}/backend.sqlite")
    session = readme_session(BACKEND_MARKER)
    assert len(session) >= 6
    for command, expected in session:
        assert curl(command, port) == expected, command


def rewrite_readme(port, marker=MARKER):
    """Replace the outputs of the session after ``marker`` with what a server on ``port``
    answers."""
    path = os.path.join(ROOT, "README.md")
    text = open(path, encoding="utf-8").read()
    head, rest = text.split(marker, 1)
    opening, rest = rest.split("```console\n", 1)
    block, tail = rest.split("\n```", 1)
    session = "\n\n".join(f"$ {command}\n{curl(command, port)}"
                          for command, _ in readme_session(marker))
    with open(path, "w", encoding="utf-8") as readme:
        readme.write(f"{head}{marker}{opening}```console\n{session}\n```{tail}")


if __name__ == "__main__":
    # After a change of behaviour: python run.py --store sqlite:///fresh.sqlite, then
    # python tests/test_readme.py 5000 rewrites the session from what it answers
    # (python tests/test_readme.py 5000 backend: the Todo-Backend one, on a fresh server).
    import sys
    rewrite_readme(int(sys.argv[1]), BACKEND_MARKER if sys.argv[2:] == ["backend"] else MARKER)
