"""PNG charts with matplotlib (Agg, no display), drawn in a worker thread.

Each PNG carries, in a `Sisyphus-Data` text chunk, the data read back from what was drawn
(bar heights, band edges, tick times), so tests and readers can check a picture against the
record without comparing pixels.

Sizes are fixed (STATS_SIZE, PICTURE_SIZE, in pixels) with large type, so a chart stays
readable at Slack's preview width.

matplotlib is imported on the first drawing, not with the bot: it is most of the cost of
importing the learning domain, and most runs never draw.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 100
DATA_KEY = "Sisyphus-Data"
SEVERITY_COLOURS = {"sev1": "#b71c1c", "sev2": "#ef6c00", "sev3": "#f9a825", "sev4": "#9e9e9e"}
STATUS_COLOURS = {
    "investigating": "#e57373",
    "identified": "#ffb74d",
    "mitigated": "#fff176",
    "monitoring": "#81c784",
    "resolved": "#a5d6a7",
}
# matplotlib keeps global state (font cache, rcParams); one drawing at a time.
_DRAWING = threading.Lock()
T = TypeVar("T")


def new_figure(width_px: int, height_px: int) -> Figure:
    # Agg drawn onto its own canvas: no display and no pyplot, whatever MPLBACKEND says.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def to_png(figure: Figure, data: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    figure.savefig(
        out,
        format="png",
        dpi=DPI,
        metadata={DATA_KEY: json.dumps(data, sort_keys=True, default=str)},
        pil_kwargs={"compress_level": 3},  # a few KB more, much less time
    )
    return out.getvalue()


async def draw(work: Callable[[], T]) -> T:
    """Run a drawing in a thread: the event loop keeps serving Slack meanwhile."""

    def locked() -> T:
        with _DRAWING:
            return work()

    return await asyncio.to_thread(locked)


def bar_heights(container: Any) -> list[float]:
    return [float(patch.get_height()) for patch in container.patches]


def bar_widths(container: Any) -> list[float]:
    return [float(patch.get_width()) for patch in container.patches]
