"""The clv-fit benchmark at tiny size: it runs, the two fits agree, the entry is right."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from benchmarks import clv_fit, clv_fit_data, measure, results

pytestmark = pytest.mark.slow  # benchmark harness runs on generated data sets

pytest.importorskip("lifetimes")

ROWS = 5_000


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, measure.Measurement]:
    data_dir = tmp_path_factory.mktemp("bench-clv-fit")
    return clv_fit.measure_all(ROWS, repeat=1, warmup=0, data_dir=data_dir)


def frames(measured: dict[str, measure.Measurement]) -> dict[str, dict]:
    return {name: {k: f.copy() for k, f in m.results.items()} for name, m in measured.items()}


def test_cxlens_and_lifetimes_agree_to_three_digits(measured):
    assert set(measured) == {"cxlens", "lifetimes"}
    agreement = clv_fit.check_agreement(frames(measured))
    params = {(p["model"], p["param"]) for p in agreement["parameters"]}
    assert params == {("bg_nbd", k) for k in ("r", "alpha", "a", "b")} | {
        ("gamma_gamma", k) for k in ("p", "q", "gamma")
    }
    assert agreement["max_relative_difference"] < 5e-4


def test_a_parameter_off_in_the_third_digit_fails(measured):
    got = frames(measured)
    params = got["cxlens"]["params"]
    params.loc[params["param"] == "b", "value"] *= 1.004
    with pytest.raises(clv_fit.DisagreementError, match="bg_nbd b"):
        clv_fit.check_agreement(got)


def test_same_digits_is_half_a_unit_of_the_third_digit():
    assert clv_fit.same_digits(0.24149, 0.2415)
    assert not clv_fit.same_digits(0.2421, 0.2415)  # 3 digits: a unit is 0.001
    assert clv_fit.same_digits(30.3849, 30.39) and not clv_fit.same_digits(30.2, 30.39)
    assert clv_fit.same_digits(0.0, 0.0) and not clv_fit.same_digits(float("nan"), 1.0)


def test_the_entry_has_the_documented_shape(measured, tmp_path: Path):
    agreement = clv_fit.check_agreement(frames(measured))
    entry = clv_fit.make_entry(ROWS, clv_fit.DEFAULT_SEED, 1, 0, measured, agreement)
    path = tmp_path / "results.json"
    results.save_results([entry], path)
    got = json.loads(path.read_text())[0]
    assert set(results.ENTRY_KEYS) <= set(got)
    assert got["name"] == "clv-fit" and got["rows"] == ROWS
    assert set(got["baselines"]) == set(got["ratios"]) == {"lifetimes"}
    assert got["ratios"]["lifetimes"] == pytest.approx(
        got["seconds"] / got["baselines"]["lifetimes"]
    )
    assert (
        got["targets"] == {"ratios": {"lifetimes": 0.1}}
        and "ratio vs lifetimes" in got["targets_met"]
    )
    assert got["peak_mb"] > 0 and got["baseline_peak_mb"]["lifetimes"] > 0
    assert got["planted"]["bg_nbd"] == clv_fit_data.TRUTH_BG
    assert results.results_table([got]).row_count == 2


def test_generated_data_is_cached_reproducible_and_from_the_planted_process(tmp_path: Path):
    first = clv_fit_data.ensure_clv_dataset(40_000, seed=5, data_dir=tmp_path / "a")
    path = first.files["summary"]
    stamp = path.stat().st_mtime_ns
    assert clv_fit_data.ensure_clv_dataset(40_000, seed=5, data_dir=tmp_path / "a") == first
    assert path.stat().st_mtime_ns == stamp
    other = clv_fit_data.ensure_clv_dataset(40_000, seed=5, data_dir=tmp_path / "b")
    table = pq.read_table(path)
    assert table.equals(pq.read_table(other.files["summary"])) and table.num_rows == 40_000
    frame = table.to_pandas()
    assert (frame["recency"] <= frame["T"]).all() and (frame["T"] >= 1).all()
    repeat = frame["frequency"] > 0
    assert (frame.loc[repeat, "monetary_value"] >= 0.01).all()
    assert (frame.loc[~repeat, ["recency", "monetary_value"]] == 0).all().all()
    # the generator follows the BG/NBD story: the mean number of repeat purchases of
    # customers of age T matches E[X(T)] (FHL 2005, eq. 9) at the planted parameters
    from cxlens.models import BetaGeo

    bg = BetaGeo()
    bg.params_ = dict(clv_fit_data.TRUTH_BG)
    want = bg.expected_purchases_new(frame["T"].to_numpy()).mean()
    sd = frame["frequency"].std() / np.sqrt(len(frame))
    assert abs(frame["frequency"].mean() - want) < 4 * sd
    # ... and the Gamma-Gamma one: E[zbar] = E[p / nu] = p * gamma / (q - 1)
    p, q, gamma = clv_fit_data.TRUTH_GG.values()
    spend = frame.loc[repeat, "monetary_value"]
    assert abs(spend.mean() - p * gamma / (q - 1)) < 4 * spend.std() / np.sqrt(len(spend))
