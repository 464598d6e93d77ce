"""Schemathesis hooks for `make fuzz` (fuzz/run.py loads this module).

The peers log in by name through the API, so that a token the fuzzer revokes
(logout, logout-all) is replaced by a new one; a peer the fuzzer renames
(PATCH /api/v1/users/me/ with a new, valid username) gets its name back at
once, and the rename itself stays fuzzed.
"""

import json
import os

import requests
import schemathesis

# {"<user id>": "<username>"}, as fuzz/run.py registered them.
PEERS: dict[str, str] = json.loads(os.environ.get("FUZZ_PEERS", "{}"))


@schemathesis.hook
def after_call(ctx, case, response) -> None:
    if (
        case.method.upper() != "PATCH"
        or case.operation.path != "/api/v1/users/me/"
        or response.status_code != 200
    ):
        return
    answer = response.json()
    name = PEERS.get(str(answer.get("id")))
    if name is None or answer.get("username") == name:
        return
    restored = requests.patch(
        response.request.url,
        json={"username": name},
        headers={"Authorization": response.request.headers["Authorization"]},
        timeout=10,
    )
    if restored.status_code != 200:
        raise RuntimeError(f"{name} could not be renamed back: {restored.text}")
