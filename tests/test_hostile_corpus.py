"""The hostile-input corpus (fixtures/hostile/expected.json): inputs and options that
cost a naive reader gigabytes, minutes or a crash. Each runs as its own process, as a
user runs etown, so that an abort or a signal would show: every case ends with its
documented exit code and message, never exit 70, a signal or a traceback.

The small files are kept in fixtures/hostile/ (made by fixtures/make_hostile.py); the
large ones are made here, and the URLs are served by a server on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT
from .fixtures import make_hostile

CORPUS = FIXTURES / "hostile"
CASES = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/huge.csv":  # says it is 64 GiB
            self.send_response(200)
            self.send_header("Content-Length", str(64 * 1024**3))
            self.end_headers()
            return
        self.send_response(200)
        self.end_headers()
        piece = b"project,event,date\n" * 1000 if self.path == "/endless.csv" else b"p"
        try:
            while True:  # never ends
                self.wfile.write(piece)
                if self.path == "/slow.csv":
                    time.sleep(0.1)
        except OSError:
            return

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-large")
    make_hostile.write_large(folder)
    return folder


def test_every_corpus_file_has_a_case():
    files = {p.name for p in CORPUS.iterdir() if p.is_file() and p.name != "expected.json"}
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    named = " ".join(" ".join(case["args"]) + " " + case.get("cwd", "") for case in CASES)
    assert {f for f in files if f"{{corpus}}/{f}" not in named} == set()
    assert {f for f in folders if f not in named} == set()
    assert len({case["name"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_hostile_case(case, server, large, tmp_path):
    places = {"{corpus}": str(CORPUS), "{server}": server, "{large}": str(large)}
    places["{out}"] = str(tmp_path)
    arguments = []
    for argument in case["args"]:
        for mark, value in places.items():
            argument = argument.replace(mark, value)
        arguments.append(argument)
    env = {**os.environ, "ETOWN_NO_CACHE": "1", **case.get("env", {})}
    for name in (
        "ETOWN_MAX_INPUT_SIZE",
        "ETOWN_URL_TIMEOUT",
    ):  # (the defaults, unless the case sets one)
        if name not in case.get("env", {}):
            env.pop(name, None)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "etown_approvals", *arguments],
        cwd=CORPUS / case["cwd"] if "cwd" in case else tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode >= 0, f"ended by signal {-done.returncode}: {done.stderr[-2000:]}"
    assert done.returncode == case["exit"], done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    if "stderr" in case:
        assert case["stderr"] in done.stderr
    if "stdout" in case:
        assert case["stdout"] in done.stdout
    if case["exit"] not in (0, 1) and not done.stderr.startswith("Usage: "):
        # (click's usage errors are a Usage: line, then the error, as the README says)
        assert len(done.stderr.splitlines()) == 1, done.stderr
        if case["args"][0] != "validate":  # (validate reports an unreadable file itself)
            assert done.stdout == ""
