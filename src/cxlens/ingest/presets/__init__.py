"""Tool-export presets: read an export as the tool writes it, mapped to a canonical table.

``get_preset(name)`` returns one; ``detect(path)`` recognises a file's tool from its header
rows. ``ws.ingest(path, preset="qualtrics")`` / ``cxlens ingest FILE --preset qualtrics``
(or ``--preset auto``) use them.
"""

from __future__ import annotations

from pathlib import Path

from cxlens.errors import ArgumentError, IngestError
from cxlens.ingest.presets.base import Plan, Preset
from cxlens.ingest.presets.crm import HubSpot, Salesforce
from cxlens.ingest.presets.ga4 import GA4
from cxlens.ingest.presets.google_forms import GoogleForms
from cxlens.ingest.presets.microsoft_forms import MicrosoftForms
from cxlens.ingest.presets.qualtrics import Qualtrics, QualtricsLegacy, QualtricsLegacyV
from cxlens.ingest.presets.shopify import Shopify
from cxlens.ingest.presets.surveymonkey import SurveyMonkey
from cxlens.ingest.presets.typeform import Typeform
from cxlens.ingest.presets.zendesk import (
    Zendesk,
    ZendeskCsat,
    ZendeskExplore,
    ZendeskExploreCsat,
)
from cxlens.ingest.readers import SourceFile, read_header_rows

#: Every preset, in the order ``detect`` tries them (the most specific headers first).
PRESETS: dict[str, type[Preset]] = {
    p.name: p
    for p in (Qualtrics, QualtricsLegacy, QualtricsLegacyV, SurveyMonkey, Typeform, Shopify,
              Zendesk, ZendeskCsat, ZendeskExplore, ZendeskExploreCsat, HubSpot, Salesforce, GA4,
              MicrosoftForms, GoogleForms)
}  # fmt: skip
AUTO = "auto"


def get_preset(
    name: str,
    table: str | None = None,
    *,
    timezone: str | None = None,
    dayfirst: bool = False,
) -> Preset:
    """Return the preset called ``name``; ``"name:Zone/City"`` also sets its time zone.

    With ``table``, a tool read into several tables gives the preset for that table
    (``get_preset("zendesk", "responses")`` is ``zendesk_csat``).

    Example:
        >>> get_preset("shopify:Europe/Berlin").zone
        'Europe/Berlin'
    """
    key, _, zone = name.partition(":")
    key = key.strip().lower().replace("-", "_")
    if key not in PRESETS:
        raise ArgumentError(
            f"unknown preset '{name}'; the presets are: {', '.join(PRESETS)} (or 'auto')"
        )
    chosen = PRESETS[key]
    if table is not None and chosen.table != table:
        tool = chosen.tool or chosen.name
        others = [p for p in PRESETS.values() if (p.tool or p.name) == tool and p.table == table]
        if not others:
            raise ArgumentError(
                f"the {chosen.title} preset loads table '{chosen.table}', not '{table}'"
            )
        chosen = others[0]
    return chosen(timezone=timezone or zone or None, dayfirst=dayfirst)


def detect(path: str | Path, *, encoding: str | None = None) -> Preset:
    """Return the preset whose tool wrote the file, recognised from its header rows.

    Raises IngestError when no preset matches, listing the file's first headers.

    Example:
        >>> detect("export.csv").name  # doctest: +SKIP
        'qualtrics'
    """
    source = SourceFile(Path(path), encoding=encoding)
    header = read_header_rows(source, max(p.header_rows for p in PRESETS.values()))
    for preset in PRESETS.values():
        candidate = preset()
        if candidate.detect(header):
            return candidate
    first = [h for h in header.rows[0] if h][:10] if header.rows else []
    raise IngestError(
        f"{path}: no preset recognises this file (header row 1: {first}); name the preset "
        f"({', '.join(PRESETS)}) or load it with a mapping"
    )


def resolve(
    preset: str | Preset, path: str | Path, table: str | None = None, **kw: object
) -> Preset:
    """Return a Preset from a name, ``"auto"`` (detect the file's tool) or a Preset.

    Example:
        >>> resolve("auto", "typeform.csv").name  # doctest: +SKIP
        'typeform'
    """
    if isinstance(preset, Preset):
        return preset
    if preset.strip().lower() == AUTO:
        found = detect(path, encoding=kw.get("encoding"))  # type: ignore[arg-type]
        return get_preset(found.name, table) if table else found
    return get_preset(preset, table)


__all__ = ["PRESETS", "Plan", "Preset", "detect", "get_preset", "resolve"]
