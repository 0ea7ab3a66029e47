"""Benchmarks: run as modules (`python -m bench.timeline_ack`); they print figures."""
