"""Write a generated sample to files in the formats clients hand over."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from cxlens.sample.generate import SampleData

#: File written for each canonical table.
FILES: dict[str, str] = {
    "customers": "customers.csv",
    "identities": "identities.csv",
    "responses": "responses.csv",
    "transactions": "transactions.parquet",
    "events": "events.parquet",
    "posts": "posts.jsonl",
    "campaigns": "campaigns.xlsx",
}
CSV_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The dates of an XLSX's document properties (docProps/core.xml), stamped by openpyxl.
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def mapping_yaml(mapping: dict[str, Any]) -> str:
    """Render a mapping document as YAML: one line per column, scales in flow style.

    Args:
        mapping: dict with ``table``, ``columns`` (source header -> canonical column), optional
            ``scales`` (column -> {from: [lo, hi], rule: ...}) and reader settings.

    Returns:
        YAML text that ``yaml.safe_load`` reads back into ``mapping``.

    Example:
        >>> print(mapping_yaml({"table": "responses", "columns": {"Score": "nps"}}), end="")
        table: responses
        columns:
          "Score": nps
    """
    lines = [f"table: {mapping['table']}", "columns:"]
    for source, target in mapping["columns"].items():
        lines.append(f"  {json.dumps(source, ensure_ascii=False)}: {target}")
    if mapping.get("scales"):
        lines.append("scales:")
        for column, spec in mapping["scales"].items():
            body = ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in spec.items())
            lines.append(f"  {column}: {{{body}}}")
    for key, value in mapping.items():
        if key not in ("table", "columns", "scales"):
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def stable_xlsx(data: bytes, stamp: pd.Timestamp) -> bytes:
    """Return the XLSX ``data`` with its times set to ``stamp``: same cells, same bytes.

    openpyxl stamps the time of writing into the document properties and every zip entry,
    so the same sample written twice would differ and a second load would not be recognised
    as done (ingest knows a file by its bytes). Contents and compression are kept.

    Example:
        >>> buffer = io.BytesIO()
        >>> pd.DataFrame({"a": [1]}).to_excel(buffer, index=False)
        >>> fixed = stable_xlsx(buffer.getvalue(), pd.Timestamp("2025-12-31"))
        >>> zipfile.ZipFile(io.BytesIO(fixed)).infolist()[0].date_time
        (2025, 12, 31, 0, 0, 0)
    """
    when = pd.Timestamp(stamp).floor("s")
    date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            body = source.read(entry)
            if entry.filename == "docProps/core.xml":
                body = _CORE_DATES.sub(rb"\g<1>" + iso + rb"\g<2>", body)
            fixed = zipfile.ZipInfo(entry.filename, date_time=date_time)
            fixed.compress_type = entry.compress_type
            fixed.external_attr = entry.external_attr
            target.writestr(fixed, body)
    return out.getvalue()


def _write_table(frame: pd.DataFrame, path: Path, stamp: pd.Timestamp) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8", date_format=CSV_DATE_FORMAT)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(
            path, orient="records", lines=True, force_ascii=False, date_format="iso", date_unit="s"
        )
    elif path.suffix == ".xlsx":
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, sheet_name=path.stem, engine="openpyxl")
        path.write_bytes(stable_xlsx(buffer.getvalue(), stamp))
    else:  # pragma: no cover - FILES only names the formats above
        raise ValueError(f"no writer for {path.suffix}")


def write_sample(data: SampleData, directory: str | Path) -> dict[str, Path]:
    """Write the sample's tables, tool export, mapping and truth into ``directory``.

    Files: customers.csv, identities.csv, responses.csv (UTF-8, canonical headers, so they load
    without a mapping), transactions.parquet, events.parquet, posts.jsonl (JSON Lines),
    campaigns.xlsx (sheet "campaigns", dated the last day of the period), survey_export.csv
    with survey_export.mapping.yaml (a tool export with its own headers and NPS asked 1-10),
    identity_links.csv (the true customer of each identity record) and truth.json. The
    directory is created when missing; existing files of the same names are replaced. The
    same sample always gives the same bytes, so loading it again is recognised as done.

    Args:
        data: a sample from ``generate``.
        directory: where to write.

    Returns:
        Path of each file by name: the seven table names, plus ``survey_export``,
        ``survey_export_mapping``, ``identity_links`` and ``truth``.

    Example:
        >>> import tempfile
        >>> from cxlens.sample import generate
        >>> paths = write_sample(generate(customers=100, months=6), tempfile.mkdtemp())
        >>> paths["responses"].name
        'responses.csv'
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    stamp = pd.Timestamp(data.truth["size"]["end"])  # as if exported when the period ended
    for name, file in FILES.items():
        path = out / file
        _write_table(data.tables[name], path, stamp)
        paths[name] = path
    for name, frame in data.exports.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, encoding="utf-8")
        paths[name] = path
        mapping = out / f"{name}.mapping.yaml"
        mapping.write_text(mapping_yaml(data.mappings[name]), encoding="utf-8")
        paths[f"{name}_mapping"] = mapping
    if data.identity_links is not None:
        path = out / "identity_links.csv"
        data.identity_links.to_csv(path, index=False, encoding="utf-8")
        paths["identity_links"] = path
    path = out / "truth.json"
    path.write_text(json.dumps(data.truth, ensure_ascii=False, indent=2), encoding="utf-8")
    paths["truth"] = path
    return paths
