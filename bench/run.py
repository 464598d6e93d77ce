"""`make bench`: seed, serve the production configuration, load it, report.

Every process it starts (the server, wrk, locust, pgbench) runs on loopback,
is bounded in time, and is stopped by this script. Results go to
bench/results/latest.md and latest.json (latest-N-users.* for BENCH_USERS=N other
than 1000), and the table is printed.

Environment: DATABASE_URL (default: the machine's PostgreSQL, database
todo_bench), REDIS_URL (default: the machine's Redis, database 1), BENCH_USERS (1000; 10000 for the large run), BENCH_PORT (8765),
WEB_CONCURRENCY (server workers, 2), SOAK=1 (scenario A for 5 minutes, with the
server's memory sampled before and after).
"""

import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import urlopen

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
USERS = int(os.environ.get("BENCH_USERS", "1000"))
TASKS_PER_USER = 100
# The bench's users (deleted and seeded again by every run).
PREFIX = f"bench{USERS}v2"
SOAK = os.environ.get("SOAK") == "1"
WARMUP_SECONDS = 5
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/todo_bench"
)
ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "DATABASE_URL_DIRECT": "",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_LOG_LEVEL": "WARNING",
    # Production runs with Redis; the machine's, database 1.
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
}


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def manage(*args: str, timeout: int = 900) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return result.stdout


def prepare_database() -> Path:
    """Create and migrate the bench database, seed it afresh, and write one
    token per user.

    Every run measures the same data: the bench's users from an earlier run,
    with the tasks its writes added, completed and trashed, are deleted first.
    """
    name = DATABASE_URL.rsplit("/", 1)[1].split("?")[0]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(
        [
            "psql",
            admin_url,
            "-Atc",
            f"SELECT 1 FROM pg_database WHERE datname='{name}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(
            ["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], check=True
        )
    manage("migrate", "--noinput", "-v", "0")
    prefix = PREFIX
    deleted = manage("shell", "--no-imports", "-c", delete_users_code(prefix)).strip()
    if deleted != "0":
        log(f"deleted {deleted} users of an earlier run, with their tasks")
    log(f"seeding {USERS} users x {TASKS_PER_USER} tasks")
    log(
        manage(
            "seed_tasks",
            f"--users={USERS}",
            f"--tasks-per-user={TASKS_PER_USER}",
            "--seed=1",
            f"--prefix={prefix}",
        )
        .strip()
        .splitlines()[-1]
    )
    # The deleted rows' dead tuples would slow every index scan until
    # autovacuum came round (631,662 of them after one run).
    subprocess.run(["psql", DATABASE_URL, "-qc", "VACUUM (ANALYZE)"], check=True)
    tokens = RESULTS / "tokens.txt"
    manage("shell", "--no-imports", "-c", token_code(prefix, tokens))
    return tokens


def delete_users_code(prefix: str) -> str:
    return (
        "from users.models import User; "
        f"print(User.objects.filter(username__startswith='{prefix}-').delete()[1]"
        ".get('users.User', 0))"
    )


def token_code(prefix: str, path: Path) -> str:
    # Fresh tokens each run (the old ones are deleted), one per seeded user;
    # beside them, each user's fullest list and a top-level task in it.
    places = path.with_name("places.txt")
    return (
        "from django.db.models import Count\n"
        "from knox.models import AuthToken; from users.models import User\n"
        "from tasks.models import Task, TaskList\n"
        f"users = list(User.objects.filter(username__startswith='{prefix}-'))\n"
        "AuthToken.objects.filter(user__in=users).delete()\n"
        f"with open({str(path)!r}, 'w') as out, open({str(places)!r}, 'w') as at:\n"
        "    for user in users:\n"
        "        out.write(AuthToken.objects.create(user)[1] + '\\n')\n"
        "        lists = TaskList.objects.filter(owner=user, is_inbox=False)\n"
        "        fullest = lists.annotate(n=Count('tasks')).order_by('-n').first()\n"
        "        task = Task.objects.filter(list=fullest, parent=None).first()\n"
        "        at.write(f'{fullest.pk} {task.pk}\\n')\n"
    )


@contextmanager
def server(**env: str):
    """The production configuration: `make serve`'s command, DEBUG off, with
    `env` added to its environment."""
    manage("collectstatic", "--noinput", "-v", "0")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "serve")],
        cwd=ROOT,
        env={**ENV, "PORT": str(PORT), "VENV_BIN": str(BIN), **env},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(f"{BASE}/health/live", timeout=2):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


