"""Lyrics files as editors save them (issue 21 item 11): byte-order marks, and SRT time
lines that are wrong are errors naming the file and the line, never merged into a prompt.

Encoded files are made with Python's own codecs; the expected keys are those of the same
lyrics saved as plain UTF-8.
"""

from __future__ import annotations

import codecs

import pytest

from chroma import sync
from chroma.cli import main

pytest.importorskip("srt")

LRC = "[ar:Tëst Bänd]\n[00:01.00]first line, café\n[00:03.50]second line\n"
SRT = "1\n00:00:01,000 --> 00:00:03,000\nfirst line, café\n\n2\n00:00:03,500 --> 00:00:05,000\nsecond line\n"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _keys(lyrics: sync.Lyrics) -> list[tuple]:
    return [(ln.start, ln.end, ln.text) for ln in lyrics.lines]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-32"])
@pytest.mark.parametrize("name, text", [("song.lrc", LRC), ("song.srt", SRT)])
def test_byte_order_marks_are_read(tmp_path, encoding, name, text):
    boms = {"utf-16-le-bom": (codecs.BOM_UTF16_LE, "utf-16-le"), "utf-16-be-bom": (codecs.BOM_UTF16_BE, "utf-16-be")}
    if encoding in boms:
        bom, codec = boms[encoding]
        data = bom + text.encode(codec)
    else:
        data = text.encode(encoding)  # Python's utf-8-sig, utf-16 and utf-32 write a BOM
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / name).write_text(text, encoding="utf-8")
    (tmp_path / name).write_bytes(data)
    got = sync.read_lyrics(tmp_path / name)
    assert _keys(got) == _keys(sync.read_lyrics(tmp_path / "plain" / name))
    assert got.lines[0].text == "first line, café"
    if name.endswith(".lrc"):
        assert got.tags["ar"] == "Tëst Bänd"


def test_utf16_lrc_through_the_cli(tmp_path, capsys):
    (tmp_path / "song.lrc").write_bytes(LRC.encode("utf-16"))
    code, out, err = run(capsys, "sync", "--lyrics", tmp_path / "song.lrc", "--fps", "24")
    assert code == 0, err
    assert "2 lines" in out and "frame 84" in out  # 3.5 s x 24


def test_utf16_without_a_bom_says_what_it_is(tmp_path, capsys):
    (tmp_path / "song.lrc").write_bytes(LRC.encode("utf-16-le"))
    code, _, err = run(capsys, "sync", "--lyrics", tmp_path / "song.lrc", "--fps", "24")
    assert code == 2 and "song.lrc" in err and "UTF-16" in err and "UTF-8" in err


BAD_SRT = {
    # end before start
    "ends_first": ("1\n00:00:01,000 --> 00:00:03,000\none\n\n2\n00:00:05,000 --> 00:00:04,000\ntwo\n", 6, "before it starts"),
    # a bad time line (letters), left in the words of the cue before it by the srt package
    "letters": ("1\n00:00:01,000 --> 00:00:02,000\none\n00:00:0x,000 --> 00:00:05,000\ntwo\n\n3\n"
                "00:00:06,000 --> 00:00:07,000\nthree\n", 4, "malformed time line"),
    # a one-dash arrow
    "arrow": ("1\n00:00:01,000 --> 00:00:02,000\none\n\n2\n00:00:03,000 -> 00:00:04,000\ntwo\n", 6,
              "malformed time line"),
    # no end time
    "no_end": ("1\n00:00:01,000 --> \none\n", 2, "malformed time line"),
    # a subtitle number without its time line (its words went into the subtitle before)
    "no_time": ("1\n00:00:01,000 --> 00:00:02,000\none\n\n2\nno time here\n\n3\n00:00:03,000 --> 00:00:04,000\n"
                "three\n", 6, "has no time line"),
    # a well-formed time line without the blank line and number before it
    "no_blank": ("1\n00:00:01,000 --> 00:00:02,000\none\n00:00:03,000 --> 00:00:05,000\ntwo\n", 4,
                 "inside the words"),
}


@pytest.mark.parametrize("case", sorted(BAD_SRT))
def test_bad_srt_time_lines_name_file_and_line(tmp_path, capsys, case):
    text, line, what = BAD_SRT[case]
    (tmp_path / "bad.srt").write_text(text)
    code, out, err = run(capsys, "sync", "--lyrics", tmp_path / "bad.srt", "--fps", "24", "-o", tmp_path / "s.toml")
    assert code == 2, out
    assert f"bad.srt: line {line}:" in err and what in err and "Traceback" not in err
    assert not (tmp_path / "s.toml").exists()


def test_a_lyric_with_an_arrow_or_a_time_is_still_words():
    lyr = sync.parse_srt("1\n00:00:01,000 --> 00:00:02,000\nlove -> hate at 10:30\n")
    assert lyr.lines[0].text == "love -> hate at 10:30"
