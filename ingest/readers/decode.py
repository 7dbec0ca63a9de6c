"""Bytes to text: UTF-8 first, then a guess among common legacy encodings; binary is refused."""

from __future__ import annotations

from studyrag.ingest.readers.base import SkipFile

_SNIFF_BYTES = 8192
# Legacy encodings tried, by detection, when a file is not UTF-8: a closed list keeps random bytes
# from being "detected" as some exotic code page.
LEGACY_ENCODINGS = (
    "cp1252",
    "latin_1",
    "cp1251",
    "utf_16",
    "shift_jis",
    "gb18030",
    "euc_kr",
    "big5",
)


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    if not head:
        return False
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return control / len(head) > 0.1


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text: UTF-8 first, then the charset-normalizer guess; refuse binary data."""
    if _looks_binary(data[:_SNIFF_BYTES]):
        raise SkipFile("binary file, not text")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise SkipFile(
            f"cannot decode as UTF-8 (byte {utf8_error.start}) nor detect its encoding; "
            "re-save it as UTF-8"
        )
    return str(best), best.encoding
