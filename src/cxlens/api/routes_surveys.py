"""Survey endpoints: the hosted survey page, answers, events that trigger invitations, surveys.

``GET /s/{token}`` and ``POST /s/{token}`` need no API key: the signed link is the
credential. The link does not name its workspace; the server finds it by the signature,
which only that workspace's secret produces (:func:`cxlens.collect.tokens.signed_with`).
A link's errors answer 404 (malformed, forged, not made), 410 (expired), 409 (answered
already) or 422 (a score off the scale, an unknown driver, a comment too long), as an HTML
page for a browser's form post and as the API's JSON error body for a JSON post; a refused
answer stores nothing.

Answers arriving together are written as one load (:class:`cxlens.collect.batch.Batcher`,
one per workspace), so twenty respondents answering at once cost about one load, not twenty.

``POST /api/v1/workspaces/{name}/events`` (analyst) loads a batch of events and triggers the
surveys on them; ``/surveys`` creates (analyst) and lists (viewer) survey definitions;
``/survey-stats`` gives the collection's figures (viewer). docs/collect.md has the details.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path as PathLib
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from cxlens.api.deps import Access, access, audit_of
from cxlens.api.errors import WORKSPACE_ERRORS, ErrorBody, body, responses
from cxlens.api.serialize import table
from cxlens.api.state import ServedWorkspace, Workspaces
from cxlens.collect import page
from cxlens.collect.answers import Answer, AnsweredLink
from cxlens.collect.batch import Batcher
from cxlens.collect.events import (
    FIELD_PATTERN,
    MAX_EVENTS,
    REQUIRED,
    check_events,
    load_events,
)
from cxlens.collect.tokens import ExpiredLink, InvalidLink, signed_with
from cxlens.errors import ArgumentError, CxlensError
from cxlens.store.secrets import SECRET_TABLE, workspace_secret

#: Largest answer body accepted (a 5,000-character comment in UTF-8 and the form's fields).
MAX_ANSWER_BYTES = 32 * 1024
#: Largest events body accepted.
MAX_EVENTS_BYTES = 8 * 1024 * 1024

Token = Annotated[
    str,
    Path(max_length=80, pattern=r"^[0-9a-f.]+$", description="The signed link token."),
]


# -- finding a link's workspace; one answer writer per workspace ------------------------------


class Links:
    """The served workspaces' secrets (read once) and their answer writers."""

    def __init__(self, workspaces: Workspaces) -> None:
        self.workspaces = workspaces
        self._secrets: dict[str, bytes | None] = {}
        self._writers: dict[str, Batcher] = {}
        self._lock = threading.Lock()

    def find(self, token: str) -> ServedWorkspace:
        """Return the workspace whose secret signed ``token``; InvalidLink when none did."""
        for name in self.workspaces.names():
            secret = self._secret(name)
            if secret is not None and signed_with(token, secret):
                served = self.workspaces.get(name)
                if served is not None:
                    return served
        raise InvalidLink("not a valid survey link: no workspace signed it")

    def _secret(self, name: str) -> bytes | None:
        if name not in self._secrets:
            served = self.workspaces.get(name)
            if served is None:
                return None
            with served.lock:
                ws = served.workspace()
                # a workspace that never signed a link has no secret: do not create one here
                self._secrets[name] = workspace_secret(ws) if ws.has_table(SECRET_TABLE) else None
        return self._secrets[name]

    def writer(self, served: ServedWorkspace) -> Batcher:
        """Return the workspace's answer writer (answers arriving together: one load)."""
        with self._lock:
            if served.name not in self._writers:
                self._writers[served.name] = Batcher(
                    lambda items: served.write(lambda ws: ws.surveys.answer_many(items))
                )
            return self._writers[served.name]


def _links(request: Request) -> Links:
    return request.app.state.survey_links


def _status(exc: Exception) -> tuple[int, str]:
    """Return the HTTP status of a refused answer and the kind of page that says so."""
    if isinstance(exc, InvalidLink):
        return 404, "invalid"
    if isinstance(exc, ExpiredLink):
        return 410, "expired"
    if isinstance(exc, AnsweredLink):
        return 409, "answered"
    if isinstance(exc, CxlensError):
        return 422, "refused"
    raise exc


# -- the survey page ------------------------------------------------------------------------

# the page and the script are for browsers, not the JSON API: outside the OpenAPI spec
pages = APIRouter(tags=["survey page"], include_in_schema=False)


