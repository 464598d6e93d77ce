"""`make fuzz`: Schemathesis against the production server and its own schema.

Starts scripts/serve on loopback (DEBUG off) on a fresh PostgreSQL database,
registers two peer users, and runs every operation of /api/schema/ with all of
Schemathesis' checks. `object_level_authorization` replays each user's reads
of their own objects as the other user: getting the object fails the run.
fuzz/schemathesis.toml holds the configuration and why each setting is there.

Environment:
- FUZZ_DATABASE_URL: default the machine's PostgreSQL, database todo_fuzz,
  dropped and created afresh (so its name must contain "fuzz");
- FUZZ_SECONDS: unset (one pass of each phase, as CI runs it), or how long
  to repeat the phases;
- FUZZ_SEED: default a fixed seed, so that a CI run can be replayed here;
- FUZZ_ARGS: more options for `schemathesis run`.

Exit status: Schemathesis' own (0 when every check passed).
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

from todo_project.tests.live import call, server  # noqa: E402

# Its own variable: the database is dropped and created afresh each run.
DATABASE_URL = os.environ.get(
    "FUZZ_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/todo_fuzz"
)
# Unset: one pass of every phase, the same cases each run (CI). Set: phases
# repeat until the time is spent, exploring further.
SECONDS = os.environ.get("FUZZ_SECONDS", "")
SEED = os.environ.get("FUZZ_SEED", "20261126")
# More options for `schemathesis run`, e.g. "--include-path-regex ^/api/v1/tags".
EXTRA = shlex.split(os.environ.get("FUZZ_ARGS", ""))
PEERS = ("alice", "bob")
# A fuzzer sends thousands of requests a minute from one address and logs in
# over and over; the limits themselves are tested in todo_project/tests.
NO_LIMITS = {
    "RATE_LIMIT_USER": "1000000/minute",
    "RATE_LIMIT_ANON": "1000000/minute",
    "RATE_LIMIT_LOGIN": "1000000/minute",
    "RATE_LIMIT_REGISTER": "1000000/hour",
}


def log(message: str) -> None:
    print(f"fuzz: {message}", flush=True)


def prepare_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z0-9_]*fuzz[a-z0-9_]*", name):
        raise SystemExit(
            f"fuzz: refusing to drop {name!r}: a fuzz database is named like "
            "todo_fuzz (lower case, digits, _, and 'fuzz')"
        )
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    for statement in (
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    ):
        subprocess.run(["psql", admin_url, "-qc", statement], check=True)
    # Migrations go to this database only: manage.py would prefer a
    # DATABASE_URL_DIRECT from the environment or .env.
    environment = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "DATABASE_URL_DIRECT": "",
        "DJANGO_DEBUG": "true",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=environment,
        check=True,
    )


def register(base: str, username: str, password: str) -> int:
    """Register a peer; its user id."""
    status, body, _, _ = call(
        base,
        "POST",
        "/api/v1/auth/register/",
        body={
            "username": username,
            "email": f"{username}@example.com",
            "password": password,
        },
    )
    if status != 201:
        raise SystemExit(f"fuzz: registering {username} answered {status}: {body}")
    return body["id"]


def auth_document(password: str) -> dict:
    """A Web Fuzzing Commons auth file: each peer logs in through the API, so a
    token the fuzzer revokes (logout, logout-all) is replaced by a new one."""
    return {
        "auth": [
            {
                "name": username,
                "loginEndpointAuth": {
                    "endpoint": "/api/v1/auth/login/",
                    "verb": "POST",
                    "contentType": "application/json",
                    "payloadUserPwd": {
                        "username": username,
                        "usernameField": "username",
                        "password": password,
                        "passwordField": "password",
                    },
                    "token": {
                        "extractFrom": "body",
                        "extractSelector": "/token",
                        "sendIn": "header",
                        "sendName": "Authorization",
                        "sendTemplate": "Bearer {token}",
                    },
                },
            }
            for username in PEERS
        ]
    }


def main() -> int:
    log(f"database {DATABASE_URL.rsplit('/', 1)[1]}")
    prepare_database()
    password = "fuzz-" + os.urandom(12).hex()
    with (
        server(DATABASE_URL, 2, 2, **NO_LIMITS) as live,
        tempfile.TemporaryDirectory() as tmp,
    ):
        peers = {
            str(register(live.base, username, password)): username for username in PEERS
        }
        auth = Path(tmp) / "auth.json"
        auth.write_text(json.dumps(auth_document(password)))
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(BASE_DIR / "fuzz" / "schemathesis.toml"),
            "run",
            f"{live.base}/api/schema/",
            "--checks",
            "all",
            *(["--max-time", SECONDS] if SECONDS else []),
            "--seed",
            SEED,
            # One worker: Python 3.11's compiler is not safe to call from
            # two threads ("AST constructor recursion depth mismatch").
            "--workers",
            "1",
            *EXTRA,
        ]
        log(" ".join(command))
        environment = {
            **os.environ,
            "FUZZ_AUTH_FILE": str(auth),
            # fuzz/hooks.py: a renamed peer gets its name back.
            "SCHEMATHESIS_HOOKS": "fuzz.hooks",
            "PYTHONPATH": str(BASE_DIR),
            "FUZZ_PEERS": json.dumps(peers),
        }
        status = subprocess.run(
            command, cwd=BASE_DIR, env=environment, check=False
        ).returncode
        # Had a peer been left renamed (PATCH /users/me/; fuzz/hooks.py renames
        # it back), its later requests went out without a token and checked
        # little: that run proves nothing.
        for username in PEERS:
            body = {"username": username, "password": password}
            if call(live.base, "POST", "/api/v1/auth/login/", body=body)[0] != 200:
                log(f"{username} can no longer log in: the run is not valid")
                status = status or 1
        return status


if __name__ == "__main__":
    sys.exit(main())
