# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Surgical INI editor with go-ini semantics (Grafana, Gitea/Forgejo, generic INI files).

Text in, text out; no file I/O. ``path`` is ``(section, key)``; section ``None`` or ``''`` addresses the keys
before the first section header (which ``configparser`` cannot read). Lines that are not touched keep their
bytes. Commented samples (``;host = localhost:25``, or a commented ``;[mailer]`` header with its commented keys)
are replaced in place instead of being duplicated. A commented key is only matched inside its own section.

Values: ``get``/``set`` strip and add quotes the simple way (``"..."``, backticks, triple double quotes, an inline
comment at `` #``/`` ;``). App profiles do not use them for values: they read and write the raw text after ``=``
with ``get_raw``/``set_raw`` through a value codec that models the app's reader exactly
(``_profiles/_goini.py``: go-ini with the app's LoadOptions).

``layout``: the app reader's view of the whole file (``_goini.GoIniLayout``). With it, ``parse`` refuses a file
the app cannot read (a StoreError naming the line, whatever section it is in), and sections and keys are where
the app finds them: a line inside a multi-line value is part of that value (never a key or a header), a header
go-ini reads (``[smtp] x``) is a header, and a key go-ini reads under a spelling the module does not edit
(a quoted name) is refused when it is read or written. Writing a key replaces its multi-line value whole.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store
from ansible_collections.mailops.smtp.plugins.module_utils.stores._lines import split_bom, split_document, split_eol

_HEADER = re.compile(r"^[ \t]*\[([^\]\r\n]*)\][ \t]*(?:[;#].*)?$")
_COMMENTED_HEADER = re.compile(r"^[ \t]*[;#][ \t]*\[([^\]\r\n]+)\][ \t]*$")
# go-ini ends a key name at the first "=" or ":" (KeyValueDelimiters "=:"): "PASSWD: x" is key PASSWD.
# Groups: 1 indent, 2 key, 3 blanks, 4 delimiter, 5 blanks, 6 value text.
_KEY = re.compile(r"^([ \t]*)([^=:;#\[\s][^=:]*?)([ \t]*)([=:])([ \t]*)(.*)$")
_COMMENTED_KEY = re.compile(r"^([ \t]*)[;#][ \t]?([^=:;#\[\s][^=:]*?)([ \t]*)([=:])([ \t]*)(.*)$")
_UNSAFE = re.compile(r"[#;\"'`]")
_HEADER_KINDS = ("header", "commented_header")
_UNSCANNED = ("unscanned",)  # the role of a line the layout has not seen yet (new or changed text)


def decode_value(raw):
    """Return the string go-ini reads for the text after ``=`` (quotes and inline comments removed)."""
    line = raw.lstrip()
    if not line:
        return ""
    quote = None
    if len(line) > 3 and line.startswith('"""'):
        quote = '"""'
    elif line.startswith("`"):
        quote = "`"
    if quote:
        pos = line.rfind(quote, len(quote))
        if pos != -1:
            return line[len(quote):pos]
    for marker in (" #", " ;", "\t#", "\t;"):
        idx = line.find(marker)
        if idx != -1:
            line = line[:idx]
    line = line.strip()
    if len(line) >= 2 and line[0] == line[-1] and line[0] in "\"'" and line.find(line[0], 1) == len(line) - 1:
        line = line[1:-1]
    return line


def encode_value(value):
    """Return the text to write after ``=`` so that go-ini reads back exactly ``value``."""
    if not isinstance(value, str):
        value = str(value).lower() if isinstance(value, bool) else str(value)
    if "\r" in value or "\n" in value or "\x00" in value:
        raise StoreError("INI values cannot contain line breaks or NUL characters")
    if value == "":
        return ""
    if _UNSAFE.search(value) or value != value.strip() or value.endswith("\\"):
        if "`" not in value and not value.endswith("\\"):
            return "`" + value + "`"
        return '"""' + value + '"""'
    return value


class _Line:
    __slots__ = ("text", "eol", "kind", "name", "key", "section", "region", "region_commented", "match", "role")

    def __init__(self, raw):
        self.text, self.eol = split_eol(raw)
        self.role = _UNSCANNED


class IniStore(Store):
    """A parsed INI document that renders back byte-identical except for the keys changed."""

    def __init__(self, lines, newline, bom="", layout=None):
        self._lines = lines
        self._newline = newline
        self._bom = bom
        self._layout = layout

    @classmethod
    def parse(cls, text, layout=None, **options):
        bom, text = split_bom(text)
        raw_lines, newline = split_document(text, "INI")
        store = cls([_Line(raw) for raw in raw_lines], newline, bom, layout)
        if layout is not None:
            for line, role in zip(store._lines, layout.scan(raw_lines)):
                line.role = role
        store._classify()
        return store

    # ----------------------------------------------------------------- scanning
    def _classify(self, start=0, stop=None):
        """Classify ``self._lines[start:stop]``, continuing from the state after line ``start - 1``.

        A line's section and region depend only on the header lines above it, so after changing or inserting a
        line that is not (and was not) a header, classifying that line alone gives the same result as a full pass.
        """
        if start > 0:
            previous = self._lines[start - 1]
            section, region, region_commented = previous.section, previous.region, previous.region_commented
        else:
            section = region = None
            region_commented = False
        lines = self._lines
        for index in range(start, len(lines) if stop is None else stop):
            line = lines[index]
            before = (section, region, region_commented)
            line.key = line.name = line.match = None
            match = _HEADER.match(line.text)
            if match:
                line.kind = "header"
                section = region = match.group(1)  # go-ini keeps blanks inside the brackets: "[ smtp ]" is " smtp "
                region_commented = False
                line.name = section
            else:
                match = _COMMENTED_HEADER.match(line.text)
                if match and not _KEY.match(line.text):
                    line.kind = "commented_header"
                    region = match.group(1).strip()
                    region_commented = True
                    line.name = region
                else:
                    match = _KEY.match(line.text)
                    if match:
                        line.kind = "key"
                        line.key = match.group(2).strip()
                        line.match = match
                    else:
                        match = _COMMENTED_KEY.match(line.text)
                        if match:
                            line.kind = "commented_key"
                            line.key = match.group(2).strip()
                            line.match = match
                        else:
                            line.kind = "other"
            if self._layout is not None:
                section, region, region_commented = self._as_the_app_reads(line, before,
                                                                           (section, region, region_commented))
            line.section = section
            line.region = region
            line.region_commented = region_commented

    def _as_the_app_reads(self, line, before, after):
        """Correct the classification of ``line`` to what the layout (the app's reader) says it is.

        ``before``/``after``: (section, region, region_commented) above the line, and after it as classified;
        returns the state after it as the app reads it.
        """
        if line.role is _UNSCANNED:
            line.role, closing = self._layout.line(line.text + line.eol)
            if closing:
                raise StoreError("the module would write a line that the app reads as the start of a multi-line "
                                 "value")
        role = line.role
        if role is None:  # blank or comment (a commented header keeps the region it opens for samples)
            if line.kind not in ("header", "key"):
                return after
            line.kind, line.key, line.name, line.match = "other", None, None, None
        elif role[0] == "tail":
            line.kind, line.key, line.name, line.match = "tail", None, None, None
        elif role[0] == "header":
            if line.kind != "header" or line.name != role[1]:
                line.kind, line.key, line.match = "header", None, None
                line.name = role[1]
            return role[1], role[1], False
        elif line.kind != "key" or line.key != role[1] or line.match.start(4) != role[2]:
            line.kind, line.key, line.name, line.match = "key", role[1], None, None  # the app reads it: not editable
        return before

    def _reclassify(self, index, old_kind=None):
        """Re-classify line ``index`` after its text changed (or it was inserted); the rest only past a header."""
        self._classify(index, index + 1)
        if self._lines[index].kind in _HEADER_KINDS or old_kind in _HEADER_KINDS:
            self._classify(index)

    @staticmethod
    def _norm(section):
        return section if section else None

    def _key_match(self, index):
        """The parsed ``key = value`` of key line ``index``; StoreError when the module cannot edit that spelling."""
        line = self._lines[index]
        if line.match is None:
            raise StoreError("line %d: the app reads key %s of %s here, written in a way the module does not edit "
                             "(a quoted key name or unusual blanks); write it as %s = value"
                             % (index + 1, line.key, "[%s]" % line.section if line.section else "the top of the file",
                                line.key))
        return line.match

    def _drop_tails(self, index):
        """Delete the lines of the multi-line value of key line ``index`` (the app reads them as its value)."""
        end = index + 1
        while end < len(self._lines) and self._lines[end].kind == "tail":
            end += 1
        if end > index + 1:
            if not self._lines[end - 1].eol:
                self._lines[index].eol = ""  # the value ended the file without a final newline: keep that
            del self._lines[index + 1:end]

    def _active(self, section, key):
        section = self._norm(section)
        return [i for i, line in enumerate(self._lines)
                if line.kind == "key" and line.section == section and line.key == key]

    def _check_path(self, path):
        if not isinstance(path, (tuple, list)) or len(path) != 2:
            raise StoreError("INI paths are (section, key)")
        section, key = path
        if not isinstance(key, str) or not key or key != key.strip() or "=" in key or ":" in key or "\n" in key \
                or "\r" in key:
            raise StoreError("invalid INI key name")
        if section and (not isinstance(section, str) or "]" in section or "\n" in section or "\r" in section):
            raise StoreError("invalid INI section name")
        return self._norm(section), key

    # ---------------------------------------------------------------- interface
    def get(self, path):
        section, key = self._check_path(path)
        found = self._active(section, key)
        if not found:
            return None
        return decode_value(self._key_match(found[-1]).group(6))

    def get_raw(self, path):
        """The text after ``key =`` (blanks after ``=`` removed) of the last active line of the key, or None."""
        section, key = self._check_path(path)
        found = self._active(section, key)
        if not found:
            return None
        return self._key_match(found[-1]).group(6)

    def shadowed_values(self, path):
        """What the earlier active lines of the key say (the app reads the last): decoded and as written."""
        section, key = self._check_path(path)
        values = []
        for index in self._active(section, key)[:-1]:
            raw = self._key_match(index).group(6)
            values.extend((decode_value(raw), raw.strip()))
        return [value for value in values if value]

    def lines_after(self, path):
        """The texts (without line ends) of the lines after the key's last active line (multi-line values)."""
        section, key = self._check_path(path)
        found = self._active(section, key)
        if not found:
            return []
        return [line.text for line in self._lines[found[-1] + 1:]]

    def set_raw(self, path, raw):
        """Write ``raw`` verbatim as the value text of the key (the last active line, a commented sample, or new)."""
        section, key = self._check_path(path)
        if "\r" in raw or "\n" in raw:
            raise StoreError("INI values cannot contain line breaks")
        self._write(section, key, raw, keep_comment=False)

    def sections(self):
        return [line.name for line in self._lines if line.kind == "header"]

    def set(self, path, value):
        section, key = self._check_path(path)
        encoded = encode_value(value)
        if isinstance(value, bool):
            value = str(value).lower()
        elif not isinstance(value, str):
            value = str(value)
        found = self._active(section, key)
        if found and decode_value(self._key_match(found[-1]).group(6)) == value:
            return
        self._write(section, key, encoded)

    def _write(self, section, key, encoded, keep_comment=True):
        found = self._active(section, key)
        if found:
            line = self._lines[found[-1]]
            line.text = self._format(self._key_match(found[-1]), key, encoded, keep_comment=keep_comment)
            line.role = _UNSCANNED
            self._drop_tails(found[-1])
            self._reclassify(found[-1], line.kind)
            return
        sample = self._find_sample(section, key)
        if sample is not None:
            line = self._lines[sample]
            line.text = self._format(line.match, key, encoded, indent=line.match.group(1))
            line.role = _UNSCANNED
            self._reclassify(sample, line.kind)
            return
        new_text = key + self._style(section) + encoded if encoded else key + self._style(section).rstrip()
        anchor = self._insertion_point(section)
        if anchor is None:
            first_new = len(self._lines)
            self._append_section(section, new_text)
            self._classify(first_new)
        else:
            self._insert(anchor, new_text)
            self._reclassify(anchor + 1)

    def delete(self, path):
        section, key = self._check_path(path)
        found = self._active(section, key)
        for index in reversed(found):
            # only "key" lines go (with the lines of a multi-line value), and a line that is not a header changes
            # nothing about the lines below it
            self._drop_tails(index)
            del self._lines[index]

    def render(self):
        return self._bom + "".join(line.text + line.eol for line in self._lines)

    # ------------------------------------------------------------------ helpers
    def _format(self, match, key, encoded, indent=None, keep_comment=True):
        before, after = match.group(3), match.group(5)
        if encoded and not after and before:
            after = " "
        if not encoded:
            after = ""
        text = (match.group(1) if indent is None else indent) + key + before + match.group(4) + after + encoded
        if indent is None and keep_comment:
            # keep an inline comment that followed an unquoted value
            old = match.group(6)
            comment = re.search(r"[ \t]+[#;].*$", old)
            if comment and not old.lstrip().startswith(('"""', "`")):
                text += comment.group(0)
        return text

    def _find_sample(self, section, key):
        """Index of a commented ``key = ...`` sample inside the section, uncommenting its header if needed."""
        has_active_header = any(line.kind == "header" and line.name == section for line in self._lines)
        if section is None:
            has_active_header = True
        for index, line in enumerate(self._lines):
            if line.kind != "commented_key" or line.key != key or line.region != section:
                continue
            if line.region_commented and has_active_header:
                continue
            if line.region_commented:
                if not self._uncomment_header(section):
                    return None
            return index
        return None

    def _uncomment_header(self, section):
        """Turn ``;[section]`` into ``[section]`` when no active key would move into the section."""
        for index, line in enumerate(self._lines):
            if line.kind == "commented_header" and line.name == section:
                for other in self._lines[index + 1:]:
                    if other.kind in ("header", "commented_header"):
                        break
                    if other.kind == "key":
                        return False
                line.text = "[" + section + "]"
                line.role = _UNSCANNED
                self._classify()
                return True
        return False

    def _style(self, section):
        keys = [line for line in self._lines if line.kind == "key"]
        near = [line for line in keys if line.section == section]
        for line in (near[-1:] or keys[:1]):
            if line.kind == "key" and line.match is not None:
                before, after = line.match.group(3), line.match.group(5)
                return (before or "") + "=" + (after or (" " if before else ""))
        return " = "

    def _insertion_point(self, section):
        """Index after which a new key goes, -1 for the very top, or None when the section is missing."""
        last_key = None
        header = None
        last_sample = None
        for index, line in enumerate(self._lines):
            if line.kind == "header" and line.name == section:
                if header is None:
                    header = index
            if line.section == section:
                if line.kind == "key":
                    last_key = index
                elif line.kind == "commented_key" and not line.region_commented and line.region == section:
                    last_sample = index
        if last_key is not None:
            while last_key + 1 < len(self._lines) and self._lines[last_key + 1].kind == "tail":
                last_key += 1  # after the multi-line value of that key, not inside it
            return last_key
        if section is None:
            return -1
        if header is None:
            if self._uncomment_header(section):
                return self._insertion_point(section)
            return None
        if last_sample is not None:
            return last_sample
        return header

    def _insert(self, anchor, text):
        line = _Line(text)
        line.eol = self._newline
        if anchor >= 0 and not self._lines[anchor].eol:
            # the anchor was the last line, without a final newline: keep the file's end that way
            self._lines[anchor].eol = self._newline
            line.eol = ""
        self._lines.insert(anchor + 1, line)

    def _append_section(self, section, text):
        if self._lines and not self._lines[-1].eol:
            self._lines[-1].eol = self._newline
        if self._lines and self._lines[-1].text.strip():
            blank = _Line("")
            blank.eol = self._newline
            self._lines.append(blank)
        for new in ("[" + section + "]", text):
            line = _Line(new)
            line.eol = self._newline
            self._lines.append(line)