@pages.get(
    "/s/{token}", response_class=HTMLResponse, summary="The survey page of a link (no key)",
    responses={404: {"description": "Malformed or forged link"},
               409: {"description": "Answered already"}, 410: {"description": "Expired"}},
)  # fmt: skip
def survey_page(
    request: Request,
    token: Token,
    score: Annotated[int | None, Query(ge=-1000, le=1000, description="One-tap score.")] = None,
) -> HTMLResponse:
    """Return the survey page, or with ``score`` record it and ask the follow-up question.

    ``score`` comes from the e-mail's one-tap links.
    """
    links = _links(request)
    language = None
    try:
        served = links.find(token)
        with served.lock:
            row, survey = served.workspace().surveys.link(token)
        language = row["language"]
        if score is None:
            return _html(page.ask_page(survey, language, token))
        outcome = links.writer(served).submit((token, Answer(score)))
        if isinstance(outcome, AnsweredLink):
            with served.lock:
                stored = served.workspace().surveys.answer_of(row["invitation_id"])
            # the same tap again (a reload): show the follow-up as before, change nothing
            if stored and stored["score"] == score and stored["comment"] is None:
                return _html(page.follow_up_page(survey, language, token, score))
        if isinstance(outcome, Exception):
            raise outcome
        return _html(page.follow_up_page(survey, language, token, score))
    except CxlensError as exc:
        status, kind = _status(exc)
        return _html(page.problem_page(language, kind, str(exc)), status)


@pages.post(
    "/s/{token}", summary="Answer a survey link (form post or JSON; no key)",
    responses={201: {"description": "JSON: the answer is stored"},
               **responses(404, 409, 413, 422), 410: {"description": "Expired"}},
)  # fmt: skip
async def survey_answer(request: Request, token: Token) -> Response:
    """Store an answer, or after a one-tap score its follow-up comment.

    The answer is ``score`` (with ``comment`` and ``driver_<name>`` or ``drivers``), or the
    ``comment`` alone after a one-tap score. A browser's form post gets a page; a JSON post
    (``{"score": 9, "comment": "...", "drivers": {"speed": 8}}``) gets
    ``{"response_id": ...}`` with 201.
    """
    as_json = request.headers.get("content-type", "").startswith("application/json")
    raw = await _read_limited(request, MAX_ANSWER_BYTES)
    return await run_in_threadpool(_answer, request, token, raw, as_json)


def _answer(request: Request, token: str, raw: bytes, as_json: bool) -> Response:
    links = _links(request)
    language = None
    try:
        fields = _fields(raw, as_json)
        served = links.find(token)
        if not as_json:  # a page in the respondent's language; JSON needs no lookup first
            with served.lock:
                row, _ = served.workspace().surveys.link(token)
            language = row["language"]
        if "score" in fields:
            answer = Answer(fields["score"], fields.get("comment"), fields.get("drivers"))
            outcome = links.writer(served).submit((token, answer))
        else:
            outcome = served.write(lambda ws: ws.surveys.follow_up(token, fields.get("comment")))
        if isinstance(outcome, Exception):
            raise outcome
    except CxlensError as exc:
        status, kind = _status(exc)
        if as_json:
            return JSONResponse(body(str(exc), type(exc).__name__), status_code=status)
        return _html(page.problem_page(language, kind, str(exc)), status)
    if as_json:
        return JSONResponse({"response_id": outcome}, status_code=201)
    return _html(page.thanks_page(language))


def _fields(raw: bytes, as_json: bool) -> dict[str, Any]:
    """Return score, comment and drivers from a JSON or form body; ArgumentError if unknown."""
    if as_json:
        data = _json_object(raw or b"{}", 'send a JSON object: {"score": 9, "comment": "..."}')
        unknown = sorted(set(data) - {"score", "comment", "drivers"})
        if unknown:
            raise ArgumentError(f"unknown field(s) {unknown}; send score, comment, drivers")
        if "drivers" in data and not isinstance(data["drivers"], dict):
            raise ArgumentError('drivers must be an object: {"speed": 8}')
        return data
    try:
        form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise ArgumentError("the form is not UTF-8") from None
    fields: dict[str, Any] = {}
    drivers: dict[str, Any] = {}
    for name, values in form.items():
        if len(values) != 1:
            raise ArgumentError(f"the form field '{name}' is given {len(values)} times")
        value = values[0]
        if name == "score":
            fields["score"] = value
        elif name == "comment":
            fields["comment"] = value
        elif name.startswith("driver_"):
            if value.strip():  # an optional rating left empty
                drivers[name[len("driver_") :]] = int(value) if value.strip().isdigit() else value
        else:
            raise ArgumentError(f"unknown form field '{name}'")
    if drivers:
        fields["drivers"] = drivers
    if "score" not in fields and not fields.get("comment", "").strip():
        raise ArgumentError("choose a score")
    return fields


