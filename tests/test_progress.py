"""chroma.progress.Progress as a byte-progress callback: unknown totals, a total that arrives
late, a second pass over a file, SI-scaled byte counts (tqdm's own rendering)."""

from __future__ import annotations

import io

from tqdm import tqdm

from chroma.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_update_to_moves_the_bar_to_an_absolute_count() -> None:
    term = _Terminal()
    with Progress(10, "copy", stream=term) as bar:
        for done in (3, 7, 10):
            bar.update_to(done, 10)
        assert (bar.done, bar._bar.n, bar._bar.total) == (10, 10, 10)
    assert "10/10" in term.getvalue()


def test_an_unknown_total_draws_on_a_terminal_and_is_taken_when_it_arrives() -> None:
    term = _Terminal()
    with Progress(None, "fetch", stream=term, unit="B", unit_scale=True) as bar:
        assert bar.enabled and bar.total is None  # drawn before the length is known
        bar.update_to(500_000, None)
        assert (bar.done, bar.total) == (500_000, None)
        bar.update_to(1_500_000, 2_000_000)  # the length arrives with the first chunk
        bar.update_to(2_000_000, 2_000_000)
        assert (bar.done, bar.total, bar._bar.total) == (2_000_000, 2_000_000, 2_000_000)
    out = term.getvalue()
    # tqdm's own SI rendering of the same counts
    assert tqdm.format_sizeof(2_000_000) == "2.00M" and "2.00M/2.00M" in out
    assert "100%" in out


def test_a_new_pass_moves_the_bar_back() -> None:
    # verify hashes a file after fetch downloaded it: the bar starts again, never goes negative
    with Progress(100, "hash", stream=io.StringIO(), enabled=True) as bar:
        bar.update_to(100, 100)
        bar.update_to(40, 100)
        assert (bar.done, bar._bar.n) == (40, 40)


def test_piped_or_quiet_draws_nothing() -> None:
    piped = io.StringIO()
    with Progress(None, "fetch", stream=piped, unit="B") as bar:
        bar.update_to(10, 10)
    quiet = _Terminal()
    with Progress(None, "fetch", stream=quiet, enabled=False) as bar:
        bar.update_to(10, 10)
    assert piped.getvalue() == quiet.getvalue() == ""
