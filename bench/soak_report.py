"""What the soak test prints: memory over time, what was sent, and the verdict."""

from __future__ import annotations

from typing import Any

from bench.soak_check import Verdict


def report(
    replicas: list[Any], traffic: Any, verdict: Verdict, metrics: list, retries: int
) -> None:
    """replicas: bench.soak.Replica (name, rss); traffic: bench.soak.Traffic."""
    print("\nresident memory (MB), one sample every 10 s:")
    for replica in replicas:
        series = " ".join(f"{v:.0f}" for v in replica.rss)
        print(f"  {replica.name}: {series}")
        k = max(1, len(replica.rss) // 10)
        first, last = replica.rss[:k], replica.rss[-k:]
        growth = sum(last) / len(last) - sum(first) / len(first)
        print(f"  {replica.name}: first {k} avg -> last {k} avg: {growth:+.1f} MB")
    print(
        f"\nrequests: {traffic.counts}; retried deliveries: {traffic.sent.retried}, "
        f"undelivered after {retries} retries: {traffic.sent.undelivered}, "
        f"slash commands not answered 200: {traffic.sent.command_failures}"
    )
    print(
        f"prompts recorded sent: {verdict.prompts_sent}, prompt posts seen by Slack: "
        f"{verdict.prompts_posted}, worst lateness: {verdict.worst_lateness:.2f} s"
    )
    for replica, figures in zip(replicas, metrics, strict=True):
        print(f"  /metrics {replica.name}: {figures}")
    sent = traffic.sent
    print(
        f"checked: {len(sent.messages)} messages, {len(sent.pinned)} pinned messages, "
        f"{len(sent.tokens)} notes/updates"
    )
    print(
        f"\nlost: {verdict.lost} (messages {verdict.lost_messages}, key-event marks "
        f"{verdict.lost_marks}, notes/updates {verdict.lost_commands})"
    )
    print(
        f"doubled: {verdict.doubled} (messages {verdict.doubled_messages}, notes/updates "
        f"{verdict.doubled_commands}, prompts {verdict.doubled_prompts})"
    )
    print(
        f"late: {verdict.late} (posted > 2 s after due {verdict.late_prompts}, "
        f"still unposted > 2 s after due {verdict.overdue_prompts})"
    )
    zero = verdict.lost == verdict.doubled == verdict.late == 0
    print(f"target lost = doubled = late = 0: {'met' if zero else 'NOT met'}")


if __name__ == "__main__":
    from bench.cli import bench_parser

    bench_parser(__doc__, "bench.soak_report").parse_args()  # --help only: bench.soak uses this
    print("part of bench.soak: run `python -m bench.soak`")