async def _read_limited(request: Request, limit: int) -> bytes:
    """Return the request body; 413 past ``limit`` bytes, before reading further."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the body is {int(declared):,} bytes; at most {limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the body is over {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _html(text: str, status: int = 200) -> HTMLResponse:
    # the page is per respondent: never cached by a proxy, never framed elsewhere
    return HTMLResponse(text, status_code=status, headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                   "form-action 'self'; base-uri 'none'",
    })  # fmt: skip


# -- the API: events, surveys, figures ------------------------------------------------------

router = APIRouter(tags=["surveys"])


_TEXT = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
_EVENTS_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["events"], "additionalProperties": False,
    "properties": {"events": {"type": "array", "minItems": 1, "maxItems": MAX_EVENTS,
        "items": {"type": "object", "required": list(REQUIRED),
                  "properties": {"event_id": _TEXT, "customer_id": _TEXT, "touchpoint": _TEXT,
                                 "occurred_at": {"type": "string", "format": "date-time"},
                                 "stage": _TEXT, "channel": _TEXT},
                  "propertyNames": {"pattern": FIELD_PATTERN},
                  "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}}},
}}}}}  # fmt: skip
_SURVEY_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "A survey definition: the keys of docs/collect.md.",
}}}}}  # fmt: skip


@router.post(
    "/workspaces/{name}/events", summary="Send events; they may trigger survey invitations",
    responses={**WORKSPACE_ERRORS, **responses(413)}, openapi_extra=_EVENTS_BODY,
)  # fmt: skip
async def post_events(
    request: Request, a: Annotated[Access, Depends(access("analyst", "events"))]
) -> dict[str, Any]:
    """Load events as one load, then trigger the active surveys on them.

    The body is ``{"events": [...]}``, each with event_id, customer_id, occurred_at,
    touchpoint, optionally stage and channel. Returns the load (load_id, status,
    rows_loaded, rows_quarantined) and the decisions made, per survey and decision. A bad
    event refuses the batch (422).
    """
    raw = await _read_limited(request, MAX_EVENTS_BYTES)
    data = _json_body(raw)
    events = check_events(data.get("events") if isinstance(data, dict) else None)

    def change(ws: Any) -> dict[str, Any]:
        loaded = load_events(ws, events)
        decided = ws.surveys.trigger()
        counts = decided.groupby(["survey", "decision"]).size().reset_index(name="n")
        return {"load": {"load_id": loaded.load_id, "status": loaded.status,
                         "rows_loaded": loaded.rows_loaded,
                         "rows_quarantined": loaded.rows_quarantined,
                         "ignored_columns": loaded.ignored_columns},
                "decisions": table(counts)["rows"]}  # fmt: skip

    out = await run_in_threadpool(a.served.write, change)
    audit_of(request).record(
        "events", key_id=a.key.key_id, role=a.key.role, workspace=a.name, target="events",
        detail={"events": len(events), "load_id": out["load"]["load_id"]},
    )  # fmt: skip
    return out


@router.post(
    "/workspaces/{name}/surveys", summary="Create (or replace) a survey",
    responses=WORKSPACE_ERRORS, openapi_extra=_SURVEY_BODY,
)  # fmt: skip
async def create_survey(
    request: Request,
    a: Annotated[Access, Depends(access("analyst", "survey"))],
    replace: Annotated[bool, Query(description="Replace a survey of the same name.")] = False,
) -> dict[str, Any]:
    """Store a survey definition sent as JSON (the keys of the YAML form, docs/collect.md).

    Returns the stored definition; 422 names a wrong key.
    """
    raw = await _read_limited(request, MAX_ANSWER_BYTES)
    spec = _json_object(raw, "send the survey definition as a JSON object")
    survey = await run_in_threadpool(
        a.served.write, lambda ws: ws.surveys.create(spec, replace=replace)
    )
    audit_of(request).record("survey", key_id=a.key.key_id, role=a.key.role,
                             workspace=a.name, target=survey.name)  # fmt: skip
    return json.loads(survey.to_json())


@router.get("/workspaces/{name}/surveys", summary="The surveys", responses=WORKSPACE_ERRORS)
def list_surveys(a: Annotated[Access, Depends(access("viewer"))]) -> dict[str, Any]:
    """Return ``{"surveys": [...]}``: name, kind, channel, trigger, languages, status."""
    with a.served.lock:
        frame = a.served.workspace().surveys.list()
    return {"surveys": table(frame)["rows"]}


@router.get(
    "/workspaces/{name}/surveys/{survey}", summary="One survey's definition",
    responses=WORKSPACE_ERRORS,
)  # fmt: skip
def get_survey(
    a: Annotated[Access, Depends(access("viewer"))],
    survey: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")],
) -> dict[str, Any]:
    """Return the stored definition of ``survey``; 404 lists the surveys when unknown."""
    try:
        with a.served.lock:
            found = a.served.workspace().surveys.get(survey)
    except ArgumentError as exc:
        raise HTTPException(404, str(exc)) from None
    return json.loads(found.to_json())


@router.get(
    "/workspaces/{name}/survey-stats", summary="Response rates, timing, coverage, non-response",
    responses=WORKSPACE_ERRORS,
)  # fmt: skip
def survey_stats(
    a: Annotated[Access, Depends(access("viewer"))],
    by: Annotated[
        list[Literal["survey", "channel", "touchpoint", "language"]],
        Query(max_length=4, description="Group the response rates by these."),
    ] = ["survey"],  # noqa: B006
) -> dict[str, Any]:
    """Return the collection's figures, each a list of rows.

    They are ``response_rates`` (with Wilson intervals), ``coverage`` (decisions per
    survey), ``timing`` (median and p90 hours from trigger to answer), ``per_customer``
    (invitations per customer) and ``nonresponse`` (responders against non-responders by
    segment, churn and value, with p-values).
    """

    def compute(ws: Any) -> dict[str, Any]:
        s = ws.surveys
        return {"response_rates": table(s.stats(by))["rows"],
                "coverage": table(s.coverage())["rows"], "timing": table(s.timing())["rows"],
                "per_customer": table(s.per_customer())["rows"],
                "nonresponse": table(s.nonresponse())["rows"]}  # fmt: skip

    with a.served.lock:
        return compute(a.served.workspace())


# -- the widget: one <script> on the client's site, a key scoped to one survey, CORS ----------

#: The widget's script, served as /widget.js.
WIDGET_JS = PathLib(__file__).resolve().parents[1] / "collect" / "widget.js"
SurveyName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
WorkspacePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]

widget = APIRouter(tags=["survey widget"])


@pages.get("/widget.js", summary="The survey widget's script (no key)")
def widget_js() -> Response:
    """Return the widget's script; a page embeds it with one ``<script>`` tag."""
    return Response(WIDGET_JS.read_text(encoding="utf-8"),
                    media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})  # fmt: skip


