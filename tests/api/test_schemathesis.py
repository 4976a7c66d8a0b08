"""Property-based run of the live server's OpenAPI spec with every schemathesis check.

Schemathesis reads ``/api/v1/openapi.json`` from a server of its own (it uploads files and
erases customers, so it gets its own workspaces), generates valid and invalid requests for
every operation, sends them with an admin key and runs every check it has: no server
error, status codes, content types, headers and bodies as the spec documents them, invalid
requests refused, valid requests accepted, auth enforced, unsupported methods refused.

Workspace names are generated as the spec allows; a name that fits the pattern is replaced
by ``acme`` so requests reach the analyses instead of stopping at 404.

One refusal of a valid request is expected and checked for what it is: the spec cannot know
a workspace's data, so a request that names a column the workspace does not have, or asks
for an analysis its data cannot support, answers 422 with ``error`` SchemaError,
NotEnoughDataError or MappingError (the column or table names in ``detail``). The one
dependencies between parameters that a spec cannot state (``/norms``: ``value`` needs
``metric``; ``since`` after ``until``) are listed below. Any other 422 on valid data fails
the run.

Budget: ``MAX_EXAMPLES`` requests per operation and mode (about 2 minutes on two cores);
``CXLENS_FUZZ_EXAMPLES`` raises it for a longer run.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, is_check_class, load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import serve_folder, stop_server

MAX_EXAMPLES = int(os.environ.get("CXLENS_FUZZ_EXAMPLES", "4"))

#: Refusals of schema-valid requests that depend on the workspace's data.
DATA_DEPENDENT = frozenset({"SchemaError", "NotEnoughDataError", "MappingError"})

#: (operation or None for any, start of detail) of refusals a spec cannot express:
#: dependencies between parameters.
PARAMETER_DEPENDENCIES = {
    ("GET /api/v1/norms", "value needs metric"),
    (None, "the date range is empty"),
    # a date-time format has no bounds in JSON Schema; the engine holds years 1677-2262
    ("POST /api/v1/workspaces/{name}/events", "occurred_at of event"),
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _refusal(response: Any) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    return str(body.get("error", "")), str(body.get("detail", ""))


def positive_data_acceptance_beside_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' positive_data_acceptance, except for the refusals documented above."""
    if response.status_code == 422:
        kind, detail = _refusal(response)
        label = case.operation.label
        if kind in DATA_DEPENDENT or any(
            op in (None, label) and detail.startswith(text) for op, text in PARAMETER_DEPENDENCIES
        ):
            return None
    return positive_data_acceptance(ctx, response, case)


def all_checks() -> list:
    """Every check schemathesis registers, the positive-data one as explained above."""
    load_all_checks()
    checks = [c for c in CHECKS.get_all() if not is_check_class(c)]
    assert len(checks) >= 12, [c.__name__ for c in checks]
    return [positive_data_acceptance_beside_data if c is positive_data_acceptance else c
            for c in checks]  # fmt: skip


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory):
    server = serve_folder(tmp_path_factory.mktemp("api-fuzz"))
    yield server
    stop_server(server.process)


@pytest.mark.slow
def test_every_check_passes_on_every_operation(fuzzed_server):
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {fuzzed_server.keys['acme_admin']}"}
    checks = all_checks()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    failures: list[str] = []
    sent = 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                      database=None, suppress_health_check=list(HealthCheck))  # fmt: skip
            def check(case: schemathesis.Case) -> None:
                nonlocal sent
                path = case.path_parameters or {}
                if _NAME.match(str(path.get("name", ""))):
                    path["name"] = "acme"
                sent += 1
                case.call_and_validate(
                    base_url=fuzzed_server.url, headers=headers, checks=checks, timeout=120
                )

            try:
                check()
            except Unsatisfiable:
                # an operation without parameters (health) has no invalid requests to make
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # collect all, report together
                failures.append(f"{operation.label} ({mode.name}): {str(exc)[:1500]}")
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
    assert sent >= len(operations) * 2


def test_the_spec_documents_the_error_body_for_every_error(served):  # reads the spec only
    import httpx

    spec = httpx.get(f"{served.url}/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error = spec["components"]["schemas"]["ErrorBody"]
    assert error["properties"]["detail"]["type"] == "string"
    for path, item in spec["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            assert {"422", "500"} <= codes, (method, path, codes)
            if "{name}" in path:
                assert {"401", "403", "404", "409"} <= codes, (method, path, codes)
            for code in codes - {"200", "202"}:
                ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, code)
