from tests.support.prometheus import prometheus

__all__ = ["prometheus"]  # the real Prometheus fixture (tests/support/prometheus.py)
