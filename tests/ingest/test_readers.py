import pandas as pd
import pytest

from cxlens.errors import IngestError
from cxlens.ingest.readers import SourceFile, detect_encoding, read_chunks
from tests.conftest import write_text

CSV = "response_id,responded_at,nps,comment\nr1,2024-01-02,9,{c1}\nr2,2024-01-03,3,{c2}\n"
RU = ("Отличный сервис", "Ужасная поддержка")
ZH = ("服务很好", "客服太差")


def read_all(path, **kw):
    return pd.concat(list(read_chunks(SourceFile(path, **kw))), ignore_index=True)


@pytest.mark.parametrize(
    ("encoding", "comments", "expected"),
    [
        ("utf-8", RU, "utf-8"),
        ("utf-8-sig", ZH, "utf-8-sig"),
        ("utf-16", RU, "utf-16"),
        ("cp1251", RU, "cp1251"),
        ("gb18030", ZH, "gb18030"),
    ],
)
def test_encodings_are_detected_and_text_survives(tmp_path, encoding, comments, expected):
    path = write_text(tmp_path / "s.csv", CSV.format(c1=comments[0], c2=comments[1]), encoding)
    assert detect_encoding(path) == expected
    frame = read_all(path)
    assert frame["comment"].tolist() == list(comments)
    assert frame["response_id"].tolist() == ["r1", "r2"]  # no BOM glued to the first header


def test_gbk_export_reads_as_gb18030(tmp_path):
    path = write_text(tmp_path / "s.csv", CSV.format(c1=ZH[0], c2=ZH[1]), "gbk")
    assert read_all(path)["comment"].tolist() == list(ZH)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = CSV.format(c1="fine", c2="bad").replace(",", delimiter)
    frame = read_all(write_text(tmp_path / "s.csv", text))
    assert list(frame.columns) == ["response_id", "responded_at", "nps", "comment", "_source_row"]
    assert frame["nps"].tolist() == ["9", "3"]


def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path):
    frame = read_all(write_text(tmp_path / "s.csv", CSV.format(c1="a", c2="b")))
    assert frame["_source_row"].tolist() == [2, 3]


def test_chunks_keep_numbering_across_chunks(tmp_path):
    lines = "\n".join(f"r{i},2024-01-01,5,x" for i in range(5))
    path = write_text(tmp_path / "s.csv", "response_id,responded_at,nps,comment\n" + lines)
    chunks = list(read_chunks(SourceFile(path), chunk_rows=2))
    assert [c["_source_row"].tolist() for c in chunks] == [[2, 3], [4, 5], [6]]


def test_parquet_jsonl_and_xlsx_read_as_text(tmp_path):
    frame = pd.DataFrame(
        {
            "response_id": ["r1", "r2"],
            "responded_at": pd.to_datetime(["2024-01-02", None]),
            "nps": [9, 3],
        }
    )
    frame.to_parquet(tmp_path / "s.parquet")
    frame.to_excel(tmp_path / "s.xlsx", index=False)
    (tmp_path / "s.jsonl").write_text(
        '{"response_id": "r1", "nps": 9}\n\n{"response_id": "r2", "nps": 3, "x": null}\n'
    )
    parquet = read_all(tmp_path / "s.parquet")
    assert parquet["nps"].tolist() == ["9", "3"]
    assert parquet["responded_at"].iloc[0].startswith("2024-01-02T00:00:00")
    assert parquet["responded_at"].iloc[1] is None
    assert parquet["_source_row"].tolist() == [1, 2]
    xlsx = read_all(tmp_path / "s.xlsx")
    assert xlsx["nps"].tolist() == ["9", "3"]
    assert xlsx["_source_row"].tolist() == [2, 3]
    jsonl = read_all(tmp_path / "s.jsonl")
    assert jsonl["nps"].tolist() == ["9", "3"]
    assert jsonl["_source_row"].tolist() == [1, 3]  # the line numbers, blank line skipped


def test_empty_file_is_refused(tmp_path):
    path = write_text(tmp_path / "s.csv", "")
    with pytest.raises(IngestError, match=r"s\.csv: the file is empty"):
        read_all(path)


def test_header_only_file_is_refused(tmp_path):
    path = write_text(tmp_path / "s.csv", "response_id,nps\n")
    with pytest.raises(IngestError, match="header but no data rows"):
        read_all(path)


def test_truncated_csv_is_refused(tmp_path):
    path = write_text(tmp_path / "s.csv", 'response_id,comment\nr1,"never closed\n')
    with pytest.raises(IngestError, match=r"structure is broken.*truncated"):
        read_all(path)


def test_truncated_parquet_is_refused(tmp_path):
    pd.DataFrame({"a": range(1000)}).to_parquet(tmp_path / "s.parquet")
    data = (tmp_path / "s.parquet").read_bytes()
    (tmp_path / "s.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="not a readable Parquet file"):
        read_all(tmp_path / "s.parquet")


def test_truncated_jsonl_names_the_line(tmp_path):
    (tmp_path / "s.jsonl").write_text('{"a": 1}\n{"a": 2}\n{"a": ')
    with pytest.raises(IngestError, match="line 3 is not valid JSON"):
        read_all(tmp_path / "s.jsonl")


def test_wrong_declared_encoding_is_a_clear_error(tmp_path):
    path = write_text(tmp_path / "s.csv", CSV.format(c1=RU[0], c2=RU[1]), "cp1251")
    with pytest.raises(IngestError, match=r"cannot be decoded as utf-8.*encoding"):
        read_all(path, encoding="utf-8")


def test_unknown_extension_is_refused(tmp_path):
    with pytest.raises(IngestError, match=r"unknown file type '\.sav'"):
        SourceFile(tmp_path / "s.sav").format  # noqa: B018


def test_row_by_row_reading_marks_rows_with_the_wrong_field_count(tmp_path):
    path = write_text(tmp_path / "s.csv", "a;b\n1;2\n3;4;5\n\n6;7\n")
    frame = read_all(path, tolerant=True, delimiter=";")
    assert frame["_source_row"].tolist() == [2, 3, 5]
    assert frame["a"].tolist()[0::2] == ["1", "6"]
    assert frame["_row_problem"].tolist()[1] == "the row has 3 fields; the header has 2"
    assert frame["_row_text"].tolist()[1] == "3;4;5"
