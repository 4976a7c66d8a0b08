"""Every code example of README.md and docs/*.md runs: the Python blocks and the `cxlens` lines.

Each page runs in a folder of its own, a copy of one small demo workspace (built once per
module with ``run_demo``) under every name the examples use (``acme.duckdb``, ``ws.duckdb``,
``demo/cxlens.duckdb``), beside the input files they name, made from the demo's sample data,
the test fixtures and the YAML blocks of the docs themselves. A page's ```python blocks run in
order in one namespace (later blocks continue earlier ones); its ```bash / ```console lines
that start with ``cxlens`` run through typer's CliRunner, in order, after the page's Python.

What cannot run offline, or would run for minutes, is not run by an explicit rule below
(``NOT_RUN_STATEMENTS``, ``NOT_RUN_COMMANDS``, ``OTHER_SHELL``), each with its reason; a rule
that matches nothing fails the test, so the list stays true to the docs. Statements that read
``../shared/data`` (the CDNOW files beside the repository) run when it is there; without it
the page's other statements run and the test reports a skip naming them. Names an example
takes as given (a frame of answers, a second workspace) are in ``GIVENS``.
"""

from __future__ import annotations

import ast
import json
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cxlens
from cxlens.cli import app
from cxlens.demo import run_demo

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PAGES = ["README.md", *sorted(f"docs/{p.name}" for p in (REPO / "docs").glob("*.md"))]
FIXTURES = REPO / "tests" / "fixtures"
#: ../shared beside the repository: the CDNOW data models.md reads (absent outside the project).
SHARED = REPO.parent / "shared"
CHROMIUM = shutil.which("chromium") is not None

#: Top-level Python statements not run, by a piece of their source, per page, and why.
NOT_RUN_STATEMENTS: dict[str, dict[str, str]] = {
    "docs/actions.md": {
        "notify(ws,": "delivers to the example's webhook and SMTP hosts (network); "
        "tests/actions/test_cli_actions.py runs it against local receivers",
    },
    "docs/collect.md": {
        "surveys.token(invitation_id)": "needs an invitation still open: the sample's events "
        "are from 2024 and their links expired; tests/collect cover tokens",
        "surveys.answer(token": "the token of the statement above; tests/collect cover answers",
    },
    "docs/report.md": {} if CHROMIUM else {"export_pdf(": "needs Debian's chromium"},
}

#: `cxlens` command lines not run, by their start, and why.
NOT_RUN_COMMANDS: dict[str, str] = {
    "cxlens serve": "serves until stopped; tests/api and tests/dashboard run the app in-process",
    "cxlens demo": "builds the 20,000-customer demo (minutes); tests/test_demo.py runs it small",
    "cxlens notify": "delivers to the example's webhook and SMTP hosts (network); "
    "tests/actions/test_cli_actions.py runs it against local receivers",
    "cxlens surveys send": "sends e-mail over SMTP (network); tests/collect cover sending",
}

#: Shell lines that are not `cxlens` commands, by their first word, and why they are not run.
OTHER_SHELL: dict[str, str] = {
    "make": "sets up the virtualenv or runs the whole suite",
    "curl": "talks to a running `cxlens serve` (tests/api run the same requests in-process)",
    "export": "sets an environment variable in the reader's shell",
    "sudo": "installs system packages (chromium, fonts); .ci/run installs them",
    "CXLENS_SCREENSHOTS=1": "runs the browser tests (marked browser)",
}

#: Python run before a page's first block: names its examples take as given.
GIVENS: dict[str, str] = {
    "docs/analysis-drivers.md": (
        "from cxlens.analysis.drivers import driver_patterns\n"
        "frame = ws.table('responses').select('nps', 'driver_speed', 'driver_price')"
        ".drop_null().to_pandas()  # answers\n"
        "patterns = driver_patterns(ws, 'nps').to_pandas()  # patterns with counts\n"
    ),
    "docs/identity.md": "truth = pd.read_csv('truth.csv')  # source, source_id, true id\n",
    "docs/models-churn.md": (
        "clv_table = pd.DataFrame({'customer_id': ['C000001', 'C000002'], 'clv': [120.0, 80.0]})\n"
    ),
    "docs/privacy.md": (
        "frame = pd.DataFrame({'customer_id': ['C000001', 'C000002'], 'nps': [9, 3]})\n"
        "new_ws = cxlens.Workspace('new.duckdb')  # a workspace with no secret yet\n"
    ),
}


