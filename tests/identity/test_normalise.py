"""Each normaliser on hand-made values; phones checked against libphonenumber itself."""

from __future__ import annotations

from datetime import date

import ibis
import numpy as np
import phonenumbers
import pytest

from cxlens.errors import ArgumentError
from cxlens.identity import normalise as nz


def run(**columns):
    """Evaluate expressions built on a memtable of ``columns`` on DuckDB."""
    con = ibis.duckdb.connect()

    def go(build):
        t = ibis.memtable(columns)
        return con.execute(t.select(**build(t))).to_dict("list")

    return go


def test_email_trims_lowers_and_flags_malformed():
    values = [
        " Ann.Lee@Example.COM ",
        "ann@",
        None,
        "  ",
        "a@b.c",
        "x..y@z.com",
        "o'neil+tag@mail.co.uk",
    ]
    go = run(e=values)
    got = go(lambda t: dict(zip(("norm", "ok"), nz.email(t.e), strict=True)))
    assert got["norm"][0] == "ann.lee@example.com"
    assert got["norm"][6] == "o'neil+tag@mail.co.uk"
    assert [v is None or v != v for v in got["norm"][1:6]] == [True] * 5
    assert got["ok"][0] is True and got["ok"][6] is True
    assert got["ok"][1] is False and got["ok"][4] is False and got["ok"][5] is False
    assert got["ok"][2] is None and got["ok"][3] is None  # missing is not invalid


def _reference(number: str, region: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _numbers(rng: np.random.Generator) -> list[tuple[str, str]]:
    out = []
    for _ in range(60):
        uk = "7" + "".join(map(str, rng.integers(0, 10, 9)))
        ru = "9" + "".join(map(str, rng.integers(0, 10, 9)))
        us = str(rng.integers(2, 10)) + "".join(map(str, rng.integers(0, 10, 2)))
        us += str(rng.integers(2, 10)) + "".join(map(str, rng.integers(0, 10, 6)))
        out += [
            (f"0{uk[:4]} {uk[4:]}", "GB"),
            (f"+44 (0){uk[:4]} {uk[4:]}", "GB"),
            (f"0044 {uk}", "GB"),
            (f"8 ({ru[:3]}) {ru[3:6]}-{ru[6:8]}-{ru[8:]}", "RU"),
            (f"+7 {ru[:3]} {ru[3:]}", "RU"),
            (f"({us[:3]}) {us[3:6]}-{us[6:]}", "US"),
            (f"1-{us[:3]}-{us[3:6]}-{us[6:]}", "US"),
        ]
    return out


@pytest.mark.slow  # a sweep against libphonenumber; the hand-written numbers stay fast
def test_phone_e164_agrees_with_libphonenumber():
    pairs = _numbers(np.random.default_rng(3))
    go = run(p=[p for p, _ in pairs], r=[r for _, r in pairs])
    got = go(lambda t: {"e": nz.phone(t.p, "GB", t.r)[0]})["e"]
    expected = [_reference(p, r) for p, r in pairs]
    assert None not in expected
    assert got == expected


def test_phone_default_region_and_invalid_values():
    go = run(p=["07700 900123", "12", "abc", None, "+44 20 7946 0018", "0000 000"])
    got = go(lambda t: dict(zip(("e", "ok"), nz.phone(t.p, "GB"), strict=True)))
    assert got["e"][0] == "+447700900123" and got["ok"][0] is True
    assert got["e"][4] == "+442079460018"
    assert got["ok"][1] is False and got["ok"][2] is False and got["ok"][3] is None
    assert got["ok"][5] is False


def test_unknown_region_is_a_clear_error():
    with pytest.raises(ArgumentError, match="unknown phone region 'XX'"):
        nz.region_rules("XX")


def test_name_text_transliterates_and_strips_accents():
    go = run(n=["  José  O'Neil ", "Юлия Щербакова", "ŁUKASZ Müller", "王伟", " , "])
    got = go(lambda t: {"n": nz.name_text(t.n)})["n"]
    assert got[:4] == ["jose o neil", "yuliya shcherbakova", "lukasz muller", "王伟"]
    assert got[4] is None or got[4] != got[4]


def test_name_parts_split_swap_and_nicknames():
    go = run(
        name=["SMITH, Bob", "anna  lee", "Lee Anna", None, "Cher"],
        first=[None, None, None, "Bill", None],
        last=[None, None, None, "Gates", None],
    )
    got = go(lambda t: nz.name_parts(t.name, t.first, t.last))
    assert got["first_name"][:4] == ["robert", "anna", "lee", "william"]
    assert got["last_name"][:4] == ["smith", "lee", "anna", "gates"]
    # swapped first and last names share the key
    assert got["name_key"][1] == got["name_key"][2] == "anna lee"
    assert got["name_key"][4] == "cher" and got["first_name"][4] == "cher"


def test_birth_date_formats_and_calendar_against_python():
    texts, expected = [], []
    for y, m, d in [(1985, 4, 3), (2000, 2, 29), (1900, 2, 29), (1999, 2, 29), (1970, 13, 1),
                    (1970, 4, 31), (1970, 12, 31)]:  # fmt: skip
        try:
            iso = date(y, m, d).isoformat()
        except ValueError:
            iso = None
        for text in (
            f"{y}-{m:02d}-{d:02d}",
            f"{d:02d}.{m:02d}.{y}",
            f"{d}/{m}/{y}",
            f"{y}{m:02d}{d:02d}",
        ):
            texts.append(text)
            expected.append(iso)
    texts += ["2999-01-01", "1899-12-31", "yesterday", "1985-04-03T10:00:00"]
    expected += [None, None, None, "1985-04-03"]
    go = run(d=texts)
    got = go(lambda t: {"d": nz.birth_date(t.d, today=date(2026, 1, 1))[0]})["d"]
    assert [None if g != g else g for g in got] == expected


def test_address_and_postcode():
    go = run(
        a=["12, Baker Street", "12 baker st.", "Flat 3, 5 Main Road"],
        p=["sw1a 1aa", " 123-456 ", ""],
    )
    got = go(lambda t: {"a": nz.address_text(t.a), "p": nz.postcode(t.p)})
    assert got["a"] == ["12 baker st", "12 baker st", "apt 3 5 main rd"]
    assert got["p"][:2] == ["SW1A1AA", "123456"]
    assert got["p"][2] is None or got["p"][2] != got["p"][2]  # empty -> NULL
