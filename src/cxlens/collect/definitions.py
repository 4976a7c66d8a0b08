"""Survey definitions: what to ask, after which event, through which channel, and how often.

A definition is a mapping (from YAML or Python) checked key by key; a wrong or unknown key
raises :class:`~cxlens.errors.MappingError` naming it, so nothing half-valid is stored::

    name: support-csat
    kind: csat                 # nps (0-10) | csat (1-5) | ces (1-7)
    company: Acme
    languages: [en, ru]        # the first is the fallback for customers in other languages
    wording:                   # optional: add a language or override the standard texts
      de: {question: "...", low: "...", high: "...", follow_up: "..."}
    follow_up: true            # ask the open question after the score
    drivers:                   # optional 0-10 ratings, stored as driver_<name>
      - {name: speed, question: {en: "How quick was the answer?"}}
    trigger: {touchpoint: ticket_solved}   # or {stage: onboarding}
    delay: 2h                  # after the event; m, h, d or w
    expiry: 7d                 # the invitation's link stops working then
    channel: email             # email | link | widget
    origins: [https://shop.example]   # widget: the sites whose pages may show it (CORS)
    contact:
      quiet_days: 90           # at most one invitation per customer per 90 days, all surveys
      sampling: 0.5            # share of eligible events invited, drawn with `seed`
      seed: 17
      business_hours: {start: "09:00", end: "18:00", days: [mon, tue, wed, thu, fri]}
      timezone: UTC            # for customers whose time zone is unknown
      consent: opt_out         # opt_out: all but refusals; opt_in: only who said yes
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxlens.collect.wording import SCALES, STANDARD, WORDING_KEYS, Wording
from cxlens.errors import MappingError

CHANNELS = ("email", "link", "widget")
CONSENT_MODES = ("opt_out", "opt_in")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TOP_KEYS = {"name", "kind", "company", "languages", "wording", "follow_up", "drivers",
             "trigger", "delay", "expiry", "channel", "contact", "status", "origins"}  # fmt: skip
_CONTACT_KEYS = {"quiet_days", "sampling", "seed", "business_hours", "timezone", "consent"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class BusinessHours:
    """Hours (local to the customer) in which invitations may be sent.

    Example:
        >>> BusinessHours(time(9), time(18), (0, 1, 2, 3, 4)).end
        datetime.time(18, 0)
    """

    start: time
    end: time
    days: tuple[int, ...]  # Monday = 0


@dataclass(frozen=True)
class ContactRules:
    """How often and when a customer may be asked.

    Example:
        >>> ContactRules().quiet_days, ContactRules().sampling
        (90, 1.0)
    """

    quiet_days: int = 90
    sampling: float = 1.0
    seed: int = 0
    business_hours: BusinessHours | None = None
    timezone: str = "UTC"
    consent: str = "opt_out"


@dataclass(frozen=True)
class Driver:
    """A driver question: rated 0-10 and stored as ``driver_<name>`` in responses."""

    name: str
    question: dict[str, str]

    @property
    def column(self) -> str:
        """The responses column this driver fills."""
        return f"driver_{self.name}"


@dataclass(frozen=True)
class Survey:
    """One checked survey definition (see the module docstring for the keys).

    Example:
        >>> s = parse_survey({"name": "nps-after-delivery", "kind": "nps", "company": "Acme",
        ...                   "languages": ["en", "zh"], "trigger": {"touchpoint": "delivered"}})
        >>> s.scale, s.delay, s.wording_for("zh").high
        ((0, 10), datetime.timedelta(0), '极有可能')
    """

    name: str
    kind: str
    company: str
    languages: tuple[str, ...]
    wording: dict[str, Wording]
    trigger_column: str  # "touchpoint" or "stage" of events
    trigger_value: str
    channel: str = "email"
    delay: timedelta = timedelta(0)
    expiry: timedelta = timedelta(days=7)
    follow_up: bool = True
    drivers: tuple[Driver, ...] = ()
    contact: ContactRules = field(default_factory=ContactRules)
    status: str = "active"
    #: Web origins whose pages may show the survey's widget (CORS), e.g. https://shop.example
    origins: tuple[str, ...] = ()
    spec: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def scale(self) -> tuple[int, int]:
        """The score's lowest and highest values."""
        return SCALES[self.kind]

    def wording_for(self, language: str | None) -> Wording:
        """Return the texts in ``language``, or in the survey's first language if it lacks it."""
        return self.wording[self.language_for(language)].render(self.company)

    def language_for(self, language: str | None) -> str:
        """Return the survey's language for a customer's ``language`` code.

        The code itself when offered (case ignored), else its primary subtag ("ru-RU" ->
        "ru", "zh_Hans" -> "zh"), else the survey's first language.

        Example:
            >>> parse_survey({"name": "x", "kind": "nps", "company": "A", "languages": ["en", "ru"],
            ...               "trigger": {"stage": "s"}}).language_for("RU-ru")
            'ru'
        """
        code = "" if language is None else str(language).strip().lower()
        for candidate in (code, re.split(r"[-_]", code)[0]):
            if candidate in self.languages:
                return candidate
        return self.languages[0]

    def to_json(self) -> str:
        """Return the definition as JSON text (what is stored); :func:`parse_survey` reads it."""
        return json.dumps({**self.spec, "status": self.status}, ensure_ascii=False, sort_keys=True)


