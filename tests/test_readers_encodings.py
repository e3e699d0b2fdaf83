"""CSV text: encodings (UTF-8, BOM, GBK, GB18030, mixed), delimiters, line endings."""

from __future__ import annotations

import pytest
from exports_support import codes

from analysis.errors import ReadError
from analysis.readers import read_raw

TEXT = "村名,户主,人口\n红星村,张建国,5\n东风村,刘德华,3\n"
#: A GB18030-only character (not in GBK): 𠀀 (U+20000), used in rare given names.
RARE = "\U00020000"


def _write(tmp_path, data: bytes, name="hh.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoding", "data", "detected"),
    [
        ("utf-8", TEXT.encode("utf-8"), "utf-8"),
        ("utf-8-sig", TEXT.encode("utf-8-sig"), "utf-8-sig"),
        ("gbk", TEXT.encode("gbk"), "gbk"),
        ("gb18030", TEXT.replace("张建国", "张" + RARE).encode("gb18030"), "gb18030"),
        ("utf-16", TEXT.replace(",", "\t").encode("utf-16"), "utf-16"),
    ],
)
def test_encoding_detected_and_text_exact(tmp_path, encoding, data, detected):
    raw = read_raw(_write(tmp_path, data))
    assert raw.metadata.encoding == detected
    assert raw.data["村名"].tolist() == ["红星村", "东风村"]
    assert raw.data["户主"].tolist()[1] == "刘德华"
    assert not (codes(raw) & {"RD150", "RD151", "RD152", "RD154"})


def test_encoding_can_be_forced(tmp_path):
    path = _write(tmp_path, TEXT.encode("gb18030"))
    raw = read_raw(path, encoding="gb18030")
    assert raw.metadata.encoding == "gb18030" and raw.data["户主"].tolist()[0] == "张建国"


def test_declared_encoding_that_fails_gives_coded_error_with_row(tmp_path):
    path = _write(tmp_path, ("a,b\n1,2\n" + TEXT).encode("gbk"))
    with pytest.raises(ReadError) as err:
        read_raw(path, encoding="utf-8")
    assert err.value.code == "RD005" and err.value.row == 3
    assert "gbk" in err.value.hint


def test_declared_encoding_that_garbles_is_logged(tmp_path):
    raw = read_raw(_write(tmp_path, TEXT.encode("utf-8")), encoding="latin-1")
    assert "RD154" in codes(raw)


def test_unknown_encoding_name(tmp_path):
    with pytest.raises(ReadError) as err:
        read_raw(_write(tmp_path, TEXT.encode("utf-8")), encoding="klingon")
    assert err.value.code == "RD005"


def test_bom_in_front_of_gbk(tmp_path):
    raw = read_raw(_write(tmp_path, b"\xef\xbb\xbf" + TEXT.encode("gbk")))
    assert raw.metadata.encoding == "gbk" and "RD151" in codes(raw)
    assert list(raw.data.columns[2:]) == ["村名", "户主", "人口"]


def test_lines_in_two_encodings(tmp_path):
    lines = TEXT.splitlines(keepends=True)
    data = (lines[0] + lines[1]).encode("utf-8") + lines[2].encode("gbk")
    raw = read_raw(_write(tmp_path, data))
    assert "RD152" in codes(raw)
    assert raw.data["户主"].tolist() == ["张建国", "刘德华"]


def test_western_windows_text_is_read_and_flagged(tmp_path):
    raw = read_raw(_write(tmp_path, "name,type\nPoint G,Hôpital\n".encode("cp1252")))
    assert raw.data["type"].tolist() == ["Hôpital"] and "RD150" in codes(raw)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_sniffed(tmp_path, delimiter):
    text = TEXT.replace(",", delimiter)
    raw = read_raw(_write(tmp_path, text.encode("utf-8")))
    assert raw.metadata.delimiter == delimiter and raw.data["人口"].tolist() == ["5", "3"]


def test_semicolon_file_with_commas_inside_quotes(tmp_path):
    data = b'"name";"note"\n"A";"1,2,3"\n'
    raw = read_raw(_write(tmp_path, data))
    assert raw.metadata.delimiter == ";" and raw.data["note"].tolist() == ["1,2,3"]


def test_mixed_line_endings_lose_no_record(tmp_path):
    data = b'a,b\r\n1,x\n2,y\r3,z\r\n4,"multi\nline"\n'
    raw = read_raw(_write(tmp_path, data))
    assert raw.data["a"].tolist() == ["1", "2", "3", "4"]
    assert raw.data["b"].tolist()[-1] == "multi\nline"
    assert "RD144" in codes(raw)
    assert raw.data["_source_row"].tolist() == [2, 3, 4, 5]


def test_embedded_newlines_are_not_mixed_line_endings(tmp_path):
    data = b'a,b\r\n1,"x\ny"\r\n2,z\r\n'
    assert "RD144" not in codes(read_raw(_write(tmp_path, data)))
