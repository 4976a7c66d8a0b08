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
    assert suggestion["columns"] == {
        "Номер": "response_id", "Дата": "responded_at", "Удовлетворенность": "csat",
    }  # fmt: skip
    assert suggestion["scales"] == {"csat": {"from": [1, 10], "rule": "linear"}}
    assert "unmatched" not in suggestion


def test_canonical_headers_need_no_scale(tmp_path):
    path = write_text(tmp_path / "s.csv", "response_id,responded_at,nps\nr1,2024-01-01,0\n")
    suggestion = suggest_mapping(path, "responses")
    assert suggestion["columns"] == {c: c for c in ("response_id", "responded_at", "nps")}
    assert "scales" not in suggestion


def test_id_and_rating_headers_in_english_russian_and_chinese(tmp_path):
    # The defect: "Ticket ID", "id", 编号 and 评分 were left unmatched.
    cases = [
        ("Ticket ID,Date,Rating\n101,2024-01-01,5\n102,2024-01-02,1\n",
         {"Ticket ID": "response_id", "Date": "responded_at", "Rating": "csat"}),
        ("id,date,score\n1,2024-01-01,0\n2,2024-01-02,10\n",
         {"id": "response_id", "date": "responded_at", "score": "nps"}),
        ("编号,日期,评分\n1,2024-01-01,4\n2,2024-01-02,5\n",
         {"编号": "response_id", "日期": "responded_at", "评分": "csat"}),
        ("Номер;Дата;Оценка\n1;2024-01-01;5\n2;2024-01-02;2\n",
         {"Номер": "response_id", "Дата": "responded_at", "Оценка": "csat"}),
    ]  # fmt: skip
    for i, (text, expected) in enumerate(cases):
        suggestion = suggest_mapping(write_text(tmp_path / f"s{i}.csv", text), "responses")
        assert suggestion["columns"] == expected, text
        assert "scales" not in suggestion


def test_an_id_header_names_the_key_of_the_table_asked_for(tmp_path):
    path = write_text(tmp_path / "o.csv", "ID,Amount,Customer ID\n7,10.5,c1\n")
    assert suggest_mapping(path, "transactions")["columns"] == {
        "ID": "transaction_id", "Amount": "amount", "Customer ID": "customer_id",
    }  # fmt: skip