@widget.options("/widget/{name}/{survey}/{action}", include_in_schema=False)
def widget_preflight(
    request: Request, name: WorkspacePath, survey: SurveyName, action: Literal["show", "answer"]
) -> Response:
    """Answer the browser's CORS preflight: allowed only from the survey's origins."""
    cors = _cors(request, name, survey)
    if cors is None:
        return Response(status_code=403)
    return Response(status_code=204, headers=cors | {
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "authorization, content-type",
        "Access-Control-Max-Age": "600",
    })  # fmt: skip


@widget.post(
    "/widget/{name}/{survey}/show", summary="Widget: may this customer be asked now?",
    responses=responses(413),
)  # fmt: skip
async def widget_show(request: Request, name: WorkspacePath, survey: SurveyName) -> Response:
    """Decide by the contact rules whether the widget asks a customer now.

    Needs the survey's widget key. The body is ``{"customer_id": ..., "event_id": ...}``
    (event_id optional); the answer says what to show, with the link's token.
    """
    raw = await _read_limited(request, MAX_ANSWER_BYTES)
    return await run_in_threadpool(_widget_call, request, name, survey, raw, "show")


@widget.post(
    "/widget/{name}/{survey}/answer", summary="Widget: answer (its own survey only)",
    responses={**responses(413), 410: {"model": ErrorBody, "description": "The link expired"}},
)  # fmt: skip
async def widget_answer(request: Request, name: WorkspacePath, survey: SurveyName) -> Response:
    """Store a widget's answer ``{"token", "score", "comment"}``.

    Needs the survey's widget key; a token of another survey is refused (403).
    """
    raw = await _read_limited(request, MAX_ANSWER_BYTES)
    return await run_in_threadpool(_widget_call, request, name, survey, raw, "answer")