class CPU:
    """CPU seconds used by the server and by PostgreSQL."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def sample(self) -> dict[str, float]:
        totals = {"server": 0.0, "database": 0.0}
        server_pids = {self.server_pid} | {
            child.pid for child in psutil.Process(self.server_pid).children(True)
        }
        for proc in psutil.process_iter(["pid", "name", "cpu_times"]):
            times = proc.info["cpu_times"]
            if times is None:
                continue
            # A parent holds the time of the children it has reaped: PostgreSQL
            # backends that ended since the last sample are counted there.
            used = (
                times.user + times.system + times.children_user + times.children_system
            )
            if proc.info["pid"] in server_pids:
                totals["server"] += used
            elif proc.info["name"] and proc.info["name"].startswith("postgres"):
                totals["database"] += used
        return totals


def _reaped_children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_load(
    command: list[str], cpu: CPU, env: dict, timeout: float
) -> tuple[str, dict]:
    """Run a load generator to its end (at most `timeout` seconds); its output,
    and the CPU % of one core (200 = both cores) each side used meanwhile."""
    before, load_before = cpu.sample(), _reaped_children_seconds()
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=timeout, check=False,
    )  # fmt: skip
    wall = time.monotonic() - started
    after = cpu.sample()
    # The load generator is this process's only child that ends in the window,
    # so the time of reaped children grows by exactly its own.
    used = {group: after[group] - before[group] for group in before}
    used["load"] = _reaped_children_seconds() - load_before
    percent = {group: round(100 * seconds / wall) for group, seconds in used.items()}
    return completed.stdout, {"cpu_percent": percent}


def wrk(cpu: CPU, tokens: Path, path: str, connections: int, seconds: int,
        method: str = "GET", warmup: int = WARMUP_SECONDS,
        body: str | None = None) -> dict:  # fmt: skip
    """`seconds` of load, measured after `warmup` seconds of the same load: steady
    state, not the refill of caches that the previous scenario's writes emptied.
    {list} and {task} in `path` stand for each user's own (places.txt)."""
    threads = min(2, connections)
    env = {
        **ENV,
        "BENCH_TOKENS": str(tokens),
        "BENCH_PLACES": str(tokens.with_name("places.txt")),
        "BENCH_PATH": path,
        "BENCH_METHOD": method,
        **({"BENCH_BODY": body} if body else {}),
    }
    subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{warmup}s",
         "-s", str(ROOT / "bench" / "wrk.lua"), BASE],
        cwd=ROOT, env=env, capture_output=True, timeout=warmup + 60, check=True,
    )  # fmt: skip
    output, result = run_load(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout=10s",
         "-s", str(ROOT / "bench" / "wrk.lua"), BASE],
        cpu, env, seconds + 60,
    )  # fmt: skip
    match = re.search(r"BENCH_JSON (\{.*\})", output)
    if not match:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    summary = json.loads(match.group(1))
    summary["rps"] = round(summary["requests"] / summary["seconds"])
    summary["errors"] = sum(
        summary[key] for key in ("connect_errors", "read_errors", "write_errors",
                                 "timeouts", "non_2xx")
    )  # fmt: skip
    return {**summary, **result}


def locust(cpu: CPU, tokens: Path, users: int, seconds: int) -> dict:
    ramp = 10
    csv_prefix = RESULTS / "locust"
    env = {**ENV, "BENCH_TOKENS": str(tokens)}
    _, result = run_load(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
         "-u", str(users), "-r", str(users // ramp), "-t", f"{seconds + ramp}s",
         "--host", BASE, "--csv", str(csv_prefix), "--reset-stats", "--only-summary",
         "--stop-timeout", "5"],
        cpu, env, seconds + ramp + 90,
    )  # fmt: skip
    rows = (csv_prefix.with_name("locust_stats.csv")).read_text().splitlines()
    header = rows[0].split(",")
    total = dict(zip(header, rows[-1].split(","), strict=False))
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"])),
        "p50_ms": round(float(total["50%"]), 2),
        "p95_ms": round(float(total["95%"]), 2),
        "p99_ms": round(float(total["99%"]), 2),
        "max_ms": round(float(total["Max Response Time"]), 2),
        **result,
    }


