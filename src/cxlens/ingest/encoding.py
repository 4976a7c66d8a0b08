"""Which text encoding a file is in, decided on the whole file and checked for mojibake.

Order of evidence:

1. a byte-order mark (UTF-8, UTF-16): certain;
2. UTF-16 without a mark (every other byte of the start is NUL);
3. valid UTF-8 over the whole file (ASCII is UTF-8): certain for practical purposes, since
   text in a legacy code page almost never forms valid multi-byte UTF-8 sequences;
4. otherwise each candidate of :data:`CANDIDATES` that decodes the whole file without an
   error is scored by how much of the file's non-ASCII text reads as ordinary words in it
   (:func:`clean_share`): a French word read as cp1251 mixes Latin and Cyrillic letters
   ("trиs"), a Russian word read as Windows-1252 is all accented letters with symbols inside
   ("Îòëè÷íûé"), Latin or Russian bytes read as GB18030 or Big5 give rare characters. The
   candidate with the highest share wins (ties: the order of :data:`CANDIDATES`); if no
   candidate reads at least :data:`MIN_CLEAN_SHARE` of it cleanly, the file is refused with
   the first byte that is not UTF-8, its offset and line.

Every distinct non-ASCII word of the file counts (weighted by how often it occurs), so the
decision is the same for two copies of a file and does not move when a column is added.
The method is a plain dictionary-free plausibility test in the spirit of the "mess detector"
of charset-normalizer (https://github.com/jawah/charset_normalizer), restricted to the code
pages cxlens's users send: Western European, Cyrillic and Chinese.
"""

from __future__ import annotations

import codecs
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import filterfalse, pairwise
from pathlib import Path

import numpy as np

from cxlens.errors import IngestError

#: Legacy encodings tried when a file is not UTF-8, in tie-break order. ``latin_1`` is only
#: a candidate when Windows-1252 cannot decode the file (it has bytes 0x81, 0x8D, 0x8F,
#: 0x90 or 0x9D, which Windows-1252 leaves undefined).
CANDIDATES: tuple[str, ...] = ("cp1252", "cp1251", "gb18030", "big5")
#: Below this share of cleanly read non-ASCII text, no guess is accepted.
MIN_CLEAN_SHARE = 0.8
_BLOCK = 1 << 20
# Words are split at ASCII whitespace and the CSV punctuation below 0x40, which is never
# the second byte of a GB18030 or Big5 character (so a Chinese character is never cut).
_SEPARATORS = bytes.maketrans(b",;\"'()", b"      ")
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_HAN = re.compile(r"[\u3400-\u9FFF\uF900-\uFAFF]")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Detected:
    """The encoding a file was read in and how sure the choice is.

    ``confidence`` is 1.0 for a byte-order mark or valid UTF-8; for a legacy code page it is
    the share of the file's non-ASCII words (characters, for Chinese) that read as ordinary
    text in it. ``method`` says which evidence decided; ``runner_up`` is the next candidate
    and its share, when there was one.

    Example:
        >>> Detected("cp1252", 0.98, "whole-file plausibility", ("cp1251", 0.05)).label
        'cp1252 (detected: whole-file plausibility, confidence 0.98)'
    """

    encoding: str
    confidence: float
    method: str
    runner_up: tuple[str, float] | None = None

    @property
    def label(self) -> str:
        """The encoding with how it was chosen, for people."""
        return f"{self.encoding} (detected: {self.method}, confidence {self.confidence:.2f})"


def detect(path: Path) -> Detected:
    """Return the encoding of a text file, decided on all of its bytes; see the module doc.

    Raises IngestError when no candidate reads the file cleanly.

    Example:
        >>> detect(Path("export_fr.csv")).encoding  # doctest: +SKIP
        'cp1252'
    """
    stat = path.stat()
    return _detect_cached(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _detect_cached(path_text: str, size: int, mtime_ns: int) -> Detected:
    path = Path(path_text)
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        return Detected("utf-8-sig", 1.0, "byte-order mark")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Detected("utf-16", 1.0, "byte-order mark")
    if head[1:200:2].count(0) > 40:  # UTF-16 LE without a mark: every other byte is NUL
        return Detected("utf-16-le", 1.0, "NUL in every other byte")
    survey = _survey(path)
    if not survey.high_bytes:
        return Detected("utf-8", 1.0, "ASCII only")
    if survey.utf8_error is None:
        return Detected("utf-8", 1.0, "valid UTF-8")
    shares = {
        enc: clean_share(survey.words, enc)
        for enc in _candidates(survey)
        if enc not in survey.invalid
    }
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])  # stable: CANDIDATES order on ties
    if not ranked or ranked[0][1] < MIN_CLEAN_SHARE:
        raise undecodable(path, "utf-8", survey.utf8_error, ranked)
    best, share = ranked[0]
    runner = ranked[1] if len(ranked) > 1 else None
    return Detected(best, round(share, 4), "whole-file plausibility", runner)


