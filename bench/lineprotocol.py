"""lineprotocol_parse: lines per second of our strict parser against `line-protocol-parser`, the fastest on PyPI.

Both sides parse the same realistic body: what Telegraf's default inputs send every interval (cpu
per core with ten float fields, mem and disk with integers, system, net, a procstat line with an
escaped process name, a string field) plus sensor readings with escaped tag values and Unicode.
Keyhold's side is exactly what ingest calls: `parse_lines(body)`, giving frozen `Point`s and
per-line errors. The baseline is the least a caller of `line-protocol-parser` 2.0.1 (a C extension)
must do for the same result: decode the body once (it crashes the interpreter on invalid UTF-8
inside a string field, so bytes must never reach it), then `parse_line` each line, catching its
error so that good lines are kept. It checks less than we do (no limits, a duplicate field is
silently dropped), so the ratio is the price of a strict pure-Python parser. The issue's bar: ours
at least half as fast as the fastest installable parser.
"""

import contextlib
import time

from line_protocol_parser import LineFormatError
from line_protocol_parser import parse_line as their_parse_line

from bench.harness import compare
from telemetry.lineprotocol import parse_lines

BODIES_PER_ROUND = 10
TIMESTAMP = 1_700_000_000_000_000_000


def _telegraf_interval(host: str, ts: int) -> list[str]:
    cpu_fields = ",".join(
        f"usage_{name}={value}"
        for name, value in zip(
            ("user", "system", "idle", "nice", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"),
            (12.5, 3.25, 83.1, 0.0, 0.25, 0.0, 0.9, 0.0, 0.0, 0.0),
            strict=True,
        )
    )
    lines = [f"cpu,cpu=cpu{n},host={host} {cpu_fields} {ts}" for n in (*range(4), "-total")]
    return [
        *lines,
        f"mem,host={host} active=4123456512i,available=8123456512i,available_percent=48.4,buffered=123456i,"
        f"cached=3123456512i,free=1123456512i,total=16777216000i,used=8388608000i,used_percent=50.0 {ts}",
        f"disk,device=sda1,fstype=ext4,host={host},mode=rw,path=/ free=51234567168u,inodes_free=3123456u,"
        f"inodes_total=6553600u,inodes_used=3430144u,total=107374182400u,used=56139615232u,used_percent=52.3 {ts}",
        f"system,host={host} load1=0.52,load15=0.31,load5=0.44,n_cpus=4i,n_users=2i {ts}",
        f'system,host={host} uptime=1234567i,uptime_format="14 days,  6:56" {ts}',
        f"net,host={host},interface=eth0 bytes_recv=123456789u,bytes_sent=98765432u,drop_in=0u,drop_out=0u,"
        f"err_in=0u,err_out=0u,packets_recv=234567u,packets_sent=123456u {ts}",
        f"procstat,host={host},process_name=nginx\\ worker,user=www-data cpu_usage=1.5,memory_rss=52428800i,"
        f"num_threads=4i,pid=1234i,running=true {ts}",
        f"sensor,room=Living\\ Room,sensor=s-{host} temperature=21.5,humidity=40i,battery_ok=true {ts}",
        f"sensor,room=Küche,sensor=k-{host} temperature=19.25,humidity=52i,battery_ok=true {ts}",
    ]


def _body() -> bytes:
    lines = []
    for interval in range(25):
        for host in ("web-01", "web-02", "db-01", "edge-7"):
            lines += _telegraf_interval(host, TIMESTAMP + interval * 10_000_000_000)
    return "\n".join(lines).encode()


def lineprotocol_parse():
    body = _body()
    line_count = body.count(b"\n") + 1
    points, errors = parse_lines(body)
    assert not errors, errors[:3]
    assert len(points) == line_count

    def theirs_once() -> None:
        parsed = []
        for line in body.decode().split("\n"):
            with contextlib.suppress(LineFormatError):
                parsed.append(their_parse_line(line))

    def lines_per_second(parse) -> float:
        started = time.perf_counter()
        for _ in range(BODIES_PER_ROUND):
            parse()
        return BODIES_PER_ROUND * line_count / (time.perf_counter() - started)

    return compare(
        "lineprotocol_parse",
        keyhold=lambda: lines_per_second(lambda: parse_lines(body)),
        baseline=lambda: lines_per_second(theirs_once),
        bar=0.5,
        unit="lines/s",
        rounds=9,
    )


BENCHMARKS = {"lineprotocol_parse": lineprotocol_parse}
