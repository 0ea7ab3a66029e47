"""`python -m bot demo` as a subprocess, for the playground's tests: started on a free port with
its data in a temporary folder, ready once its page answers; stopped with SIGINT, as Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.core.settings import Settings
from tests.support.process import free_port

READY_TIMEOUT = 90.0  # a fresh database is migrated first; CI machines are slow


@dataclass
class DemoProcess:
    process: subprocess.Popen[str]
    url: str
    ready_seconds: float  # from the spawn to the page answering 200

    def stop(self, timeout: float = 30.0) -> int:
        """SIGINT, as Ctrl-C sends; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)


def demo_env(**extra: str) -> dict[str, str]:
    """The environment without any setting or Slack token of the shell running the tests."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in Settings.model_fields and not v.startswith(("xoxb-", "xoxp-", "xapp-"))
    }
    return {**env, **extra}


@contextmanager
def running_demo(folder: Path, **env: str) -> Iterator[DemoProcess]:
    port = free_port()
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--port", str(port)],
        cwd=folder,
        env=demo_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    demo = DemoProcess(process, url, 0.0)
    try:
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the demo exited: {process.stdout.read()}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() - began > READY_TIMEOUT:
                raise AssertionError("the demo's page did not answer in time")
            time.sleep(0.2)
        demo.ready_seconds = time.monotonic() - began
        yield demo
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
