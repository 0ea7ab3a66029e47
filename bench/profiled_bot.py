"""`python -m bench.profiled_bot`: `python -m bot` under cProfile, counting the CPU time of the
event loop's thread (not wall time, which on a shared machine counts other processes' turns;
not the process's, which would charge aiosqlite's thread to whatever the loop was doing), for
`bench.timeline_ack --profile`. Profiling starts on SIGUSR1 and stops on SIGUSR2, which writes
the stats to the file named by PROFILE_OUT: the measured events only, not the start-up or the
warm-up. The garbage collector's pauses meanwhile go beside it (`<PROFILE_OUT>.gc.txt`): one
full collection stops the loop and every ack waiting on it.
"""

from __future__ import annotations

import cProfile
import gc
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from bench.cli import bench_parser
from bot.__main__ import main


class Pauses:
    """How long each collection stopped the loop, by generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._began))

    def report(self) -> str:
        lines = []
        for generation in (0, 1, 2):
            took = [s * 1000 for g, s in self.pauses if g == generation]
            lines.append(
                f"generation {generation}: {len(took)} collection(s), {sum(took):.1f} ms in all, "
                f"the longest {max(took, default=0):.1f} ms"
            )
        lines.append(f"objects tracked {len(gc.get_objects())}, frozen {gc.get_freeze_count()}")
        return "\n".join(lines) + "\n"


def run() -> int:
    profile = cProfile.Profile(time.thread_time)
    pauses = Pauses()

    def start(_signum: int, _frame: FrameType | None) -> None:
        gc.callbacks.append(pauses)
        profile.enable()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        profile.disable()
        gc.callbacks.remove(pauses)
        out = os.environ["PROFILE_OUT"]
        profile.dump_stats(out)
        Path(f"{out}.gc.txt").write_text(pauses.report())

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    return main([])


if __name__ == "__main__":
    bench_parser(__doc__, "bench.profiled_bot").parse_args()  # no options; --help shows the above
    sys.exit(run())