def read_survey(path: str | Path) -> Survey:
    """Read and check a survey definition from a YAML file.

    Example:
        >>> read_survey("survey.yaml").name  # doctest: +SKIP
        'support-csat'
    """
    import yaml

    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: no such survey definition file") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(spec, dict):
        raise MappingError(f"{path}: a survey definition must be a mapping of keys")
    try:
        return parse_survey(spec)
    except MappingError as exc:
        raise MappingError(f"{path}: {exc}") from None


def parse_survey(spec: dict[str, Any]) -> Survey:
    """Check a survey definition (a mapping) and return it as a :class:`Survey`.

    Raises:
        MappingError: naming the first key that is missing, unknown or wrong.

    Example:
        >>> parse_survey({"name": "x", "kind": "nps", "company": "A",
        ...               "trigger": {"touchpoint": "t"}, "channel": "fax"})
        Traceback (most recent call last):
        cxlens.errors.MappingError: survey 'x': key 'channel' must be one of email, link,
        widget, not 'fax'
    """
    if not isinstance(spec, dict):
        raise MappingError("a survey definition must be a mapping of keys")
    name = spec.get("name")
    if not isinstance(name, str) or not _SLUG.match(name):
        raise MappingError(
            f"key 'name' must be a short lower-case name (letters, digits, - and _), not {name!r}"
        )
    where = f"survey '{name}'"
    _no_unknown(spec, _TOP_KEYS, where, "")
    kind = _choice(spec, "kind", tuple(SCALES), where, required=True)
    languages = _languages(spec, where)
    wording = _wording(spec.get("wording", {}), kind, languages, where)
    column, value = _trigger(spec.get("trigger"), where)
    delay = _duration(spec.get("delay", "0m"), "delay", where)
    expiry = _duration(spec.get("expiry", "7d"), "expiry", where)
    if expiry <= delay:
        raise MappingError(
            f"{where}: key 'expiry' ({expiry}) must be longer than 'delay' ({delay})"
        )
    company = spec.get("company")
    if not isinstance(company, str) or not company.strip():
        raise MappingError(f"{where}: key 'company' must name who asks (it fills the question)")
    return Survey(
        name=name,
        kind=kind,
        company=company.strip(),
        languages=languages,
        wording=wording,
        trigger_column=column,
        trigger_value=value,
        channel=_choice(spec, "channel", CHANNELS, where, default="email"),
        delay=delay,
        expiry=expiry,
        follow_up=_bool(spec, "follow_up", where, default=True),
        drivers=_drivers(spec.get("drivers", []), languages, where),
        contact=_contact(spec.get("contact", {}), where),
        status=_choice(spec, "status", ("active", "paused"), where, default="active"),
        origins=_origins(spec.get("origins", []), where),
        spec={k: v for k, v in spec.items() if k != "status"},
    )


