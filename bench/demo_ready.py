"""How long `python -m bot demo` takes to a ready page, and to stop on Ctrl-C (issue 30).

Each run starts the playground in a fresh folder (a new demo.db: its migrations run, as on a
fresh clone), times the spawn until `GET /` answers 200, then sends SIGINT and times the exit.
The goal is a ready page in under a minute.

    .venv/bin/python -m bench.demo_ready [--runs 3]
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench.cli import bench_parser

TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_run() -> tuple[float, float]:
    """(seconds to a ready page, seconds from SIGINT to the exit)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not v.startswith(("xoxb-", "xoxp-", "xapp-"))}
    with tempfile.TemporaryDirectory() as folder:
        began = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"the demo exited with {process.returncode}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() - began > TIMEOUT:
                    raise SystemExit("no ready page in time")
                time.sleep(0.1)
            ready = time.monotonic() - began
            stopping = time.monotonic()
            process.send_signal(signal.SIGINT)
            code = process.wait(60)
            if code != 0:
                raise SystemExit(f"the demo exited with {code} on SIGINT")
            return ready, time.monotonic() - stopping
        finally:
            if process.poll() is None:
                process.kill()


def main() -> None:
    parser = bench_parser(__doc__, "bench.demo_ready")
    parser.add_argument("--runs", type=int, default=3, help="starts to time")
    args = parser.parse_args()
    results = [one_run() for _ in range(args.runs)]
    for i, (ready, stop) in enumerate(results, 1):
        print(f"run {i}: ready page in {ready:.1f} s, stopped {stop:.1f} s after SIGINT")
    print(f"median: ready in {statistics.median(r for r, _ in results):.1f} s")


if __name__ == "__main__":
    main()
