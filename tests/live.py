"""Start a real `kg serve` process on a free loopback port (for protocol, client and browser tests)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_server(args: Sequence[str] = (), env: dict[str, str] | None = None,
                startup_timeout: float = 120.0) -> Iterator[str]:
    """Run ``python -m kg serve --port <free> ARGS`` and yield its base URL once it answers; stop it after."""
    port = free_port()
    full_env = {**os.environ, **(env or {})}
    # Output goes to a file, not a pipe nobody reads (a chatty server would block on a full pipe).
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server; closed in the finally block
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--host", "127.0.0.1", "--port", str(port),
                             *args], cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"kg serve exited with {proc.returncode}:\n{log.read().decode()}")
            try:
                with urllib.request.urlopen(base + "/-/version.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("kg serve did not answer in time")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
