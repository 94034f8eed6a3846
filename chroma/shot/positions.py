"""Where a key of a shot file is: its line, from the TOML parser.

:mod:`tomllib` (which reads the values) gives no positions for valid TOML, so a key's line
comes from :mod:`tomlkit`, whose document renders back to the exact text it parsed: a
marker put before the key's item (in its leading whitespace, its ``trivia.indent``) shows
where the rendered, and so the original, text holds it. Only an error asks, so the text
is parsed a second time only on the way to a message.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TomlPositions"]

_MARK = "\x00chroma-key\x00"


class TomlPositions:
    """The lines of the keys and tables of a TOML text.

    Parameters
    ----------
    text : str
        The TOML text (already known to be valid).
    """

    def __init__(self, text: str):
        self.text = text
        self._doc: Any = None

    def _document(self) -> Any:
        if self._doc is None:
            import tomlkit

            try:
                self._doc = tomlkit.parse(self.text)
            except Exception:  # tomlkit refuses what tomllib took: no positions, the message still names the key
                self._doc = False
        return self._doc

    def _line_of_item(self, item: Any) -> int | None:
        trivia = getattr(item, "trivia", None)
        if trivia is None:
            return None
        indent = trivia.indent
        trivia.indent = _MARK + indent
        try:
            rendered = self._doc.as_string()
        finally:
            trivia.indent = indent
        at = rendered.find(_MARK)
        if at < 0:
            return None
        return rendered.count("\n", 0, at) + indent.count("\n") + 1

    def line(self, section: str | None, key: str | None = None) -> int | None:
        """Give the line of a key, or of a table's header.

        Parameters
        ----------
        section : str or None
            The table (``"animation"``), None for the top level.
        key : str or None, optional
            The key in it; None for the table's header line.

        Returns
        -------
        int or None
            The 1-based line of the key; the table's header line when the table has no
            such key; None when neither is in the text (or the text is not TOML that
            tomlkit reads).
        """
        doc = self._document()
        if not doc:
            return None
        table: Any = doc
        header: int | None = None
        if section is not None:
            if section not in doc:
                return None
            table = doc.item(section)
            header = self._line_of_item(table)
            if key is None:
                return header
        if key is None or not hasattr(table, "item"):
            return header
        try:
            item = table.item(key)
        except Exception:  # not in that table
            return header
        return self._line_of_item(item) or header
