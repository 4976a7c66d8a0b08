"""Property-based run of the live server's OpenAPI spec: no request may cause a server error.

Schemathesis reads ``/api/v1/openapi.json`` from a server of its own (it uploads files, so it
gets its own workspaces), generates valid and invalid requests for every operation, sends
them with an admin key, and checks that none answers 5xx.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.api.conftest import serve_folder, stop_server


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory):
    server = serve_folder(tmp_path_factory.mktemp("api-fuzz"))
    yield server
    stop_server(server.process)


@pytest.mark.slow
def test_no_server_errors(fuzzed_server):
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {fuzzed_server.keys['acme_admin']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    tried = 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def check(case: schemathesis.Case) -> None:
                case.call_and_validate(
                    base_url=fuzzed_server.url, headers=headers, checks=[not_a_server_error]
                )

            try:
                check()
            except Unsatisfiable:
                # an operation without parameters (health) has no invalid requests to make
                assert mode is GenerationMode.NEGATIVE, operation.label
            tried += 1
    assert tried == 2 * len(operations)