def _widget_call(request: Request, name: str, survey: str, raw: bytes, action: str) -> Response:
    cors = _cors(request, name, survey)
    if request.headers.get("origin") is not None and cors is None:
        return JSONResponse(body("this page's origin is not among the survey's origins",
                                 "Forbidden"), status_code=403)  # fmt: skip
    headers = cors or {}
    try:
        served = _widget_key(request, name, survey)
        data = _json_object(raw)
        if action == "show":
            unknown = sorted(set(data) - {"customer_id", "event_id"})
            if unknown:
                raise ArgumentError(f"unknown field(s) {unknown}; send customer_id, event_id")
            shown = served.write(lambda ws: ws.surveys.widget(
                survey, data.get("customer_id"), event_id=data.get("event_id")))  # fmt: skip
            return JSONResponse(shown, headers=headers)
        unknown = sorted(set(data) - {"token", "score", "comment"})
        if unknown:
            raise ArgumentError(f"unknown field(s) {unknown}; send token, score, comment")
        token = data.get("token")
        with served.lock:
            row, _ = served.workspace().surveys.link(str(token))
        if row["survey"] != survey:
            raise HTTPException(403, f"this widget key answers survey '{survey}' only")
        answer = Answer(data.get("score"), data.get("comment"))
        outcome = _links(request).writer(served).submit((str(token), answer))
        if isinstance(outcome, Exception):
            raise outcome
        return JSONResponse({"response_id": outcome}, headers=headers)
    except HTTPException as exc:
        return JSONResponse(body(str(exc.detail), "HTTPError"), exc.status_code,
                            headers=headers | (exc.headers or {}))  # fmt: skip
    except CxlensError as exc:
        status, _ = _status(exc)
        return JSONResponse(body(str(exc), type(exc).__name__), status, headers=headers)


def _widget_key(request: Request, name: str, survey: str) -> ServedWorkspace:
    """Return the workspace when the request carries the widget key of ``survey``."""
    auth = request.headers.get("authorization", "")
    token = auth[len("bearer ") :] if auth.lower().startswith("bearer ") else None
    key = request.app.state.keys.authenticate(token)
    if key is None:
        raise HTTPException(401, "missing or invalid widget key (data-key)",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    if key.survey != survey or not key.can_use(name):
        raise HTTPException(403, f"this key is not the widget key of survey '{survey}'")
    served = request.app.state.workspaces.get(name)
    if served is None:
        raise HTTPException(404, f"no workspace named {name!r}")
    return served


def _cors(request: Request, name: str, survey: str) -> dict[str, str] | None:
    """Return the CORS headers for the request's origin when the survey declares it."""
    origin = request.headers.get("origin")
    served = request.app.state.workspaces.get(name)
    if origin is None or served is None:
        return None
    try:
        with served.lock:
            allowed = served.workspace().surveys.get(survey).origins
    except CxlensError:
        return None
    if origin not in allowed:
        return None
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _json_body(raw: bytes) -> Any:
    """Return the parsed JSON body (None when empty); ArgumentError if it is not JSON."""
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArgumentError(f"the body is not valid JSON: {exc}") from None


def _json_object(raw: bytes, hint: str = "send a JSON object") -> dict[str, Any]:
    """Return the JSON body as a dict; ArgumentError with ``hint`` if it is not an object."""
    data = _json_body(raw)
    if not isinstance(data, dict):
        raise ArgumentError(hint)
    return data


def register(app: FastAPI, prefix: str) -> None:
    """Add the survey page and the survey API to ``app`` (the API under ``prefix``)."""
    app.state.survey_links = Links(app.state.workspaces)
    app.include_router(router, prefix=prefix, responses=WORKSPACE_ERRORS)
    app.include_router(widget, prefix=prefix, responses=WORKSPACE_ERRORS)
    app.include_router(pages)
