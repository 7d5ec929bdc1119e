# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Surgical store for Ruby hash-index assignments: GitLab Omnibus ``/etc/gitlab/gitlab.rb``.

Text in, text out; no file I/O. ``path`` is ``(hash, key)``: ``('gitlab_rails', 'smtp_address')`` is the line
``gitlab_rails['smtp_address'] = value``.

Reading models what Ruby does when Omnibus evaluates the file: the LAST top-level assignment wins. Only literal
values are understood -- single- and double-quoted strings, integers, ``true``/``false``/``nil`` and simple
symbols; a key of ours assigned anything else (``ENV['X']``, ``"#{var}"`` interpolation, a method call, a
multi-line hash), or assigned inside indented code (``if``/``unless`` blocks), raises StoreError naming the key:
the module cannot know what Ruby would compute, so it refuses rather than guess. Lines inside heredocs
(``<<~EOS`` ... ``EOS``), ``=begin``/``=end`` comments and multi-line expressions are never taken for
assignments.

The whole file counts, as Ruby reads it: everything after ``__END__`` is data (never read, never edited; new lines
go above it). An assignment of ours that Ruby may not run as written is refused naming its line and the reason:
inside a keyword block (``if false`` ... ``end``, ``unless``, ``while``, ``case``, ``def``, ``do``), after a
top-level ``exit``/``abort``/``raise``/``return``, or when other code changes the key or the whole hash (a second
statement on the line, ``||=``, ``<<``, ``.merge!``, a local variable of the hash's name), or when the file runs
other Ruby code (``from_file``, ``eval``, ``load``), which may set anything. A file Ruby itself
refuses (an unclosed heredoc, ``=begin`` or string, an unbalanced bracket or ``end``) raises StoreError at parse.

Writing:

* untouched lines keep their bytes; a replaced value keeps the line's prefix, spacing around ``=`` and any
  trailing ``# comment``;
* strings keep the quote style of the value they replace. Single quotes (the default for new lines) escape only
  ``\\`` and ``'``; double quotes also escape ``"``, and ``#`` before ``{``, ``@`` or ``$`` (Ruby would
  interpolate ``#{...}``, ``#@ivar`` and ``#$gvar``); other characters are written as they are (UTF-8);
* every active top-level assignment of the key is updated, so all of them agree;
* with no active assignment, the commented template ``# gitlab_rails['smtp_address'] = "smtp.server"`` at the
  start of a line is replaced in place (its indentation and trailing comment kept); otherwise the line is
  inserted after the last line (active or commented) of the same hash whose key shares the first word
  (``smtp_``, ``gitlab_email_``), else at the end of the file;
* ``delete`` removes every active assignment of the key.
"""

from __future__ import annotations

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores._base import Store
from ansible_collections.mailops.smtp.plugins.module_utils.stores._lines import split_document, split_eol

_IDENT = r"[a-z_][A-Za-z0-9_]*"
# gitlab_rails['smtp_address'] = "x"   (group 1 prefix, 2 hash, 3 quote, 4 key, 5 '... = ', 6 rest)
_ASSIGN = re.compile(r"^([ \t]*)(%s)\[(['\"])([A-Za-z0-9_.-]+)\3\]([ \t]*=(?!=|~)[ \t]*)(.*)$" % _IDENT)
_COMMENTED = re.compile(r"^([ \t]*)#[ \t]*(%s)\[(['\"])([A-Za-z0-9_.-]+)\3\]([ \t]*=(?!=|~)[ \t]*)(.*)$" % _IDENT)
_HEREDOC = re.compile(r"<<([~-]?)(['\"`]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*(?:_[0-9]+)*)$")
_SYMBOL = re.compile(r"^:[A-Za-z_][A-Za-z0-9_]*[?!]?$")
_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")
_SIMPLE_DQ = {"n": "\n", "t": "\t", "s": " ", "r": "\r", "e": "\x1b", "a": "\x07", "b": "\x08", "f": "\x0c",
              "v": "\x0b", "0": "\x00"}


class RubyExpression:
    """A value the store cannot evaluate (kept so that ``get`` can name the key)."""

    def __init__(self, text):
        self.text = text


def _scan_string(text, start):
    """Index just after the quoted string starting at ``text[start]`` (a quote), or -1 when it is unterminated."""
    quote = text[start]
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            return index + 1
        index += 1
    return -1


def _code_part(text):
    """``text`` up to an unquoted ``#`` comment, and that comment ('' if none). None when a quote stays open."""
    index = 0
    while index < len(text):
        char = text[index]
        if char in "'\"`":
            end = _scan_string(text, index)
            if end < 0:
                return None
            index = end
            continue
        if char == "#":
            return text[:index], text[index:]
        index += 1
    return text, ""


def _depth_change(code):
    """Net count of opening minus closing brackets in ``code`` (strings already skipped by the caller)."""
    depth = 0
    index = 0
    while index < len(code):
        char = code[index]
        if char in "'\"`":
            end = _scan_string(code, index)
            index = len(code) if end < 0 else end
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        index += 1
    return depth


def _blank_strings(code):
    """``code`` with the contents of its string literals removed (so ``"<<EOS"`` is not a heredoc)."""
    out = []
    index = 0
    while index < len(code):
        char = code[index]
        if char in "'\"`":
            end = _scan_string(code, index)
            end = len(code) if end < 0 else end
            before = "".join(out)
            if before.endswith(("<<", "<<-", "<<~")):
                out.append(code[index:end])  # a quoted heredoc identifier: keep it
            else:
                out.append(char + char)
            index = end
            continue
        out.append(char)
        index += 1
    return "".join(out)


def decode_single(body):
    """Ruby single-quoted string body -> value (only ``\\\\`` and ``\\'`` are escapes)."""
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body) and body[index + 1] in "\\'":
            out.append(body[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def decode_double(body):
    """Ruby double-quoted string body -> value; RubyExpression when it interpolates or uses exotic escapes."""
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "#" and index + 1 < len(body) and body[index + 1] in "{@$":
            return RubyExpression('"%s"' % body)
        if char != "\\":
            out.append(char)
            index += 1
            continue
        if index + 1 >= len(body):
            return RubyExpression('"%s"' % body)
        nxt = body[index + 1]
        if nxt in "01234567":
            match = re.match(r"[0-7]{1,3}", body[index + 1:])
            out.append(chr(int(match.group(0), 8)))
            index += 1 + len(match.group(0))
            continue
        if nxt == "x":
            match = re.match(r"[0-9a-fA-F]{1,2}", body[index + 2:])
            if not match:
                return RubyExpression('"%s"' % body)
            out.append(chr(int(match.group(0), 16)))
            index += 2 + len(match.group(0))
            continue
        if nxt == "u":
            match = re.match(r"[0-9a-fA-F]{4}", body[index + 2:])
            if not match:
                return RubyExpression('"%s"' % body)
            out.append(chr(int(match.group(0), 16)))
            index += 6
            continue
        if nxt in "cCM":
            return RubyExpression('"%s"' % body)
        out.append(_SIMPLE_DQ.get(nxt, nxt))  # unknown escapes drop the backslash, as Ruby does
        index += 2
    return "".join(out)


def parse_literal(code):
    """The value of a literal Ruby expression (whitespace-trimmed), or RubyExpression."""
    text = code.strip()
    if not text:
        return RubyExpression(text)
    if text[0] in "'\"" and _scan_string(text, 0) == len(text):
        body = text[1:-1]
        return decode_single(body) if text[0] == "'" else decode_double(body)
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "nil":
        return None
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _SYMBOL.match(text):
        return text
    return RubyExpression(text)


def quote_single(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_double(value):
    out = []
    for index, char in enumerate(value):
        if char in '\\"':
            out.append("\\" + char)
        elif char == "#" and index + 1 < len(value) and value[index + 1] in "{@$":
            out.append("\\#")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def encode_literal(value, style="'"):
    """Ruby source for ``value`` (str, bool, int, None); ``style`` is the quote to use for strings."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if "\x00" in value or "\n" in value or "\r" in value:
            raise StoreError("gitlab.rb values cannot contain line breaks or NUL characters")
        return quote_double(value) if style == '"' else quote_single(value)
    raise StoreError("gitlab.rb values must be strings, integers, booleans or nil")


class _Line:
    __slots__ = ("text", "eol", "kind", "match", "reason", "hazards")

    def __init__(self, text, eol):
        self.text = text
        self.eol = eol
        # 'assign' (top level), 'nested' (an assignment Ruby may not run as written; ``reason`` says why),
        # 'template' (a commented assignment that can be uncommented in place), 'end' (the ``__END__`` line),
        # 'data' (after ``__END__``: Ruby never reads it), 'stop' (a top-level exit/abort/raise/return) or None
        self.kind = None
        self.match = None
        self.reason = None
        self.hazards = ()  # (hash, key or None, reason): other ways this line changes a hash of ours


def _string_spans(code):
    """The (start, end) spans of the string literals in ``code`` (one line, comment already removed)."""
    spans = []
    index = 0
    while index < len(code):
        if code[index] in "'\"`":
            end = _scan_string(code, index)
            end = len(code) if end < 0 else end
            spans.append((index, end))
            index = end
            continue
        index += 1
    return spans


def _outside(spans, pos):
    return not any(start <= pos < end for start, end in spans)


# Keywords that open a block closed by ``end`` (``if``/``unless``/``while``/``until`` only as statements, not as
# modifiers after an expression), and ``end`` itself; not after ``.``/``::``/``:`` (method names, symbols) and
# not as hash labels (``end: 1``).
_BLOCK_WORD = re.compile(r"(?<![\w.$@:?])(if|unless|while|until|case|begin|def|class|module|for|do|end|"
                         r"else|elsif|when|rescue|ensure)"
                         r"(?![\w?!]|:(?!:))")
_LOOP_WORDS = ("while", "until", "for")
_MIDDLE_WORDS = ("else", "elsif", "when", "rescue", "ensure")  # valid only inside a block
_EXPRESSION_END = re.compile(r"(?:[\w)\]}'\"`?!]|\b(?:end|self|nil|true|false))$")
_STARTS_EXPRESSION = re.compile(r"(?:^|\b)(?:then|else|do|begin|and|or|not|return|when|in|elsif|if|unless|"
                                r"while|until)$")
_ENDLESS_DEF = re.compile(r"def\s+[\w.]+[?!]?\s*(?:\([^)]*\))?\s*=(?![=~>])")
_STOP = re.compile(r"(exit!?|abort|raise|fail|return|throw)(?![\w?!])")
_MUTATORS = r"(?:merge!|update|store|replace|clear|delete|delete_if|reject!|select!|filter!|keep_if|compact!|" \
            r"transform_values!|transform_keys!|default=|default_proc=|shift|rehash|each|each_pair)"
_KEY_WRITE = re.compile(r"(%s)\[(['\"])([A-Za-z0-9_.-]+)\2\]\s*(?:(?:[-+*/%%|&^]|\|\||&&|\*\*|<<|>>)=(?![=~>])|"
                        r"=(?![=~>])|<<|\.\s*(?:[a-z_]\w*!|replace|concat|prepend|insert|clear|force_encoding)\b)"
                        % _IDENT)
# Code that runs other Ruby, which may set any setting: Omnibus's from_file (documented for splitting gitlab.rb),
# eval and friends, load
_LOADS_CODE = re.compile(r"(?<![\w.$@:])(from_file|eval|instance_eval|class_eval|module_eval|instance_exec|load)"
                         r"(?![\w?!:])")
_HASH_WRITE = re.compile(r"(?<![\w.$@:])(%s)(?:\s*(?:\|\||&&)?=(?![=~>])|\.%s(?![\w?!]))" % (_IDENT, _MUTATORS))


# one-line percent literals (%w(...), %i[...], %q{...}, %(...)): their words are not keywords
_PERCENT_LITERAL = re.compile(r"%[qQwWiIsrx]?(?:\((?:[^()\\]|\\.)*\)|\[(?:[^\[\]\\]|\\.)*\]|"
                              r"\{(?:[^{}\\]|\\.)*\}|<(?:[^<>\\]|\\.)*>)")


def _block_changes(code, line_no):
    """The block keywords of one line of code (strings blanked): a list of ('open', word, line) / ('close', ...).
    """
    events = []
    loop_on_line = False
    code = _PERCENT_LITERAL.sub("%()", code)
    if _ENDLESS_DEF.search(code):
        code = _ENDLESS_DEF.sub("", code)
    for match in _BLOCK_WORD.finditer(code):
        word = match.group(1)
        if word == "end":
            events.append(("close", word, line_no))
            continue
        if word in _MIDDLE_WORDS:
            before = code[:match.start()].rstrip()
            if word != "rescue" or not before or _STARTS_EXPRESSION.search(before) \
                    or not _EXPRESSION_END.search(before):
                events.append(("middle", word, line_no))  # (``x rescue nil`` is a modifier)
            continue
        if word in ("if", "unless", "while", "until"):
            before = code[:match.start()].rstrip()
            if before and _EXPRESSION_END.search(before) and not _STARTS_EXPRESSION.search(before):
                continue  # a modifier: ``x = 1 if y``
        if word == "do" and loop_on_line:
            loop_on_line = False  # ``while x do``: one block
            continue
        if word in _LOOP_WORDS:
            loop_on_line = True
        events.append(("open", word, line_no))
    return events


class RubyStore(Store):
    """A parsed gitlab.rb-style document."""

    def __init__(self, lines, newline):
        self._lines = lines
        self._newline = newline

    @classmethod
    def parse(cls, text, **options):
        raw_lines, newline = split_document(text, "gitlab.rb")
        store = cls([_Line(*split_eol(raw)) for raw in raw_lines], newline)
        store._classify()
        return store

    # -- classification
    def _classify(self):
        """Say what Ruby does with each line, or raise StoreError where Ruby itself would refuse the file."""
        heredocs = []        # terminators we are waiting for, in order: (name, may be indented, opening line)
        block_comment = None  # line number of an open =begin
        depth = 0            # open brackets carried over from previous lines
        bracket_line = 0     # the line where the outermost open bracket was opened
        open_quote = None    # (quote, line number) of a string literal that continues on the next line
        blocks = []          # open keyword blocks: (word, line number)
        stopped = None       # (word, line number) of a top-level exit/abort/raise/return before this line
        data = False
        for number, line in enumerate(self._lines, 1):
            line.kind, line.match, line.reason, line.hazards = None, None, None, ()
            text = line.text
            if data:
                line.kind = "data"
                continue
            if block_comment is not None:
                if re.match(r"=end(?:[ \t]|$)", text):
                    block_comment = None
                continue
            if heredocs:
                terminator, indented, _opened = heredocs[0]
                if (text.strip() if indented else text) == terminator:
                    heredocs.pop(0)
                continue
            if open_quote is not None:
                end = _scan_string(open_quote[0] + text, 0)
                if end < 0:
                    continue
                text = text[end - 1:]
                open_quote = None
            elif text == "__END__" and not blocks and depth == 0:
                line.kind = "end"
                data = True
                continue
            elif text == "__END__":
                what = ("the `%s` opened at line %d" % blocks[-1]) if blocks else \
                    "the bracket opened at line %d" % bracket_line
                raise StoreError("line %d: __END__ ends the Ruby code while %s is still open; Ruby refuses the "
                                 "file (syntax error)" % (number, what))
            elif re.match(r"=begin(?:[ \t]|$)", text):
                block_comment = number
                continue
            elif re.match(r"=end(?:[ \t]|$)", text):
                raise StoreError("line %d: =end without =begin; Ruby refuses the file (syntax error)" % number)
            code = _code_part(text)
            top = depth == 0 and not blocks and stopped is None and line.text is text
            if depth == 0 and line.text is text and code is not None:
                match = _ASSIGN.match(text)
                if match:
                    line.kind, line.match = ("nested" if match.group(1) else "assign"), match
                    if match.group(1):
                        line.reason = "is assigned inside indented code"
                    if blocks:
                        line.kind = "nested"
                        line.reason = "is inside the `%s` block opened at line %d, which Ruby may never run" \
                            % blocks[-1]
                    elif stopped is not None:
                        line.kind = "nested"
                        line.reason = "comes after the `%s` at line %d, which may stop Ruby before it" % stopped
                elif top and text.lstrip().startswith("#"):
                    match = _COMMENTED.match(text)
                    if match and _code_part(match.group(6)) is not None \
                            and _depth_change(_code_part(match.group(6))[0]) == 0:
                        line.kind, line.match = "template", match
            if code is None:
                open_quote = (self._open_quote(text), number)
                continue
            blanked = _blank_strings(code[0])
            self._hazards(line, code[0])
            for heredoc_match in _HEREDOC.finditer(blanked):
                heredocs.append((heredoc_match.group(3), heredoc_match.group(1) != "", number))
            change = _depth_change(code[0])
            if line.kind in ("assign", "nested") and (change > 0 or heredocs):
                line.kind = "nested"  # a multi-line value: not a literal
                line.reason = line.reason or "is assigned a multi-line value"
            if depth == 0 and change > 0:
                bracket_line = number
            depth += change
            if depth < 0:
                raise StoreError("line %d: a closing bracket that closes nothing; Ruby refuses the file (syntax "
                                 "error)" % number)
            for event, word, at in _block_changes(blanked, number):
                if event == "middle":
                    if not blocks:
                        raise StoreError("line %d: `%s` outside any block; Ruby refuses the file (syntax error)"
                                         % (at, word))
                elif event == "open":
                    blocks.append((word, at))
                elif not blocks:
                    raise StoreError("line %d: `end` closes no block; Ruby refuses the file (syntax error)" % at)
                else:
                    blocks.pop()
            stop = _STOP.match(blanked.strip())
            if stop and depth == 0 and not blocks and stopped is None:
                stopped = (stop.group(1), number)
                line.kind = "stop"
        self._refuse_unfinished(heredocs, block_comment, open_quote, depth, bracket_line, blocks)

    @staticmethod
    def _refuse_unfinished(heredocs, block_comment, open_quote, depth, bracket_line, blocks):
        """StoreError when the file ends inside something Ruby needs closed (``ruby -c`` refuses the file)."""
        if heredocs:
            raise StoreError("line %d: the heredoc <<%s is never closed; Ruby refuses the file (can't find string "
                             "\"%s\" anywhere before EOF)" % (heredocs[0][2], heredocs[0][0], heredocs[0][0]))
        if block_comment is not None:
            raise StoreError("line %d: =begin has no =end; Ruby refuses the file (embedded document meets end of "
                             "file)" % block_comment)
        if open_quote is not None:
            raise StoreError("line %d: a string literal is never closed; Ruby refuses the file (unterminated "
                             "string)" % open_quote[1])
        if depth > 0:
            raise StoreError("line %d: a bracket opened here is never closed; Ruby refuses the file (syntax "
                             "error)" % bracket_line)
        if blocks:
            raise StoreError("line %d: `%s` has no matching `end`; Ruby refuses the file (syntax error)"
                             % (blocks[-1][1], blocks[-1][0]))

    @staticmethod
    def _hazards(line, code):
        """Record the writes to hashes of ours that are not the line's own leading literal assignment."""
        spans = _string_spans(code)
        hazards = []
        for match in _KEY_WRITE.finditer(code):
            if line.match is not None and match.start() == len(line.match.group(1)) \
                    and line.kind in ("assign", "nested") and re.search(r"\]\s*=$", match.group(0)):
                continue
            if _outside(spans, match.start()):
                hazards.append((match.group(1), match.group(3), "changes it with `%s`" % match.group(0).strip()))
        for match in _HASH_WRITE.finditer(code):
            if _outside(spans, match.start()) and code[match.end(1):match.end(1) + 1] != "[":
                hazards.append((match.group(1), None, "changes the whole hash with `%s`" % match.group(0).strip()))
        for match in _LOADS_CODE.finditer(code):
            if _outside(spans, match.start()):
                hazards.append(("*", None, "runs other Ruby code with `%s`, which may set any setting"
                                % match.group(1)))
        line.hazards = tuple(hazards)

    @staticmethod
    def _open_quote(text):
        """The quote character of the string literal left open at the end of ``text``."""
        index = 0
        while index < len(text):
            char = text[index]
            if char in "'\"`":
                end = _scan_string(text, index)
                if end < 0:
                    return char
                index = end
                continue
            if char == "#":
                return None
            index += 1
        return None

    # -- paths
    @staticmethod
    def _key(path):
        if not isinstance(path, (tuple, list)) or len(path) != 2 or not all(isinstance(p, str) for p in path):
            raise StoreError("gitlab.rb paths are (hash, key), e.g. ('gitlab_rails', 'smtp_address')")
        if not re.match("^%s$" % _IDENT, path[0]) or not _KEY.match(path[1]):
            raise StoreError("invalid gitlab.rb hash or key name")
        return path[0], path[1]

    def _assignments(self, hash_name, key):
        """Active assignments of the key: [(index, match)] for top-level lines; StoreError for any other write."""
        found = []
        for index, line in enumerate(self._lines):
            for hazard_hash, hazard_key, reason in line.hazards:
                if hazard_hash in (hash_name, "*") and hazard_key in (None, key):
                    raise StoreError("line %d %s, so the module cannot tell what Ruby reads for %s['%s']; this "
                                     "module only edits top-level literal assignments"
                                     % (index + 1, reason, hash_name, key))
            if line.kind in ("assign", "nested") and line.match.group(2) == hash_name \
                    and line.match.group(4) == key:
                if line.kind == "nested":
                    raise StoreError("%s['%s'] at line %d %s; this module only edits top-level literal assignments"
                                     % (hash_name, key, index + 1, line.reason))
                found.append((index, line.match))
        return found

    @staticmethod
    def _value_of(match):
        code = _code_part(match.group(6))
        return parse_literal(code[0]) if code is not None else RubyExpression(match.group(6))

    # -- store interface
    def get(self, path):
        hash_name, key = self._key(path)
        found = self._assignments(hash_name, key)
        if not found:
            return None
        index, match = found[-1]
        value = self._value_of(match)
        if isinstance(value, RubyExpression):
            raise StoreError("%s['%s'] at line %d is a Ruby expression this module cannot evaluate; set it to a "
                             "literal value" % (hash_name, key, index + 1))
        return value

    def set(self, path, value):
        hash_name, key = self._key(path)
        found = self._assignments(hash_name, key)
        if found:
            for index, match in found:
                current = self._value_of(match)
                if not isinstance(current, RubyExpression) and current == value \
                        and type(current) is type(value):
                    continue
                self._replace(index, self._render(match, value))
            return
        for line in self._lines:
            if line.kind == "template" and line.match.group(2) == hash_name and line.match.group(4) == key:
                self._replace(self._lines.index(line), self._render(line.match, value))
                return
        new_line = _Line("%s['%s'] = %s" % (hash_name, key, encode_literal(value)), self._newline)
        position = self._insert_position(hash_name, key)
        if position == len(self._lines) and self._lines and not self._lines[-1].eol:
            self._lines[-1].eol = self._newline
        elif position < len(self._lines) and position and not self._lines[position - 1].eol:
            self._lines[position - 1].eol = self._newline
        self._lines.insert(position, new_line)
        self._replace(position, new_line.text)

    def _replace(self, index, text):
        """Put the one-line literal assignment ``text`` at ``index`` (it opens no bracket, string or heredoc, so
        no other line's classification changes)."""
        line = self._lines[index]
        line.text = text
        line.match = _ASSIGN.match(text)
        line.kind = "nested" if line.match.group(1) else "assign"

    def _render(self, match, value):
        old = match.group(6)
        code = _code_part(old)
        style = "'"
        comment = ""
        if code is not None:
            stripped = code[0].strip()
            if stripped[:1] == '"':
                style = '"'
            comment = code[1]
            spacing = code[0][len(code[0].rstrip()):]
            if comment:
                comment = spacing + comment
        quote = match.group(3)
        return "%s%s[%s%s%s]%s%s%s" % (match.group(1), match.group(2), quote, match.group(4), quote,
                                       match.group(5), encode_literal(value, style), comment)

    def _insert_position(self, hash_name, key):
        family = key.split("_", 1)[0] + "_"
        last = None
        for index, line in enumerate(self._lines):
            if line.kind in ("assign", "template") and line.match.group(2) == hash_name \
                    and line.match.group(4).startswith(family):
                last = index
        return self._code_end() if last is None else last + 1

    def _code_end(self):
        """Where Ruby's code ends: before ``__END__`` or a top-level exit/raise, else the end of the file."""
        for index, line in enumerate(self._lines):
            if line.kind in ("end", "stop"):
                return index
        return len(self._lines)

    def delete(self, path):
        hash_name, key = self._key(path)
        for index, _match in reversed(self._assignments(hash_name, key)):
            del self._lines[index]  # a one-line literal: the lines after it keep their classification

    def render(self):
        return "".join(line.text + line.eol for line in self._lines)
