"""One fps parser (#21 item 14): the NTSC rates are N*1000/1001 (SMPTE ST 12-1) in a shot file,
in ``chroma sync`` and in the API alike."""

from fractions import Fraction

import pytest

from chroma.errors import ChromaValueError
from chroma.fps import parse_fps
from chroma.shot import parse_shot
from chroma.sync import parse_fps as sync_parse_fps

NTSC = [("23.976", 24), ("23.98", 24), ("29.97", 30), ("47.952", 48), ("47.95", 48), ("59.94", 60),
        ("119.88", 120)]


@pytest.mark.parametrize(("text", "base"), NTSC)
def test_ntsc_rates_are_n_thousand_over_1001_everywhere(text, base, tmp_path):
    expected = Fraction(base * 1000, 1001)
    assert parse_fps(text) == parse_fps(float(text)) == sync_parse_fps(text) == expected
    shot = parse_shot(f'max_frames = 2\n[output]\npattern = "out/f.####.exr"\nfps = {text}\n[prompts]\n0 = ["a"]\n',
                      tmp_path / "s.toml")
    assert shot.output.fps == expected


@pytest.mark.parametrize(("value", "expected"), [(24, Fraction(24)), ("25", Fraction(25)), (12.5, Fraction(25, 2)),
                                                 ("30000/1001", Fraction(30000, 1001)), (Fraction(7, 3), Fraction(7, 3))])
def test_other_rates_are_taken_as_written(value, expected):
    assert parse_fps(value) == expected


@pytest.mark.parametrize("bad", ["abc", "0", "-24", "1/0", float("nan"), float("inf"), True, ""])
def test_bad_rates_are_refused(bad):
    with pytest.raises(ChromaValueError):
        parse_fps(bad)
