"""Ingestion: read a source file, map its columns, validate rows, load them atomically."""

from cxlens.ingest.load import LoadResult
from cxlens.ingest.mapping import Mapping, Scale, read_mapping
from cxlens.ingest.suggest import suggest_mapping

__all__ = ["LoadResult", "Mapping", "Scale", "read_mapping", "suggest_mapping"]
