"""Encodings decided on the whole file, checked for mojibake, recorded with the load."""

import pytest

from cxlens.errors import EngineError, IngestError
from cxlens.ingest.encoding import clean_share, detect
from cxlens.ingest.load import LOADS_COLUMNS, LOADS_TABLE
from cxlens.ingest.readers import SourceFile, read_chunks
from tests.conftest import write_text

HEADER = "response_id,responded_at,nps,comment\n"
FR = ["Très bon accueil, délai respecté", "Conseiller à l'écoute, prix élevé", "Ça marche"]
RU = ["Отличный сервис", "Ужасная поддержка, всё плохо", "Нормально"]
ZH = ["服务很好，物流很快", "客服太差了", "一般"]


def survey(comments):
    rows = (f'r{i},2024-01-0{i},{i + 6},"{c}"' for i, c in enumerate(comments, start=1))
    return HEADER + "\n".join(rows) + "\n"


def comments(path, **kw):
    return [c for chunk in read_chunks(SourceFile(path, **kw)) for c in chunk["comment"]]


@pytest.mark.parametrize("encoding", ["cp1252", "latin_1"])
def test_a_western_european_file_is_not_read_as_cp1251(tmp_path, encoding):
    # The defect: a Latin-1 French export came back as "Trиs bon accueil, dйlai respectй".
    path = write_text(tmp_path / "fr.csv", survey(FR), encoding)
    found = detect(path)
    assert (found.encoding, found.method) == ("cp1252", "whole-file plausibility")
    assert found.confidence == 1.0  # every non-ASCII word reads as French
    assert found.runner_up[0] == "cp1251" and found.runner_up[1] < 0.2
    assert comments(path) == FR


@pytest.mark.parametrize(("encoding", "texts", "expected"), [
    ("cp1251", RU, "cp1251"), ("gbk", ZH, "gb18030"), ("big5", ["服務很好", "客服太差了"], "big5"),
])  # fmt: skip
def test_cyrillic_and_chinese_code_pages_still_win_on_their_own_files(
    tmp_path, encoding, texts, expected
):
    path = write_text(tmp_path / "s.csv", survey(texts), encoding)
    assert detect(path).encoding == expected
    assert comments(path) == texts


def test_the_whole_file_decides_not_its_first_megabyte(tmp_path):
    # 1.2 MB of ASCII rows, then one French comment: a 1 MB sample called this UTF-8 and the
    # read then failed; the whole file says Windows-1252.
    body = "".join(f"r{i},2024-01-01,9,ok\n" for i in range(60_000))
    path = write_text(tmp_path / "s.csv", HEADER + body + 'r_last,2024-01-02,3,"délai"\n', "cp1252")
    assert path.stat().st_size > 1 << 20
    assert detect(path).encoding == "cp1252"
    assert comments(path)[-1] == "délai"


def test_two_copies_with_a_column_added_get_the_same_encoding(tmp_path):
    one = write_text(tmp_path / "a.csv", survey(FR), "cp1252")
    widened = survey(FR).replace("\n", ",x\n").replace("comment,x", "comment,extra")
    two = write_text(tmp_path / "b.csv", widened, "cp1252")
    assert detect(one) == detect(two)


def test_mojibake_scores_low_for_the_wrong_code_page():
    words = {w.encode("cp1251"): 1 for w in " ".join(RU).replace(",", "").split()}
    from collections import Counter

    assert clean_share(Counter(words), "cp1251") == 1.0
    assert clean_share(Counter(words), "cp1252") < 0.3  # "Îòëè÷íûé", "Óæàñíàÿ"


def test_a_file_mixing_utf8_and_cp1252_is_refused_with_the_byte_and_line(tmp_path):
    # Line 2 is UTF-8 Russian (cp1252 turns it into "Ð¾Ñ‚..."); line 4 is one cp1252 byte.
    text = survey(RU[:2]).encode("utf-8") + b'r9,2024-01-09,9,"caf\xe9"\n'
    path = tmp_path / "mixed.csv"
    path.write_bytes(text)
    offset = text.index(b"\xe9")
    with pytest.raises(IngestError) as err:
        comments(path)
    message = str(err.value)
    assert f"at byte offset {offset} (line 4, byte 0xe9)" in message
    assert "the file may mix encodings" in message and "--encoding" in message


