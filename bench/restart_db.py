"""`make bench RESTART_DB=1`: scenario A with the database restarted midway.

The database is one this script starts (scripts/neon-lane: PostgreSQL behind
PgBouncer in transaction mode, TLS only, as on Neon), so that it may restart
it. 1000 users (BENCH_USERS) run scenario A for 60 s after the ramp; at 30 s
PostgreSQL is restarted (`pg_ctl restart -m fast`, every connection cut). Every
write a client saw acknowledged (201, 200 or 204) is written to a ledger by
the locustfile; afterwards each one is looked up in the database. The run
fails when one is missing, when no write was acknowledged after the restart,
or when a request failed other than with 503: requests during the outage are
refused (503 with Retry-After, for the client to retry), never lost.

Results: bench/results/restart-db.md and .json.
"""

import csv
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANE = str(ROOT / "scripts" / "neon-lane")
# A lane of its own, apart from the test lane's folder and ports.
LANE_ENV = {
    **os.environ,
    "NEON_LANE_DIR": "/tmp/todo-bench-lane",  # noqa: S108  # root-owned lane
    "NEON_LANE_PG_PORT": "15533",
    "NEON_LANE_BOUNCER_PORT": "16533",
    # The server's 2 workers x 2 threads, and room for the checks.
    "NEON_LANE_POOL_SIZE": "8",
}
SECONDS = 60
RESTART_AT = 30  # seconds into the steady state


def lane(*args: str) -> str:
    return subprocess.run(
        [LANE, *args], env=LANE_ENV, capture_output=True, text=True, check=True
    ).stdout


def lane_urls() -> dict[str, str]:
    urls = {}
    for line in lane("env").splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        urls[name] = value.strip("'")
    return urls


def main() -> int:
    lane("up")
    try:
        urls = lane_urls()
        # bench.run reads DATABASE_URL when it is imported and uses it for psql
        # (straight to PostgreSQL); the server goes through PgBouncer, and
        # migrations and seeding go straight, as on Neon.
        os.environ["DATABASE_URL"] = urls["DATABASE_URL_DIRECT"]
        sys.path.insert(0, str(ROOT / "bench"))
        import run

        run.ENV["DATABASE_URL"] = urls["DATABASE_URL"]
        run.ENV["DATABASE_URL_DIRECT"] = urls["DATABASE_URL_DIRECT"]
        return scenario(run)
    finally:
        lane("down")


def scenario(run) -> int:
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    tokens = run.prepare_database()
    ledger = run.RESULTS / "restart-db-ledger.txt"
    ledger.write_text("")
    restarted: dict[str, float] = {}

    def restart() -> None:
        time.sleep(10 + RESTART_AT)  # locust's ramp, then half the run
        run.log("restarting PostgreSQL")
        began = time.monotonic()
        lane("restart-db")
        restarted["seconds"] = round(time.monotonic() - began, 2)
        restarted["at"] = time.time()
        run.log(f"PostgreSQL is back after {restarted['seconds']} s")

    with run.server() as process:
        run.ENV["BENCH_LEDGER"] = str(ledger)
        restarter = threading.Thread(target=restart, daemon=True)
        restarter.start()
        run.log(
            f"A: {run.USERS} users, {SECONDS} s, PostgreSQL restarted at {RESTART_AT} s"
        )
        result = run.locust(run.CPU(process.pid), tokens, run.USERS, SECONDS)
        restarter.join(timeout=60)
    check = verify(run, ledger, restarted.get("at"))
    check["failures"] = failures(run)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "users": run.USERS,
        "restart_seconds": restarted.get("seconds"),
        "A": result,
        **check,
    }
    (run.RESULTS / "restart-db.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (run.RESULTS / "restart-db.md").write_text(table)
    print(table)
    passed = (
        "seconds" in restarted
        and check["lost"] == 0
        and check["acked_after"] > 0
        and set(check["failures"]) <= {"503"}
    )
    return 0 if passed else 1


def failures(run) -> dict[str, int]:
    """Locust's failures by HTTP status ("503"), or by error for the rest."""
    counts: Counter[str] = Counter()
    with (run.RESULTS / "locust_failures.csv").open() as handle:
        for row in csv.DictReader(handle):
            # FastHttpUser reports a status as "LocustBadStatusCode(code=503)".
            status = re.fullmatch(r"LocustBadStatusCode\(code=(\d{3})\)", row["Error"])
            key = status.group(1) if status else row["Error"]
            counts[key] += int(row["Occurrences"])
    return dict(counts)


def verify(run, ledger: Path, restarted_at: float | None) -> dict:
    """Every acknowledged write, looked up in the database after the run."""
    entries = [line.split() for line in ledger.read_text().splitlines() if line]
    kinds = Counter(kind for _, kind, _ in entries)
    after = sum(1 for at, _, _ in entries if restarted_at and float(at) > restarted_at)
    # Task 0 never exists: a lookup that does not report it missing could not
    # report a lost write either.
    created = {int(i) for _, kind, i in entries if kind == "create"} | {0}
    completed = {int(i) for _, kind, i in entries if kind == "complete"}
    deleted = {int(i) for _, kind, i in entries if kind == "delete"}
    query = (
        "import json\n"
        "from tasks.models import Task\n"
        f"created, completed, deleted = {sorted(created)}, {sorted(completed)}, "
        f"{sorted(deleted)}\n"
        "found = set(Task.objects.filter(pk__in=created).values_list('pk', flat=True))\n"
        "done = set(Task.objects.filter(pk__in=completed, completed=True)"
        ".values_list('pk', flat=True))\n"
        "gone = set(Task.objects.filter(pk__in=deleted, deleted_at__isnull=False)"
        ".values_list('pk', flat=True))\n"
        "print(json.dumps({'create': len(set(created) - found), "
        "'complete': len(set(completed) - done), 'delete': len(set(deleted) - gone)}))\n"
    )
    missing = json.loads(run.manage("shell", "--no-imports", "-c", query).strip())
    if missing["create"] < 1:
        raise RuntimeError("the check did not miss task 0, which never exists")
    missing["create"] -= 1
    return {
        "acknowledged": dict(kinds),
        "acked_after": after,
        "missing": missing,
        "lost": sum(missing.values()),
    }


def markdown(report: dict) -> str:
    a = report["A"]
    acked = report["acknowledged"]
    by_status = ", ".join(f"{n} x {k}" for k, n in report["failures"].items()) or "-"
    return (
        "# make bench RESTART_DB=1\n\n"
        f"{report['when']}: scenario A, {report['users']} users, {SECONDS} s; "
        f"PostgreSQL (behind PgBouncer) restarted at {RESTART_AT} s, back after "
        f"{report['restart_seconds']} s.\n\n"
        "| Requests | Failures | by status | rps | p50 | p99 | max |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        f"| {a['requests']} | {a['failures']} | {by_status} | {a['rps']} | "
        f"{a['p50_ms']} ms | {a['p99_ms']} ms | {a['max_ms']} ms |\n\n"
        "| Acknowledged writes | creates | completes | deletes | after the restart "
        "| lost |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        f"| {sum(acked.values())} | {acked.get('create', 0)} | "
        f"{acked.get('complete', 0)} | {acked.get('delete', 0)} | "
        f"{report['acked_after']} | {report['lost']} |\n"
    )


if __name__ == "__main__":
    sys.exit(main())