def _origins(value: Any, where: str) -> tuple[str, ...]:
    """Check ``origins``: web origins (scheme, host, optional port; no path) for the widget."""
    if not isinstance(value, list):
        raise MappingError(f"{where}: key 'origins' must be a list of web origins")
    for origin in value:
        if not isinstance(origin, str) or not _ORIGIN.match(origin):
            raise MappingError(
                f"{where}: key 'origins' holds {origin!r}; an origin is scheme, host and "
                "optional port without a path, e.g. https://shop.example or http://localhost:8080"
            )
    return tuple(dict.fromkeys(value))


def _no_unknown(spec: dict[str, Any], known: set[str], where: str, prefix: str) -> None:
    unknown = sorted(set(spec) - known)
    if unknown:
        raise MappingError(
            f"{where}: unknown key '{prefix}{unknown[0]}'; the keys are: {', '.join(sorted(known))}"
        )


def _choice(
    spec: dict[str, Any],
    key: str,
    allowed: tuple[str, ...],
    where: str,
    *,
    default: str | None = None,
    required: bool = False,
    prefix: str = "",
) -> str:
    if key not in spec and not required:
        return default  # type: ignore[return-value]
    value = spec.get(key)
    if value not in allowed:
        raise MappingError(
            f"{where}: key '{prefix}{key}' must be one of {', '.join(allowed)}, not {value!r}"
        )
    return value


def _bool(spec: dict[str, Any], key: str, where: str, *, default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise MappingError(f"{where}: key '{key}' must be true or false, not {value!r}")
    return value


def _languages(spec: dict[str, Any], where: str) -> tuple[str, ...]:
    value = spec.get("languages", ["en"])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise MappingError(f"{where}: key 'languages' must be a list of language codes")
    return tuple(v.strip().lower() for v in value)


def _wording(given: Any, kind: str, languages: tuple[str, ...], where: str) -> dict[str, Wording]:
    if not isinstance(given, dict):
        raise MappingError(f"{where}: key 'wording' must map a language to its texts")
    texts = dict(STANDARD[kind])
    for lang, parts in given.items():
        if not isinstance(parts, dict):
            raise MappingError(f"{where}: key 'wording.{lang}' must map {WORDING_KEYS} to text")
        _no_unknown(parts, set(WORDING_KEYS), where, f"wording.{lang}.")
        base = texts.get(lang)
        if base is None and set(parts) != set(WORDING_KEYS):
            missing = sorted(set(WORDING_KEYS) - set(parts))
            raise MappingError(
                f"{where}: key 'wording.{lang}.{missing[0]}' is missing; a language cxlens "
                f"does not ship ({lang}) needs all of {', '.join(WORDING_KEYS)}"
            )
        for key, text in parts.items():
            if not isinstance(text, str) or not text.strip():
                raise MappingError(f"{where}: key 'wording.{lang}.{key}' must be text")
        merged = {**(base.__dict__ if base else {}), **parts}
        texts[lang] = Wording(**{k: merged[k] for k in WORDING_KEYS})
    lacking = [lang for lang in languages if lang not in texts]
    if lacking:
        raise MappingError(
            f"{where}: key 'languages' names {lacking[0]}, which has no wording; cxlens ships "
            f"{', '.join(STANDARD[kind])}; add the texts under 'wording.{lacking[0]}'"
        )
    return {lang: texts[lang] for lang in languages}


def _trigger(value: Any, where: str) -> tuple[str, str]:
    if not isinstance(value, dict) or len(value) != 1:
        raise MappingError(
            f"{where}: key 'trigger' must be one of {{touchpoint: NAME}} or {{stage: NAME}}"
        )
    ((column, name),) = value.items()
    if column not in ("touchpoint", "stage") or not isinstance(name, str) or not name:
        raise MappingError(
            f"{where}: key 'trigger.{column}' is not a trigger; use touchpoint or stage with a name"
        )
    return column, name


def _duration(value: Any, key: str, where: str) -> timedelta:
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None:
        raise MappingError(
            f"{where}: key '{key}' must be a duration such as 30m, 2h, 3d or 1w, not {value!r}"
        )
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def _drivers(value: Any, languages: tuple[str, ...], where: str) -> tuple[Driver, ...]:
    if not isinstance(value, list):
        raise MappingError(f"{where}: key 'drivers' must be a list of {{name, question}}")
    out: list[Driver] = []
    for i, item in enumerate(value):
        at = f"drivers[{i}]"
        if not isinstance(item, dict):
            raise MappingError(f"{where}: key '{at}' must be a mapping with name and question")
        _no_unknown(item, {"name", "question"}, where, f"{at}.")
        name = item.get("name")
        if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]{0,40}$", name):
            raise MappingError(f"{where}: key '{at}.name' must be a lower-case identifier")
        question = item.get("question")
        if isinstance(question, str):
            question = {languages[0]: question}
        if not isinstance(question, dict) or languages[0] not in question:
            raise MappingError(
                f"{where}: key '{at}.question' needs the text in {languages[0]} at least"
            )
        out.append(Driver(name, {str(k): str(v) for k, v in question.items()}))
    names = [d.name for d in out]
    if len(set(names)) < len(names):
        raise MappingError(f"{where}: key 'drivers' names a driver twice")
    return tuple(out)