def _key_id(work: Path) -> str:
    """The id of the first key the page created (``cxlens keys revoke KEY_ID``)."""
    return json.loads((work / "demo" / "_cxlens_keys.json").read_text())["keys"][0]["key_id"]


def _crm_id(work: Path) -> str:
    """A CRM record id of the sample (``cxlens identity evidence SOURCE SOURCE_ID``)."""
    return pd.read_csv(work / "truth.csv", dtype=str).query("source == 'crm'")["source_id"].iloc[0]


#: Upper-case placeholders of the command synopses, per command group: a value, or how to
#: read it from the page's folder.
PLACEHOLDERS: dict[tuple[str, str], str | Callable[[Path], str]] = {
    ("kpis", "NAME"): "SMB billing NPS",
    ("surveys", "NAME"): "support-csat",
    ("identity", "SOURCE"): "crm",
    ("identity", "SOURCE_ID"): _crm_id,
    ("keys", "DIR"): "demo",
    ("keys", "KEY_ID"): _key_id,
    ("export", "DATE"): "2024-12-31",
}


@dataclass(frozen=True)
class Block:
    """One fenced code block: the page, the line of its opening fence, its language and text."""

    page: str
    line: int
    lang: str
    text: str


def fenced_blocks(page: str) -> list[Block]:
    """Return the fenced code blocks of ``page`` (relative to the repository), in order."""
    blocks, lang, start, body = [], None, 0, []
    for number, line in enumerate((REPO / page).read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            if lang is None:
                lang, start, body = line[3:].strip() or "text", number, []
            else:
                blocks.append(Block(page, start, lang, "\n".join(body)))
                lang = None
        elif lang is not None:
            body.append(line)
    return blocks


def python_blocks(page: str) -> list[Block]:
    return [b for b in fenced_blocks(page) if b.lang == "python"]


def shell_blocks(page: str) -> list[Block]:
    return [b for b in fenced_blocks(page) if b.lang in ("bash", "console", "sh", "shell")]


# ---------------------------------------------------------------- the demo and the inputs


def yaml_block(page: str, contains: str) -> str:
    """Return the ```yaml block of ``page`` that contains ``contains``."""
    found = [b.text for b in fenced_blocks(page) if b.lang == "yaml" and contains in b.text]
    assert found, f"{page} has no yaml block with {contains!r}"
    return found[0] + "\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A folder with the demo workspace under every name the examples use, and their inputs."""
    root = tmp_path_factory.mktemp("docs")
    demo = root / "_demo"
    run_demo(demo, customers=1000, months=24, report=False)
    data = demo / "data"
    work = root / "work"
    work.mkdir()
    for name in ("acme.duckdb", "ws.duckdb"):
        shutil.copy(demo / "cxlens.duckdb", work / name)
    (work / "demo").mkdir()
    for name in ("cxlens", "acme", "acme-eu"):
        shutil.copy(demo / "cxlens.duckdb", work / "demo" / f"{name}.duckdb")
    _inputs(data, work)
    return work


def _inputs(data: Path, work: Path) -> None:
    """Write the input files the examples name, from the sample data, fixtures and docs."""
    # a survey-tool export with its own headers, NPS asked 1-10 (README, ingest.md, api.md)
    shutil.copy(data / "survey_export.csv", work / "surveys.csv")
    shutil.copy(data / "survey_export.mapping.yaml", work / "surveys.yaml")
    # an export whose score and id headers need --map (the rest carry canonical names)
    export = pd.read_csv(data / "survey_export.csv", dtype=str)
    export.columns = ["ID", "responded_at", "Score", "customer_id", "comment", "language"]
    export.to_csv(work / "export.csv", index=False)
    (work / "export.yaml").write_text(
        "table: responses\ncolumns: {ID: response_id, Score: nps}\n"
        "scales: {nps: {from: [1, 10], rule: linear}}\n",
        encoding="utf-8",
    )
    shutil.copy(data / "transactions.parquet", work / "orders.parquet")
    for name in ("qualtrics.csv", "qualtrics_export.csv"):
        shutil.copy(FIXTURES / "presets" / "qualtrics.csv", work / name)
    shutil.copy(FIXTURES / "presets" / "zendesk.csv", work / "tickets.csv")
    shutil.copy(FIXTURES / "presets" / "surveymonkey.csv", work / "responses.csv")
    shutil.copy(FIXTURES / "presets" / "shopify.csv", work / "orders_export.csv")
    identities = pd.read_csv(data / "identities.csv", dtype=str)
    crm = identities["source"] == "crm"
    crm_headers = {"source_id": "Contact ID", "email": "E-mail", "phone": "Phone", "name": "Name"}
    identities[crm].rename(columns=crm_headers).to_csv(work / "crm_contacts.csv", index=False)
    (work / "crm_contacts.yaml").write_text(
        "table: identities\ncolumns: {'Contact ID': source_id, E-mail: email, Phone: phone,"
        " Name: name}\n",
        encoding="utf-8",
    )
    identities[~crm].to_csv(work / "loyalty.csv", index=False)
    shutil.copy(data / "identity_links.csv", work / "truth.csv")
    (work / "kpis.yaml").write_text(yaml_block("docs/analysis-insights.md", "- name:"))
    survey = yaml_block("docs/collect.md", "name: support-csat")
    for name in ("survey.yaml", "support-csat.yaml"):
        (work / name).write_text(survey, encoding="utf-8")
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n'
    for name in ("acme.svg", "logo.svg"):
        (work / name).write_text(svg, encoding="utf-8")


@pytest.fixture
def page_dir(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the template for one page, as the working directory."""
    work = tmp_path / "work"
    shutil.copytree(template, work)
    if SHARED.is_dir():
        (tmp_path / "shared").symlink_to(SHARED)  # ../shared/data/... as in models.md
    monkeypatch.chdir(work)
    monkeypatch.setenv("CXLENS_WORKSPACE", "acme.duckdb")
    return work


# ---------------------------------------------------------------- Python blocks


def run_python(page: str) -> set[str]:
    """Run the Python blocks of ``page`` in one namespace; return the rules that matched."""
    rules = NOT_RUN_STATEMENTS.get(page, {})
    used: set[str] = set()
    unshared: list[str] = []
    blocks = python_blocks(page)
    source = "\n".join(b.text for b in blocks)
    namespace: dict = {"__name__": "docs_example", "pd": pd, "cxlens": cxlens}
    if "Workspace(" not in source:  # pages that show no opening of their own use acme.duckdb
        namespace["ws"] = cxlens.Workspace("acme.duckdb")
    try:
        exec(GIVENS.get(page, ""), namespace)
        for block in blocks:
            for statement in ast.parse(block.text).body:
                text = ast.get_source_segment(block.text, statement) or ""
                matched = [rule for rule in rules if rule in text]
                used.update(matched)
                if matched:
                    continue
                if _needs_shared(text):
                    unshared.append(text)
                    continue
                where = f"{page}:{block.line + statement.lineno}"
                code = compile(ast.Module([statement], []), where, "exec")
                try:
                    exec(code, namespace)
                except Exception as exc:
                    raise AssertionError(f"{where}: {text}\n-> {exc!r}") from exc
    finally:
        for value in namespace.values():
            if isinstance(value, cxlens.Workspace):
                value.close()
    if unshared:  # the rest of the page ran; say what did not
        pytest.skip(
            f"{page}: {len(unshared)} statement(s) read ../shared/data, not beside the repo"
        )
    return used


def _needs_shared(text: str) -> bool:
    """True for a statement reading ../shared when it is not beside the repository."""
    return "../shared/" in text and not SHARED.is_dir()


PY_PAGES = [p for p in PAGES if python_blocks(p)]


@pytest.mark.parametrize("page", PY_PAGES)
def test_python_examples_run(page: str, page_dir: Path) -> None:
    used = run_python(page)
    assert used == set(NOT_RUN_STATEMENTS.get(page, {})), "a rule matches no statement"


# ---------------------------------------------------------------- cxlens command lines


def shell_lines(block: Block) -> list[str]:
    """Return the block's commands: continuations joined, comments dropped, `;` split."""
    lines: list[list[str]] = []
    continued = False
    for raw in block.text.splitlines():
        words = shlex.split(raw.rstrip().rstrip("\\"), comments=True)
        if lines and (continued or raw[:1].isspace()):
            lines[-1] += words
        elif words:
            lines.append(words)
        continued = raw.rstrip().endswith("\\")
    commands = []
    for words in lines:
        command: list[str] = []
        for word in [*words, ";"]:
            if word.endswith(";"):
                command += [word[:-1]] if word[:-1] else []
                if command:
                    commands.append(shlex.join(command))
                command = []
            else:
                command.append(word)
    return commands


def expand(command: str) -> list[list[str]]:
    """Turn one synopsis into the argument lists to run.

    ``a | b | c`` with spaces are subcommands of the group (each runs); ``x|y`` inside a word
    takes the first; ``[...]`` options are included, with a trailing ``...`` (repeatable)
    dropped, and left out whole when ``...`` stands for an option's value; upper-case
    placeholders take their value from ``PLACEHOLDERS``.
    """
    words = shlex.split(command)
    group = words[1]
    runs, current = [], words[:2]
    for word in words[2:]:
        if word == "|":
            runs.append(current)
            current = words[:2]
        else:
            current.append(word)
    runs.append(current)
    return [_resolve(_optional(run), group) for run in runs]


def _optional(words: list[str]) -> list[str]:
    out: list[str] = []
    inside: list[str] | None = None
    for word in words:
        if inside is None and word.startswith("["):
            inside, word = [], word[1:]
        if inside is None:
            out.append(word)
            continue
        closing = word.endswith("]")
        inside.append(word[:-1] if closing else word)
        if closing:
            elided = any(w == "..." and i and inside[i - 1].startswith("--")
                         for i, w in enumerate(inside))  # fmt: skip
            out += [] if elided else [w for w in inside if w != "..."]
            inside = None
    return out


def _resolve(words: list[str], group: str) -> list[str | Callable[[Path], str]]:
    out: list[str | Callable[[Path], str]] = []
    for word in words[1:]:
        if "|" in word and not word.startswith("http"):
            word = word.split("|")[0]
        out.append(PLACEHOLDERS.get((group, word), word))
    return out


def _not_run(command: str) -> str | None:
    return next((rule for rule in NOT_RUN_COMMANDS if command.startswith(rule)), None)


def run_commands(page: str, work: Path) -> set[str]:
    """Run the page's `cxlens` lines in order; return the rules that matched."""
    runner = CliRunner(env={"COLUMNS": "250"})
    used: set[str] = set()
    for block in shell_blocks(page):
        for command in shell_lines(block):
            first = command.split()[0]
            if first != "cxlens":
                assert first in OTHER_SHELL, f"{page}:{block.line}: no rule for {command!r}"
                used.add(first)
                continue
            rule = _not_run(command)
            if rule or ("--pdf" in command and not CHROMIUM):
                used.add(rule or "--pdf")
                continue
            for args in expand(command):
                args = [a(work) if callable(a) else a for a in args]
                result = runner.invoke(app, args, input="y\n")
                assert result.exit_code == 0, (
                    f"{page}:{block.line}: cxlens {shlex.join(args)}\n{result.output}"
                )
    return used


SHELL_PAGES = [p for p in PAGES if shell_blocks(p)]


@pytest.mark.parametrize("page", SHELL_PAGES)
def test_cxlens_lines_run(page: str, page_dir: Path) -> None:
    run_commands(page, page_dir)


def test_every_not_run_rule_is_used() -> None:
    """Each command rule names a line of the docs, so the list cannot go stale."""
    lines = [c for p in SHELL_PAGES for b in shell_blocks(p) for c in shell_lines(b)]
    for rule in NOT_RUN_COMMANDS:
        assert any(line.startswith(rule) for line in lines), rule
    for first in OTHER_SHELL:
        assert any(line.split()[0] == first for line in lines), first


def test_synopsis_expansion() -> None:
    """The notation of the synopses, read as documented in ``expand``."""
    line = "cxlens kpis list | remove NAME | status [--by segment] [--metric nps ...] [--title ...]"
    assert expand(line) == [
        ["kpis", "list"],
        ["kpis", "remove", "SMB billing NPS"],
        ["kpis", "status", "--by", "segment", "--metric", "nps"],
    ]
    assert expand("cxlens export churn-risk|detractors --format hubspot|salesforce") == [
        ["export", "churn-risk", "--format", "hubspot"]
    ]
    block = Block("x", 1, "bash", 'cxlens a b; cxlens c "d e"  # note\n  --f g\nmake x \\\n  y')
    assert shell_lines(block) == ["cxlens a b", "cxlens c 'd e' --f g", "make x y"]
