"""The fake Slack Web API for the soak test, in its own process (as Slack would be, elsewhere).

    python -m bench.soak_fake <channels>

Prints its port, then answers one line on stdin at a time: `stats` prints one JSON line with
what the bot asked of Slack (calls per method, and the status-update prompts posted per
channel); end of input stops it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter

from bench.cli import bench_parser

BROADCAST = "CSOAKBCAST"
PROMPT_MARK = "time for a status update on incident #"  # in every prompt's fallback text


def channel_id(n: int) -> str:
    return f"CSOAK{n:05d}"


def stats(fake: object) -> dict[str, object]:
    calls = fake.calls  # type: ignore[attr-defined]
    prompts: Counter[str] = Counter(
        c.params.get("channel", "")
        for c in calls
        if c.method == "chat.postMessage" and PROMPT_MARK in str(c.params.get("text", ""))
    )
    return {
        "methods": dict(Counter(c.method for c in calls)),
        "prompts_by_channel": dict(prompts),
    }


async def serve(channels: int) -> None:
    from tests.support.fake_slack import FakeSlack

    fake = FakeSlack()
    await fake.start()
    fake.add_channel(BROADCAST, "incidents")
    for n in range(channels):
        fake.add_channel(channel_id(n), f"soak-{n + 1}")
    print(fake.port, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        if line.strip() == "stats":
            print(json.dumps(stats(fake)), flush=True)
    await fake.stop()


class FakeSlackProcess:
    """The bench's handle on the fake: its URL, and its call statistics on demand."""

    def __init__(self, channels: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.soak_fake", str(channels)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline().strip())

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str = "soak") -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

    def stats(self) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


if __name__ == "__main__":
    parser = bench_parser(__doc__, "bench.soak_fake")
    parser.add_argument("channels", type=int, help="war-room channels to create")
    asyncio.run(serve(parser.parse_args().channels))