def _contact(value: Any, where: str) -> ContactRules:
    if not isinstance(value, dict):
        raise MappingError(f"{where}: key 'contact' must be a mapping of contact rules")
    _no_unknown(value, _CONTACT_KEYS, where, "contact.")
    quiet = value.get("quiet_days", 90)
    if not isinstance(quiet, int) or isinstance(quiet, bool) or quiet < 0:
        raise MappingError(f"{where}: key 'contact.quiet_days' must be a whole number >= 0")
    sampling = value.get("sampling", 1.0)
    if (
        not isinstance(sampling, int | float)
        or isinstance(sampling, bool)
        or not (0 < sampling <= 1)
    ):
        raise MappingError(f"{where}: key 'contact.sampling' must be a share in (0, 1]")
    seed = value.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise MappingError(f"{where}: key 'contact.seed' must be a whole number")
    zone = value.get("timezone", "UTC")
    check_timezone(zone, f"{where}: key 'contact.timezone'")
    return ContactRules(
        quiet_days=quiet,
        sampling=float(sampling),
        seed=seed,
        business_hours=_hours(value.get("business_hours"), where),
        timezone=zone,
        consent=_choice(
            value, "consent", CONSENT_MODES, where, default="opt_out", prefix="contact."
        ),
    )


def _hours(value: Any, where: str) -> BusinessHours | None:
    if value is None:
        return None
    at = "contact.business_hours"
    if not isinstance(value, dict):
        raise MappingError(f"{where}: key '{at}' must be {{start, end, days}}")
    _no_unknown(value, {"start", "end", "days"}, where, f"{at}.")
    start = _clock(value.get("start", "09:00"), f"{at}.start", where)
    end = _clock(value.get("end", "18:00"), f"{at}.end", where)
    if end <= start:
        raise MappingError(f"{where}: key '{at}.end' must be later than '{at}.start'")
    days = value.get("days", list(DAYS[:5]))
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        raise MappingError(f"{where}: key '{at}.days' must list days from {', '.join(DAYS)}")
    return BusinessHours(start, end, tuple(sorted(DAYS.index(d) for d in set(days))))


def _clock(value: Any, key: str, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise MappingError(f"{where}: key '{key}' must be a time of day like 09:00") from None


def check_timezone(zone: Any, what: str) -> ZoneInfo:
    """Return the IANA time zone ``zone``; MappingError saying ``what`` held it otherwise.

    Example:
        >>> check_timezone("Asia/Shanghai", "customers.timezone").key
        'Asia/Shanghai'
    """
    try:
        return ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"{what} must be an IANA time zone such as Europe/Moscow, not {zone!r}"
        ) from None
