"""Reading the alert's expression out of real generatorURLs, thresholds, and the arguments of
`/incident metric` (pure: no Prometheus)."""

from __future__ import annotations

import json

import pytest

from bot.alerts.intake import parse_alertmanager
from bot.core.errors import UserError
from bot.metrics.expr import Threshold, expr_from_generator_url, parse_metric_args, threshold_of
from bot.metrics.queries import alert_expressions
from storage.models.alerts import AlertGroup
from tests.conftest import make_settings
from tests.support.alert_helpers import firing

GENERATOR_URLS = [
    # Prometheus 2.x, as in tests/support/payloads/alertmanager_v4_firing.constructed.json
    (
        "http://prometheus:9090/graph?g0.expr=job%3Acheckout_5xx_ratio%3Arate5m+%3E+0.05&g0.tab=1",
        "job:checkout_5xx_ratio:rate5m > 0.05",
    ),
    # --web.external-url with a path prefix, a ratio with a regex matcher
    (
        "https://monitoring.example.com/prometheus/graph?g0.expr=sum+by+%28job%29+%28rate%28"
        "http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29+%2F+sum+by+%28job%29+%28rate"
        "%28http_requests_total%5B5m%5D%29%29+%3E+0.05&g0.tab=1",
        'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) '
        "(rate(http_requests_total[5m])) > 0.05",
    ),
    # Thanos ruler: extra parameters after the expression
    (
        "http://thanos-query.monitoring.svc:10902/graph?g0.expr=up%7Bjob%3D%22node%22%7D+%3D%3D+0"
        "&g0.tab=1&g0.deduplicate=1&g0.partial_response=0",
        'up{job="node"} == 0',
    ),
    # Prometheus 3's UI parameters, the expression not first, spaces as %20
    (
        "http://prometheus-k8s.monitoring:9090/graph?g0.tab=0&g0.display_mode=lines"
        "&g0.expr=node_filesystem_avail_bytes%20%2F%20node_filesystem_size_bytes%20%3C%200.1"
        "&g0.range_input=1h",
        "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1",
    ),
]


@pytest.mark.parametrize(("url", "expr"), GENERATOR_URLS)
def test_the_expression_is_read_from_real_generator_urls(url: str, expr: str) -> None:
    assert expr_from_generator_url(url) == expr


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//?g0.expr=up",
        "file:///etc/passwd?g0.expr=up",
        "ftp://prometheus/graph?g0.expr=up",
        "gopher://prometheus:70/graph?g0.expr=up",
        "//prometheus/graph?g0.expr=up",  # no scheme
        "http:///graph?g0.expr=up",  # no host
    ],
)
def test_anything_but_http_or_https_is_refused(url: str) -> None:
    assert expr_from_generator_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://grafana.example.com/alerting/grafana/abc123/view",  # Grafana-managed
        "http://vmalert:8880/vmalert/alert?group_id=1&alert_id=2",
        "http://prometheus:9090/graph?g0.expr=",
        None,
        42,
    ],
)
def test_links_without_an_expression_have_none(url: object) -> None:
    assert expr_from_generator_url(url) is None


def test_the_promql_annotation_and_the_generator_url_reach_the_group() -> None:
    payload = firing()
    payload["commonAnnotations"]["promql"] = "sum(rate(errors_total[5m])) > 3"
    parsed = parse_alertmanager(payload, make_settings("sqlite+aiosqlite://", _NoFake()))
    assert parsed.promql == "sum(rate(errors_total[5m])) > 3"
    group = AlertGroup(
        source="alertmanager",
        key_hash="x",
        group_key="x",
        title="t",
        severity="sev1",
        links=json.dumps(parsed.links),
        promql=parsed.promql,
    )
    assert alert_expressions([group]) == [
        ("job:checkout_5xx_ratio:rate5m > 0.05", "alert"),
        ("sum(rate(errors_total[5m])) > 3", "annotation"),
    ]


class _NoFake:
    base_url = "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("expr", "threshold"),
    [
        (
            "job:checkout_5xx_ratio:rate5m > 0.05",
            Threshold("job:checkout_5xx_ratio:rate5m", ">", 0.05),
        ),
        ('up{job=~"a|b"} == 0', Threshold('up{job=~"a|b"}', "==", 0.0)),
        ("rate(x[5m]) >= bool 1e3", Threshold("rate(x[5m])", ">=", 1000.0)),
        ('avail{mount="/"} < -.5', Threshold('avail{mount="/"}', "<", -0.5)),
        ("a > 1 and b < 2", None),  # two comparisons
        ("a > 1 unless b", None),  # a set operator beside it
        ("a > b", None),  # not a number
        ("sum(x > 1)", None),  # inside parentheses
        ('x{le="0.5", op=">"}', None),  # inside braces and strings
        ("up", None),
    ],
)
def test_a_threshold_where_the_expression_compares_with_a_number(
    expr: str, threshold: Threshold | None
) -> None:
    assert threshold_of(expr) == threshold


def test_metric_arguments() -> None:
    assert parse_metric_args("latency=histogram_quantile(0.99, x) > 2") == (
        "latency",
        "histogram_quantile(0.99, x) > 2",
    )
    assert parse_metric_args("up==0") == (None, "up==0")
    assert parse_metric_args(' up{job="a"} == 0 ') == (None, 'up{job="a"} == 0')
    with pytest.raises(UserError):
        parse_metric_args("name=")
    with pytest.raises(UserError):
        parse_metric_args("x" * 2001)