def pgbench(seconds: int) -> dict:
    """The database's ceiling: the SQL of one list request, straight to PostgreSQL.

    The token with its user, the user's other tokens, and the page with its
    tags and the count (one query, as CountingPaginator makes it).
    """
    bounds = subprocess.run(
        ["psql", DATABASE_URL, "-Atc",
         f"SELECT min(id), max(id) FROM users_user WHERE username LIKE '{PREFIX}-%'"],
        capture_output=True, text=True, check=True,
    ).stdout.strip().split("|")  # fmt: skip
    script = RESULTS / "list.sql"
    script.write_text(
        f"\\set owner random({bounds[0]}, {bounds[1]})\n"
        "SELECT * FROM knox_authtoken t JOIN users_user u ON u.id = t.user_id "
        "WHERE t.user_id = :owner;\n"
        "SELECT * FROM knox_authtoken WHERE user_id = :owner;\n"
        "SELECT t.*, (SELECT JSONB_AGG(g.name) FROM tasks_task_tags l "
        "JOIN tasks_tag g ON g.id = l.tag_id WHERE l.task_id = t.id), "
        "COUNT(*) OVER () FROM tasks_task t "
        "WHERE t.owner_id = :owner AND t.deleted_at IS NULL "
        "ORDER BY t.created_at DESC, t.id DESC LIMIT 20;\n"
    )
    output = subprocess.run(
        ["pgbench", "-n", "-c", "8", "-j", "2", "-T", str(seconds), "-f", str(script),
         DATABASE_URL],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout  # fmt: skip
    match = re.search(r"tps = ([\d.]+)", output)
    if not match:
        raise RuntimeError(f"pgbench printed no tps:\n{output}")
    return {"rps": round(float(match.group(1)))}


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not shutil.which("wrk"):
        raise SystemExit(
            "wrk is missing: make bench installs it (apt-get install wrk)."
        )
    started = time.monotonic()
    tokens = prepare_database()
    results: dict = {}
    with server() as process:
        cpu = CPU(process.pid)
        list_path = "/api/v1/tasks/"
        log("D: trivial endpoint, 64 connections, 10 s")
        results["D_trivial"] = wrk(cpu, tokens, "/health/live", 64, 10)
        log("D: pgbench, the list's SQL, 8 clients, 10 s")
        results["D_pgbench"] = pgbench(10)
        log("C: list, 64 connections, 15 s")
        # The first load to read as every user: the tokens are new, so each
        # user's first request fills the token and page caches. A longer
        # warm-up lets that finish before measuring, on a slow machine too.
        results["C_list"] = wrk(cpu, tokens, list_path, 64, 15, warmup=15)
        log("C: list no page cache can serve, 64 connections, 15 s")
        results["C_list_uncached"] = wrk(
            cpu, tokens, list_path + "?completed=false&ordering=title", 64, 15
        )
        log("C: a list in manual order, pages 1 and 2; the lists; 64 connections, 15 s")
        in_order = list_path + "?list={list}&ordering=position"
        results["C_list_in_order"] = wrk(cpu, tokens, in_order, 64, 15)
        results["C_list_in_order_page_2"] = wrk(
            cpu, tokens, in_order + "&page=2", 64, 15
        )
        results["C_lists"] = wrk(cpu, tokens, "/api/v1/lists/", 64, 15)
        log("C: create, 64 connections, 15 s")
        results["C_create"] = wrk(cpu, tokens, list_path, 64, 15, method="POST")
        log(
            "C: PATCH a task, then move it first among its siblings, 64 connections, 15 s each"
        )
        task_path = list_path + "{task}/"
        results["C_patch"] = wrk(cpu, tokens, task_path, 64, 15, method="PATCH",
                                 body='{"priority": "high"}')  # fmt: skip
        results["C_move"] = wrk(cpu, tokens, task_path + "move/", 64, 15,
                                method="POST", body='{"after": null}')  # fmt: skip
        log("B: list, 1000 open connections, 30 s")
        results["B_1000_connections"] = wrk(cpu, tokens, list_path, 1000, 30)
        seconds = 300 if SOAK else 60
        log(f"A: 1000 users pausing 1-3 s, {seconds} s after a 10 s ramp")
        memory_before = server_memory(process.pid)
        results["A_1000_users"] = locust(cpu, tokens, 1000, seconds)
        memory_after = server_memory(process.pid)
        results["A_1000_users"]["server_rss_mb"] = [memory_before, memory_after]
    with server(API_OPTIMIZATIONS="false") as process:
        log("E: C's list with the optimisations off, 64 connections, 15 s")
        results["E_list_baseline"] = wrk(CPU(process.pid), tokens, list_path, 64, 15)
    results["meta"] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{round(psutil.virtual_memory().total / 2**30)} GiB",
        "users": USERS,
        "tasks": USERS * TASKS_PER_USER,
        "server": f"granian WSGI, {os.environ.get('WEB_CONCURRENCY', '2')} workers x "
        f"{os.environ.get('GRANIAN_BLOCKING_THREADS', '2')} threads",
        "soak": SOAK,
        "seconds": round(time.monotonic() - started),
    }
    # The default run is "latest"; a run with other users keeps its own file.
    name = "latest" if USERS == 1000 else f"latest-{USERS}-users"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    table = report(results)
    (RESULTS / f"{name}.md").write_text(table)
    print(table)


