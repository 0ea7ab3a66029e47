"""An SLO's error budget asked of Prometheus: the error ratio over 5 m, 30 m, 1 h, 6 h and the
SLO's window, all at once; from them the burn rates, the budget left, the time until it is
spent, and how fast it burns by the Google SRE workbook's multi-window thresholds.

The arithmetic (the workbook's, chapter 5 "Alerting on SLOs"):
- budget = 1 - objective (0.001 for 99.9 %);
- burn rate over w = error ratio over w / budget (1x spends the budget exactly in the window);
- budget left = 1 - error ratio over the window / budget (below 0: overspent);
- time until spent, at the 1 h burn rate b > 1: left x window / b;
- fast burn (page): 14.4x over 1 h and over 5 m (2 % of a 30 d budget in an hour);
- slow burn (ticket): 6x over 6 h and over 30 m (5 % in six hours).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.settings import Settings
from bot.metrics.prometheus import Prometheus, PrometheusError
from bot.metrics.slo_config import WINDOW_PLACEHOLDER, Slo

SHORT_WINDOWS = ("5m", "30m", "1h", "6h")
FAST = (14.4, "1h", "5m")  # burn rate, long window, short window
SLOW = (6.0, "6h", "30m")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def ratio_expr(slo: Slo, window: str) -> str:
    """The PromQL of the SLO's error ratio over `window` (one number: the max of the series)."""
    if slo.error_ratio is not None:
        return f"max({slo.error_ratio.replace(WINDOW_PLACEHOLDER, window)})"
    if slo.sloth is not None:
        labels = f'sloth_service="{_label(slo.sloth.service)}",sloth_slo="{_label(slo.sloth.slo)}"'
        return f"max(slo:sli_error:ratio_rate{window}{{{labels}}})"
    assert slo.pyrra is not None
    rule = f'{slo.pyrra.metric}:burnrate5m{{slo="{_label(slo.pyrra.slo)}"}}'
    return f"max({rule})" if window == "5m" else f"max(avg_over_time({rule}[{window}]))"


@dataclass(frozen=True)
class Budget:
    slo: Slo
    at: datetime
    ratios: dict[str, float]  # window -> error ratio (NaN: no data)

    def burn(self, window: str) -> float:
        return self.ratios.get(window, math.nan) / self.slo.budget

    @property
    def left(self) -> float:
        """The fraction of the window's budget left (1 = untouched, 0 or less = spent)."""
        return 1 - self.ratios.get(self.slo.window, math.nan) / self.slo.budget

    @property
    def known(self) -> bool:
        return not math.isnan(self.left)

    @property
    def spent(self) -> bool:
        return self.known and self.left <= 0

    @property
    def speed(self) -> str | None:
        """ "fast" (page), "slow" (ticket), or None, by the multi-window thresholds."""
        for name, (rate, long, short) in (("fast", FAST), ("slow", SLOW)):
            if self.burn(long) >= rate and self.burn(short) >= rate:
                return name
        return None

    @property
    def until_spent(self) -> timedelta | None:
        """While burning (the 1 h burn rate above 1x) with budget left: when it is spent."""
        rate = self.burn("1h")
        if not self.known or self.left <= 0 or math.isnan(rate) or rate <= 1:
            return None
        return timedelta(days=self.slo.window_days) * (self.left / rate)


async def measure(
    settings: Settings, slo: Slo, at: datetime, windows: tuple[str, ...] | None = None
) -> Budget:
    """Every window at once, at `at`; PrometheusError (one line) if Prometheus is away or
    refuses, TimeoutError past the query timeout."""
    asked = windows if windows is not None else (*SHORT_WINDOWS, slo.window)
    async with Prometheus(settings) as prom:
        answers = await asyncio.wait_for(
            asyncio.gather(*(prom.instant(ratio_expr(slo, w), at) for w in asked)),
            settings.prometheus_query_timeout_seconds + 1,
        )
    pairs = zip(asked, answers, strict=True)
    ratios = {w: (samples[0].value if samples else math.nan) for w, samples in pairs}
    return Budget(slo, at, ratios)


async def measure_left(settings: Settings, slo: Slo, at: datetime) -> float | None:
    """The budget left at `at` (declare, resolve), None without data. Raises as `measure`."""
    budget = await measure(settings, slo, at, (slo.window,))
    return budget.left if budget.known else None


async def try_measure(settings: Settings, slo: Slo, at: datetime) -> Budget | str:
    """`measure`, or the one line saying why not."""
    try:
        return await measure(settings, slo, at)
    except PrometheusError as exc:
        return str(exc)
    except TimeoutError:
        return f"Prometheus did not answer within {settings.prometheus_query_timeout_seconds:g} s"
