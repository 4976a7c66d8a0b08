"""Property checks of the reading rules: what a value means survives the way in."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlens.ingest.load import _key_text
from cxlens.ingest.values import parse_numbers, parse_times, utc_offsets

amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False
)


def _written(value: Decimal, decimal: str, group: str) -> str:
    """Write ``value`` as a person in that locale would: 1,234,567.89 or 1.234.567,89."""
    text = f"{value:,.2f}"  # Python writes the English form
    if group != ",":
        text = text.replace(",", "\0").replace(".", decimal).replace("\0", group)
    return text


@settings(max_examples=200, deadline=None)
@given(amounts, st.sampled_from([(".", ","), (",", "."), (",", " "), (".", "'"), (".", "")]))
def test_a_number_written_in_any_locale_reads_back_exactly(value, locale):
    decimal, group = locale
    text = _written(value, decimal, group) if group else f"{value:.2f}"
    numbers, found = parse_numbers(pd.Series([text]), decimal)
    assert not any(f.mask.any() for f in found), text
    assert numbers.iloc[0] == float(value), text  # float(Decimal) is the nearest double


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=pd.Timestamp("1990-01-01"), max_value=pd.Timestamp("2060-01-01")),
    st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15),
)
def test_a_time_with_any_offset_is_stored_in_utc_and_the_offset_kept(local, minutes):
    local = pd.Timestamp(local).floor("s")
    sign = "+" if minutes >= 0 else "-"
    offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    text = pd.Series([local.strftime("%Y-%m-%dT%H:%M:%S") + offset])
    stamps, found = parse_times(text, None, None)
    assert not any(f.mask.any() for f in found)
    assert stamps.iloc[0] == local - pd.Timedelta(minutes=minutes)
    assert utc_offsets(text).iloc[0] == (None if minutes == 0 else offset)


parts = st.text(alphabet="ab/\\", min_size=0, max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(parts, parts), min_size=2, max_size=6, unique=True))
def test_different_composite_keys_never_share_a_key_text(keys):
    rows = pd.DataFrame(keys, columns=["source", "source_id"])
    texts = _key_text(rows, ["source", "source_id"])
    assert texts.nunique() == len(keys)
