"""After an erasure over the API, no log of the server names the customer.

A server with access logging on (``--log-level info``) serves a profile read, a failed read
of an unknown id and an erasure; then the server's log (every access line and error) and
the audit log are scanned for the customer's id and for who asked. The access lines must
still be there, with the id replaced, so the scan is not vacuous.
"""

from __future__ import annotations

import re

import pytest

from cxlens.api.audit import AUDIT_FILE
from tests.api.conftest import serve_folder, stop_server


@pytest.fixture(scope="module")
def logged_server(tmp_path_factory):
    server = serve_folder(tmp_path_factory.mktemp("api-logs"), log_level="info")
    yield server
    stop_server(server.process)


@pytest.mark.slow  # a live server of its own; erasure itself is tested in tests/store
def test_no_log_names_the_erased_customer(logged_server):
    server = logged_server
    responses = server.tables["acme"]["responses"]
    cid = str(responses["customer_id"].dropna().iloc[0])
    asker = "dpo.jones@firm.example"
    api = "/api/v1/workspaces/acme/customers"
    with server.client("acme_analyst") as c:
        assert c.get(f"{api}/{cid}").status_code == 200
        assert c.get(f"{api}/{cid}x-nobody").status_code == 404
    with server.client("acme_admin") as c:
        erased = c.delete(f"{api}/{cid}", params={"reason": "GDPR art. 17", "requested_by": asker})
        assert erased.status_code == 200, erased.text
        assert c.get(f"{api}/{cid}").status_code == 404
    stop_server(server.process)  # flushes the log
    log = (server.folder / "server.log").read_text(encoding="utf-8")
    audit = (server.folder / AUDIT_FILE).read_text(encoding="utf-8")
    access = [line for line in log.splitlines() if "/customers/" in line]
    assert len(access) >= 4, log[-2000:]
    assert all("/customers/{customer_id}" in line for line in access)
    assert any('DELETE /api/v1/workspaces/acme/customers/{customer_id}?reason=…&requested_by=…'
               in line for line in access)  # fmt: skip
    word = re.compile(rf"(?<![A-Za-z0-9]){re.escape(cid)}(?![A-Za-z0-9])")
    for name, text in (("server log", log), ("audit log", audit)):
        assert not word.search(text), f"the {name} names the erased customer"
        assert asker not in log, f"the {name} names who asked"