def _candidates(survey: _Survey) -> list[str]:
    found = list(CANDIDATES)
    if "cp1252" in survey.invalid:
        found.insert(1, "latin_1")
    return found


@dataclass
class _Survey:
    high_bytes: bool
    utf8_error: int | None  # offset of the first byte that is not UTF-8
    invalid: set[str]  # candidates that cannot decode some byte of the file
    words: Counter[bytes]


def _survey(path: Path) -> _Survey:
    """Read the file: is it ASCII, is it UTF-8; if neither, which candidates decode it whole.

    The second pass (validity of the multi-byte candidates, the non-ASCII words) runs only
    for a file that is not UTF-8.
    """
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, high = True, False
    for block, last in _blocks(path):
        high = high or not block.isascii()
        try:
            utf8.decode(block, final=last)
        except UnicodeDecodeError:
            utf8_ok = False
            break
    if utf8_ok:
        return _Survey(high, None, set(), Counter())
    counts = np.zeros(256, np.int64)
    multi = {enc: codecs.getincrementaldecoder(enc)() for enc in ("gb18030", "big5")}
    invalid: set[str] = set()
    words: Counter[bytes] = Counter()
    tail = b""
    for block, last in _blocks(path):
        counts += np.bincount(np.frombuffer(block, np.uint8), minlength=256)
        for enc, decoder in multi.items():
            if enc not in invalid:
                try:
                    decoder.decode(block, final=last)
                except UnicodeDecodeError:
                    invalid.add(enc)
        tail = _count_words(tail + block, last, words)
    if any(counts[b] for b in _CP1252_UNDEFINED):
        invalid.add("cp1252")
    if counts[0x98]:  # the one byte cp1251 leaves undefined
        invalid.add("cp1251")
    return _Survey(True, first_bad_byte(path, "utf-8"), invalid, words)


def _count_words(text: bytes, last: bool, words: Counter[bytes]) -> bytes:
    """Count the words of ``text`` that hold a non-ASCII byte; return the unfinished tail."""
    cut = len(text) if last else _last_separator(text)
    parts = text[:cut].translate(_SEPARATORS).split()
    words.update(filterfalse(bytes.isascii, parts))
    return text[cut:]


def _blocks(path: Path) -> Iterator[tuple[bytes, bool]]:
    size = os.path.getsize(path)
    with path.open("rb") as fh:
        read = 0
        while True:
            block = fh.read(_BLOCK)
            read += len(block)
            yield block, read >= size
            if read >= size or not block:
                return


def _last_separator(text: bytes) -> int:
    """Return where the last whole word of a block ends (after its last separator)."""
    for i in range(len(text) - 1, -1, -1):
        if text[i] in b" \t\r\n,;\"'()":
            return i + 1
    return 0


def clean_share(words: Counter[bytes], encoding: str) -> float:
    """Return the share of ``words`` (weighted by count) that read as ordinary text.

    Example:
        >>> w = Counter({"très".encode("cp1252"): 3, "été".encode("cp1252"): 1})
        >>> clean_share(w, "cp1252"), clean_share(w, "cp1251")
        (1.0, 0.0)
    """
    total = good = 0.0
    for raw, n in words.items():
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            total += n
            continue
        if encoding in ("gb18030", "big5"):
            ok, units = _cjk_units(text, encoding)
        else:
            ok, units = float(_word_reads_clean(text)), 1
        good += ok * n
        total += units * n
    return good / total if total else 0.0


