"""``cxlens serve`` (the HTTP API) and ``cxlens keys`` (create, list, revoke API keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cxlens.cli._common import app, console, friendly, rich_table
from cxlens.errors import CxlensError

WorkspacesOpt = Annotated[
    Path,
    typer.Option(
        "--workspaces",
        "-d",
        envvar="CXLENS_WORKSPACES",
        help="Folder of NAME.duckdb workspaces; keys and the audit log live there.",
    ),
]
DEFAULT_DIR = Path("demo")

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _folder(directory: Path) -> Path:
    if not directory.is_dir():
        raise CxlensError(
            f"{directory} is not a folder; give the folder that holds the NAME.duckdb "
            "workspaces (e.g. run `make demo` and use --workspaces demo)"
        )
    return directory


@app.command()
@friendly
def serve(
    workspaces: WorkspacesOpt = DEFAULT_DIR,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    max_upload_mb: Annotated[int, typer.Option(help="Largest upload, in MB.")] = 512,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    analysis_wait: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds an analysis request waits before answering 202 with a job to poll."
        ),
    ] = 10.0,
    warm: Annotated[
        bool, typer.Option(help="Precompute the common answers at start and after each load.")
    ] = True,
    send_surveys: Annotated[
        bool,
        typer.Option(
            help="Trigger surveys and e-mail due invitations every --surveys-every s "
            "(SMTP from CXLENS_SMTP_HOST, _FROM, ...; docs/collect.md)."
        ),
    ] = True,
    surveys_every: Annotated[
        float, typer.Option(min=1, help="Seconds between survey rounds.")
    ] = 60.0,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="Address respondents reach this server at, for the survey links "
            "(default http://HOST:PORT)."
        ),
    ] = None,
) -> None:
    """Serve the HTTP API over every workspace file in a folder (docs/api.md)."""
    import uvicorn

    from cxlens.api import KeyStore, create_app
    from cxlens.api.logs import log_config
    from cxlens.api.state import Workspaces

    folder = _folder(workspaces)
    names = Workspaces(folder).names()
    if not names:
        raise CxlensError(f"{folder} holds no NAME.duckdb workspace; run `make demo` first")
    app_ = create_app(
        folder,
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        analysis_wait=analysis_wait,
        warm_cache=warm,
    )
    store = KeyStore(folder)
    console.print(Text(f"serving {', '.join(names)} from {folder}"))
    console.print(Text(f"API: http://{host}:{port}/api/v1/docs (OpenAPI at /api/v1/openapi.json)"))
    if not store.list()["active"].any():
        console.print(
            Text(
                f"no API key yet; make one with: cxlens keys create --workspaces {folder} "
                f"--workspace {names[0]} --role admin"
            )
        )
    scheduler = None
    if send_surveys:
        scheduler = _survey_scheduler(app_, public_url or f"http://{host}:{port}", surveys_every)
    # access lines without customer ids or query values (cxlens.api.logs)
    try:
        uvicorn.run(app_, host=host, port=port, log_level=log_level,
                    log_config=log_config(log_level))  # fmt: skip
    finally:
        if scheduler is not None:
            scheduler.stop()


def _survey_scheduler(app_: object, public_url: str, every: float) -> object | None:
    """Start the survey rounds when SMTP is configured; say so either way."""
    import os

    from cxlens.actions.email import SmtpSettings
    from cxlens.api.survey_scheduler import SurveyScheduler

    # each invitation goes to its customer, so CXLENS_SMTP_TO is not needed
    env = {**os.environ, "CXLENS_SMTP_TO": os.environ.get("CXLENS_SMTP_FROM", "")}
    try:
        settings = SmtpSettings.from_env(env)
    except CxlensError as exc:
        console.print(Text(f"survey invitations are not e-mailed: {exc}"))
        return None
    link = public_url.rstrip("/") + "/s/{token}?score={score}"
    scheduler = SurveyScheduler(app_.state.workspaces, settings, link, every)  # type: ignore[attr-defined]
    scheduler.start()
    console.print(Text(f"survey invitations: every {every:g} s through {settings.host}"))
    return scheduler


@keys_app.command("create")
@friendly
def keys_create(
    workspace: Annotated[
        list[str], typer.Option("--workspace", help="Workspace the key may use (repeatable).")
    ],
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
    name: Annotated[str, typer.Option(help="A label, e.g. 'acme BI'.")] = "",
    expires_in_days: Annotated[
        float | None,
        typer.Option(min=0.001, help="The key stops working this many days from now (UTC)."),
    ] = None,
    survey: Annotated[
        str | None,
        typer.Option(
            help="Make a widget key: it only shows and answers this survey (docs/collect.md)."
        ),
    ] = None,
    workspaces: WorkspacesOpt = DEFAULT_DIR,
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from datetime import UTC, datetime, timedelta

    from cxlens.api import AuditLog, KeyStore

    folder = _folder(workspaces)
    expires = None
    if expires_in_days is not None:
        expires = datetime.now(UTC) + timedelta(days=expires_in_days)
    key, token = KeyStore(folder).create(workspace, role, name=name, expires_at=expires,
                                         survey=survey)  # fmt: skip
    for ws in key.workspaces:
        AuditLog(folder).record(
            "key create",
            key_id="cli",
            workspace=ws,
            target=key.key_id,
            detail={
                "role": key.role,
                "name": key.name,
                "expires_at": key.expires_at,
                "survey": key.survey,
            },
        )
    until = f", valid until {key.expires_at} UTC" if key.expires_at else ""
    console.print(
        Text(f"created {key.role} key {key.key_id} for {', '.join(key.workspaces)}{until}")
    )
    console.print(Text("the key (shown once; send it as 'Authorization: Bearer KEY'):"))
    typer.echo(token)


@keys_app.command("list")
@friendly
def keys_list(workspaces: WorkspacesOpt = DEFAULT_DIR) -> None:
    """List the keys (ids, roles, workspaces; never the keys)."""
    from cxlens.api import KeyStore

    frame = KeyStore(_folder(workspaces)).list()
    if frame.empty:
        console.print("no keys; create one with: cxlens keys create --workspace NAME --role viewer")
        return
    frame["active"] = [
        "yes" if a else ("revoked" if r else "expired")
        for a, r in zip(frame["active"], frame["revoked_at"].notna(), strict=True)
    ]
    console.print(rich_table(frame.fillna(""), f"API keys ({len(frame)})"))


@keys_app.command("revoke")
@friendly
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `cxlens keys list`).")],
    workspaces: WorkspacesOpt = DEFAULT_DIR,
) -> None:
    """Revoke a key: requests with it are refused (401) from now on."""
    from cxlens.api import AuditLog, KeyStore

    folder = _folder(workspaces)
    key = KeyStore(folder).revoke(key_id)
    for ws in key.workspaces:
        AuditLog(folder).record("key revoke", key_id="cli", workspace=ws, target=key.key_id)
    console.print(Text(f"revoked key {key.key_id} ({key.role}, {', '.join(key.workspaces)})"))
