import yaml

from cxlens.ingest import Mapping, suggest_mapping
from cxlens.ingest.suggest import suggestion_yaml
from tests.conftest import write_text


def test_suggests_columns_and_a_scale_from_a_tool_export(tmp_path):
    path = write_text(tmp_path / "export.csv", (
        "Response ID,Submitted At,How likely are you to recommend us? (1-10),Customer,"
        "Comment,Browser\n"
        "a1,2024-01-01,10,c1,great,firefox\n"
        "a2,2024-01-02,1,c2,bad,chrome\n"))  # fmt: skip
    suggestion = suggest_mapping(path, "responses")
    assert suggestion["columns"] == {
        "Response ID": "response_id",
        "Submitted At": "responded_at",
        "How likely are you to recommend us? (1-10)": "nps",
        "Customer": "customer_id",
        "Comment": "comment",
    }
    assert suggestion["scales"] == {"nps": {"from": [1, 10], "rule": "linear"}}
    assert suggestion["unmatched"] == ["Browser"]
    text = suggestion_yaml(suggestion)
    assert "# unmatched: 'Browser'" in text
    mapping = Mapping.from_dict(yaml.safe_load(text))  # the suggestion is a valid mapping
    assert mapping.scales["nps"].source == (1.0, 10.0)


def test_suggests_a_scale_from_values_and_russian_headers(tmp_path):
    path = write_text(tmp_path / "ru.csv", (
        "Номер;Дата;Удовлетворенность\n1;2024-01-01;10\n2;2024-01-02;3\n"), "cp1251")  # fmt: skip
    suggestion = suggest_mapping(path, "responses")
    assert suggestion["columns"] == {"Дата": "responded_at", "Удовлетворенность": "csat"}
    assert suggestion["scales"] == {"csat": {"from": [1, 10], "rule": "linear"}}
    assert suggestion["unmatched"] == ["Номер"]


def test_canonical_headers_need_no_scale(tmp_path):
    path = write_text(tmp_path / "s.csv", "response_id,responded_at,nps\nr1,2024-01-01,0\n")
    suggestion = suggest_mapping(path, "responses")
    assert suggestion["columns"] == {c: c for c in ("response_id", "responded_at", "nps")}
    assert "scales" not in suggestion
