"""The audit log: append-only JSON lines, filtered per workspace, safe across threads."""

from __future__ import annotations

import json
import threading

from cxlens.api.audit import AUDIT_FILE, AuditLog


def test_lines_are_appended_and_read_back(tmp_path):
    log = AuditLog(tmp_path)
    log.record("upload", key_id="k1", role="analyst", workspace="a", target="responses",
               detail={"rows_loaded": 3})  # fmt: skip
    log.record("upload", key_id="k2", role="viewer", workspace="b", outcome="refused")
    first = (tmp_path / AUDIT_FILE).read_text().splitlines()[0]
    log.record("key revoke", key_id="cli", workspace="a", target="k2")
    lines = (tmp_path / AUDIT_FILE).read_text().splitlines()
    assert len(lines) == 3 and lines[0] == first  # earlier lines never change
    frame = log.read()
    assert frame["key_id"].tolist() == ["k1", "k2", "cli"]
    assert frame["detail"].iloc[0] == {"rows_loaded": 3}
    assert log.read(["a"])["action"].tolist() == ["upload", "key revoke"]
    assert log.read(["a"], limit=1)["action"].tolist() == ["key revoke"]


def test_concurrent_writers_never_interleave(tmp_path):
    log = AuditLog(tmp_path)

    def write(i: int) -> None:
        for j in range(50):
            log.record("upload", key_id=f"k{i}", workspace="a", detail={"pad": "x" * 500, "j": j})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / AUDIT_FILE).read_text().splitlines()
    assert len(lines) == 400
    assert all(json.loads(line)["detail"]["pad"] == "x" * 500 for line in lines)
