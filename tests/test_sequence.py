import pytest

from chroma import sequence as sq
from chroma.errors import SequenceError


@pytest.mark.parametrize(
    "text, frames",
    [
        ("1001-1005", [1001, 1002, 1003, 1004, 1005]),
        ("1001-1009x2", [1001, 1003, 1005, 1007, 1009]),
        ("1,5,7-9", [1, 5, 7, 8, 9]),
        ("7-9, 1 ,5", [1, 5, 7, 8, 9]),
        ("1001", [1001]),
        ("1-3,2-4", [1, 2, 3, 4]),
    ],
)
def test_parse_frames(text, frames):
    assert sq.parse_frames(text) == frames


@pytest.mark.parametrize("bad", ["", "  ", "1001-", "a-b", "10-1", "1-10x0", "1,,2", "1-5y2"])
def test_bad_frame_sets(bad):
    with pytest.raises(SequenceError):
        sq.parse_frames(bad)


def test_format_frames_round_trips():
    for text in ["1001-1100", "1001-1100x2", "1,5,7-9", "1-3,10,20-40x5"]:
        assert sq.parse_frames(sq.format_frames(sq.parse_frames(text))) == sq.parse_frames(text)
    assert sq.format_frames([1, 2, 3, 5]) == "1-3,5"


@pytest.mark.parametrize(
    "pattern, frame, path",
    [
        ("plate.####.exr", 1001, "plate.1001.exr"),
        ("plate.####.exr", 7, "plate.0007.exr"),
        ("plate.####.exr", 12345, "plate.12345.exr"),
        ("plate.%04d.exr", 7, "plate.0007.exr"),
        ("plate.%d.exr", 7, "plate.7.exr"),
        ("plate.@.exr", 7, "plate.7.exr"),
        ("plate.@@@.exr", 7, "plate.007.exr"),
        ("plate.#.exr", 7, "plate.0007.exr"),  # oiiotool: a lone # is 4 digits
        ("shots/sh010/plate_v001.####.exr", 1001, "shots/sh010/plate_v001.1001.exr"),
    ],
)
def test_patterns(pattern, frame, path):
    assert sq.parse_pattern(pattern).path(frame) == path


def test_two_tokens_rejected():
    with pytest.raises(SequenceError, match="frame tokens"):
        sq.parse_pattern("a.####.####.exr")


def test_literal_frame_path_gives_its_sequence():
    pat, frame = sq.pattern_from_frame_path("dir/plate.1001.exr")
    assert frame == 1001 and pat.hashes() == "dir/plate.####.exr"
    assert sq.pattern_from_frame_path("plate.exr") is None


def test_discover_range_and_missing(tmp_path):
    for f in (1001, 1002, 1004, 1007):
        (tmp_path / f"plate.{f:04d}.exr").write_bytes(b"")
    (tmp_path / "plate.10.exr").write_bytes(b"")  # wrong padding: not part of ####
    (tmp_path / "other.1003.exr").write_bytes(b"")
    seq = sq.discover(str(tmp_path / "plate.####.exr"))
    assert seq.frames == [1001, 1002, 1004, 1007]
    assert (seq.first, seq.last) == (1001, 1007)
    assert seq.missing == [1003, 1005, 1006]
    # a literal frame finds its siblings
    assert sq.discover(str(tmp_path / "plate.1002.exr")).frames == seq.frames


def test_expand_errors(tmp_path):
    with pytest.raises(SequenceError, match="no files match"):
        sq.expand(str(tmp_path / "none.####.exr"))
    with pytest.raises(SequenceError, match="does not exist"):
        sq.expand(str(tmp_path / "none.exr"))
    with pytest.raises(SequenceError, match="empty"):
        sq.expand(str(tmp_path / "x.####.exr"), "")
    with pytest.raises(SequenceError, match="folder"):
        sq.discover(str(tmp_path / "nope" / "x.####.exr"))


@pytest.mark.parametrize("name", ["hash#1.exr", "take_@2.exr", "shot%d.exr", "a.####.####.exr"])
def test_an_existing_file_is_that_file_whatever_its_name(tmp_path, name):
    path = tmp_path / name
    if name.count("#") > 4:
        with pytest.raises(SequenceError, match="2 frame tokens"):
            sq.parse_pattern(path)  # while absent, a (bad) pattern
    else:
        assert sq.parse_pattern(path).is_sequence  # while absent, a pattern
    path.write_bytes(b"")
    pat = sq.parse_pattern(path)
    assert not pat.is_sequence and pat.path() == str(path)
    assert sq.expand(str(path)) == [(None, str(path))]
    assert sq.discover(str(path)).frames == []