def test_a_wrong_given_encoding_names_the_byte_offset_and_line(tmp_path):
    path = write_text(tmp_path / "s.csv", survey(RU), "cp1251")
    offset = path.read_bytes().index("О".encode("cp1251"))
    with pytest.raises(IngestError, match=rf"cannot be decoded as utf-8 at byte offset {offset} "
                       r"\(line 2, byte 0xce\)"):  # fmt: skip
        comments(path, encoding="utf-8")


def test_the_load_result_and_the_load_log_carry_the_encoding(ws, tmp_path):
    path = write_text(tmp_path / "fr.csv", survey(FR), "cp1252")
    result = ws.ingest(path, table="responses")
    assert (result.encoding, result.encoding_confidence) == ("cp1252", 1.0)
    assert "encoding cp1252 (confidence 1.00)" in result.summary()
    log = ws.loads()
    assert log[["encoding", "encoding_confidence"]].values.tolist() == [["cp1252", 1.0]]
    stored = ws.table("responses").order_by("response_id").execute()["comment"].tolist()
    assert stored == FR


def test_an_encoding_given_overrides_detection_and_is_recorded_as_given(ws, tmp_path):
    path = write_text(tmp_path / "fr.csv", survey(FR), "cp1252")
    result = ws.ingest(path, table="responses", encoding="cp1250")  # Central European
    assert (result.encoding, result.encoding_confidence) == ("cp1250", 1.0)
    assert (
        ws.table("responses").execute()["comment"].tolist()[0] == "Trčs bon accueil, délai respecté"
    )


def test_utf8_files_are_certain(tmp_path):
    path = write_text(tmp_path / "s.csv", survey(ZH), "utf-8")
    assert (detect(path).encoding, detect(path).confidence) == ("utf-8", 1.0)
    ascii_only = write_text(tmp_path / "a.csv", survey(["fine", "ok"]))
    assert detect(ascii_only).method == "ASCII only"


def test_the_report_lineage_and_cxlens_loads_show_the_encoding(ws, tmp_path):
    from typer.testing import CliRunner

    from cxlens.cli import app
    from cxlens.report.sections import lineage_section

    ws.ingest(write_text(tmp_path / "ru.csv", survey(RU), "cp1251"), table="responses")
    assert "<td>cp1251 (1.00)</td>" in lineage_section(ws).body_html
    ws.close()
    out = CliRunner().invoke(
        app, ["loads", "-w", str(tmp_path / "ws.duckdb")], env={"COLUMNS": "200"}
    )
    assert out.exit_code == 0, out.output
    assert "cp1251" in out.output


def test_a_load_log_from_an_earlier_version_gains_the_encoding_columns(ws, tmp_path):
    old = {c: t for c, t in LOADS_COLUMNS.items() if not c.startswith("encoding")}
    ws.engine.create_table(LOADS_TABLE, old)
    ws.ingest(write_text(tmp_path / "fr.csv", survey(FR), "cp1252"), table="responses")
    assert ws.loads()["encoding"].tolist() == ["cp1252"]


def test_an_engine_that_cannot_add_columns_keeps_its_old_load_log(ws, tmp_path, monkeypatch):
    # Spark: no ALTER TABLE ADD COLUMN; the file still loads, the log keeps its columns.
    old = {c: t for c, t in LOADS_COLUMNS.items() if not c.startswith("encoding")}
    ws.engine.create_table(LOADS_TABLE, old)

    def refuse(name, columns):
        raise EngineError(f"table '{name}' lacks columns {sorted(columns)}")

    monkeypatch.setattr(ws.engine, "add_columns", refuse)
    result = ws.ingest(write_text(tmp_path / "fr.csv", survey(FR), "cp1252"), table="responses")
    assert (result.rows_loaded, result.encoding) == (3, "cp1252")
    assert "encoding" not in ws.loads().columns