def server_memory(pid: int) -> float:
    processes = [psutil.Process(pid), *psutil.Process(pid).children(True)]
    return round(sum(p.memory_info().rss for p in processes) / 2**20, 1)


def report(results: dict) -> str:
    meta = results["meta"]
    lines = [
        "# Benchmark",
        "",
        f"{meta['when']} on {meta['machine']}; {meta['users']} users, {meta['tasks']} "
        f"tasks; {meta['server']}; load generator on the same machine; "
        f"{meta['seconds']} s in all.",
        "",
        "| Scenario | req/s | p50 ms | p95/p90 ms | p99 ms | max ms | errors | CPU % server / db / load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for name, result in results.items():
        if name == "meta":
            continue
        cpu = result.get("cpu_percent", {})
        cpu_text = (
            f"{cpu.get('server', '-')} / {cpu.get('database', '-')} / {cpu.get('load', '-')}"
            if cpu else "-"
        )  # fmt: skip
        lines.append(
            f"| {name} | {result.get('rps', '-')} | {result.get('p50_ms', '-')} | "
            f"{result.get('p95_ms', result.get('p90_ms', '-'))} | "
            f"{result.get('p99_ms', '-')} | {result.get('max_ms', '-')} | "
            f"{result.get('errors', result.get('failures', '-'))} | {cpu_text} |"
        )
    lines += ["", "| Target | Measured | Met |", "| --- | --- | --- |"]
    for target, measured, met in targets(results):
        lines.append(f"| {target} | {measured} | {'yes' if met else 'no'} |")
    baseline = results["E_list_baseline"]["rps"]
    lines += [
        "",
        f"E, the baseline: C's list with API_OPTIMIZATIONS=false did {baseline} req/s; "
        f"optimised, it does {results['C_list']['rps'] / baseline:.1f}x that.",
    ]
    return "\n".join(lines) + "\n"


def targets(r: dict) -> list[tuple[str, str, bool]]:
    a, b = r["A_1000_users"], r["B_1000_connections"]
    c, uncached, create = r["C_list"], r["C_list_uncached"], r["C_create"]
    share = 100 * c["rps"] / r["D_trivial"]["rps"]
    memory = r["A_1000_users"]["server_rss_mb"]
    growth = 100 * (memory[1] - memory[0]) / memory[0]
    return [
        ("A: 0 failures, p99 < 250 ms", f"{a['failures']} failures, p99 {a['p99_ms']} ms",
         a["failures"] == 0 and a["p99_ms"] < 250),
        ("B: 0 errors, p99 < 750 ms", f"{b['errors']} errors, p99 {b['p99_ms']} ms",
         b["errors"] == 0 and b["p99_ms"] < 750),
        ("C: list >= 2000 req/s, p99 < 75 ms", f"{c['rps']} req/s, p99 {c['p99_ms']} ms",
         c["rps"] >= 2000 and c["p99_ms"] < 75),
        ("C: create >= 600 req/s", f"{create['rps']} req/s", create["rps"] >= 600),
        ("C: uncacheable list >= 1000 req/s", f"{uncached['rps']} req/s",
         uncached["rps"] >= 1000),
        ("list >= 30% of the trivial endpoint", f"{share:.0f}%", share >= 30),
        *[
            (f"{name} >= 80% of the uncacheable list",
             f"{r[name]['rps']} req/s, {100 * r[name]['rps'] / uncached['rps']:.0f}%",
             r[name]["rps"] >= 0.8 * uncached["rps"])
            for name in ("C_list_in_order", "C_list_in_order_page_2", "C_lists")
        ],
        ("move >= PATCH", f"{r['C_move']['rps']} vs {r['C_patch']['rps']} req/s",
         r["C_move"]["rps"] >= r["C_patch"]["rps"]),
        ("server memory over A: growth < 10% (a soak: SOAK=1)",
         f"{memory[0]} -> {memory[1]} MiB ({growth:+.1f}%)"
         + ("" if r["meta"]["soak"] else ", not a soak run"),
         growth < 10 and r["meta"]["soak"]),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
