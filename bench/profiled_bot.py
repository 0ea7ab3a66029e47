"""`python -m bench.profiled_bot`: `python -m bot` under cProfile, counting the CPU time of the
event loop's thread (not wall time, which on a shared machine counts other processes' turns;
not the process's, which would charge aiosqlite's thread to whatever the loop was doing), for
`bench.timeline_ack --profile`. Profiling starts on SIGUSR1 and stops on SIGUSR2, which writes
the stats to the file named by PROFILE_OUT: the measured events only, not the start-up or the
warm-up.
"""

from __future__ import annotations

import cProfile
import os
import signal
import sys
import time
from types import FrameType

from bot.__main__ import main


def run() -> int:
    profile = cProfile.Profile(time.thread_time)

    def start(_signum: int, _frame: FrameType | None) -> None:
        profile.enable()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        profile.disable()
        profile.dump_stats(os.environ["PROFILE_OUT"])

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    return main([])


if __name__ == "__main__":
    sys.exit(run())