def _word_reads_clean(word: str) -> bool:
    """Whether one word decoded from a single-byte code page looks like real text."""
    latin = len(_LATIN.findall(word))
    cyrillic = len(_CYRILLIC.findall(word))
    if latin and cyrillic:  # "trиs": Latin-1 read as cp1251
        return False
    letters = [i for i, ch in enumerate(word) if _LETTER.match(ch)]
    if letters:
        inside = word[letters[0] : letters[-1] + 1]
        # a non-ASCII symbol between letters: "Îòëè÷íûé" (cp1251 read as cp1252)
        if any(ord(ch) > 127 and not _LETTER.match(ch) and ch not in "'’-‑·" for ch in inside):
            return False
        # "Ã©tÃ©"-style or all-accent Latin words of three letters or more
        if latin >= 3 and not any(word[i].isascii() for i in letters):
            return False
        if any(ord(ch) in range(0x80, 0xA0) for ch in word):  # C1 controls (latin_1)
            return False
        if not _case_reads_clean([word[i] for i in letters]):
            return False
    return True


def _case_reads_clean(letters: list[str]) -> bool:
    """lower, Capitalised or UPPER; a capital after a small letter reads as mojibake."""
    for prev, ch in pairwise(letters):
        if prev.islower() and ch.isupper() and not (prev.isascii() and ch.isascii()):
            return False
    return True


def _cjk_units(text: str, encoding: str) -> tuple[int, int]:
    """Return (common characters, non-ASCII characters) of a word read as Chinese.

    Common means in the first level of the national standard: GB2312 level 1 (the 3,755
    most frequent simplified characters, about 99.7% of running text) or Big5 level 1
    (5,401 frequent traditional characters); CJK punctuation and full-width forms count too.
    """
    units = good = 0
    for ch in text:
        if ord(ch) < 128:
            continue
        units += 1
        if not _HAN.match(ch):
            good += _cjk_symbol(ch)
            continue
        try:
            lead = ch.encode("gb2312" if encoding == "gb18030" else "big5")[0]
        except UnicodeEncodeError:
            continue
        good += (0xB0 <= lead <= 0xD7) if encoding == "gb18030" else (0xA4 <= lead <= 0xC6)
    return good, units


def _cjk_symbol(ch: str) -> bool:
    code = ord(ch)
    return 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF or code in (0x2014, 0x2026)


def first_bad_byte(path: Path, encoding: str) -> int | None:
    """Return the offset of the first byte ``encoding`` cannot decode, or None.

    Example:
        >>> first_bad_byte(Path("export.csv"), "utf-8")  # doctest: +SKIP
        1834
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    for block, last in _blocks(path):
        try:
            decoder.decode(block, final=last)
        except UnicodeDecodeError as exc:
            pending = len(decoder.getstate()[0]) if encoding.startswith("utf-8") else 0
            return offset - pending + exc.start
        offset += len(block)
    return None


def line_of(path: Path, offset: int) -> int:
    """Return the physical line (from 1) that holds byte ``offset`` of the file."""
    lines = 1
    read = 0
    with path.open("rb") as fh:
        while read < offset:
            block = fh.read(min(_BLOCK, offset - read))
            if not block:
                break
            lines += block.count(b"\n")
            read += len(block)
    return lines


def undecodable(
    path: Path, encoding: str, offset: int | None, ranked: list[tuple[str, float]] | None = None
) -> IngestError:
    """Return the error for a file that ``encoding`` cannot decode at byte ``offset``.

    Example:
        >>> str(undecodable(Path("a.csv"), "utf-8", None))[:40]
        'a.csv: cannot be decoded as utf-8; pass '
    """
    where = ""
    if offset is not None:
        with path.open("rb") as fh:
            fh.seek(offset)
            bad = fh.read(1)
        where = f" at byte offset {offset} (line {line_of(path, offset)}, byte 0x{bad.hex()})"
    tried = ""
    if ranked is not None:
        tried = (
            "; no legacy code page reads it cleanly either ("
            + ", ".join(f"{enc}: {share:.0%} of non-ASCII words clean" for enc, share in ranked)
            + "): the file may mix encodings"
        )
    return IngestError(
        f"{path}: cannot be decoded as {encoding}{where}{tried}; pass the right encoding "
        "(--encoding or 'encoding:' in the mapping), e.g. cp1252, cp1251 or gb18030"
    )


__all__ = ["CANDIDATES", "MIN_CLEAN_SHARE", "Detected", "clean_share", "detect", "undecodable"]
