# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find files of the repository that copy text from a directory of upstream files (``shared/corpus``).

Everything in the repository must be our own writing; fixtures are written in the shape of the real files
(the same key names, sections and constructs), which shares single lines with them but not their prose.
A repository file counts as a copy of a corpus file when

- ``RUN`` consecutive significant lines of it appear consecutively in the corpus file (a copied passage), or
- at least ``SHARE`` of its significant lines (and at least ``MIN_SHARED`` of them) appear in the corpus file
  (a copy with lines reordered, or cut down).

A significant line is a line of at least ``MIN_LENGTH`` characters once blanks and comment markers are stripped
(short lines such as ``[smtp]``, ``user =`` or ``port 587`` are facts of the format that every file in that
shape has); other lines are skipped, so they neither count nor interrupt a run.

Used by ``scripts/corpus_check.py`` (the ``copies`` stage of ``make corpus-check``); run alone with
``python scripts/copy_check.py CORPUS [ROOT]``. Exit status 1 when a copy is found.
"""

import os
import subprocess
import sys

RUN = 6
SHARE = 0.5
MIN_SHARED = 40
MIN_LENGTH = 20
COMMENT_MARKERS = '#;/*!- \t'


def significant_lines(text):
    """The significant lines of ``text`` (stripped of blanks and leading comment markers), in order."""
    lines = []
    for line in text.splitlines():
        core = line.strip()
        while core.startswith('\\t'):  # a tab written as an escape in a string literal
            core = core[2:]
        core = core.lstrip(COMMENT_MARKERS).strip()
        if len(core) >= MIN_LENGTH:
            lines.append(core)
    return lines


def _runs(ours, theirs):
    """Length of the longest run of consecutive lines of ``ours`` that is consecutive in ``theirs``."""
    positions = {}
    for index, line in enumerate(theirs):
        positions.setdefault(line, []).append(index)
    best = 0
    previous = {}  # corpus index -> run length ending there, for the previous line of ours
    for line in ours:
        current = {}
        for index in positions.get(line, ()):
            current[index] = previous.get(index - 1, 0) + 1
        if current:
            best = max(best, *current.values())
        previous = current
    return best


def compare(ours_text, theirs_text):
    """``(longest shared run, number of shared lines, number of our significant lines)``."""
    ours, theirs = significant_lines(ours_text), significant_lines(theirs_text)
    known = set(theirs)
    shared = sum(1 for line in ours if line in known)
    return _runs(ours, theirs), shared, len(ours)


def is_copy(ours_text, theirs_text):
    run, shared, total = compare(ours_text, theirs_text)
    return run >= RUN or (shared >= MIN_SHARED and shared >= SHARE * total)


def _read(path):
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except OSError:
        return None
    if b'\0' in data:
        return None  # binary
    return data.decode('utf-8', 'replace')


def corpus_texts(corpus):
    texts = {}
    for dirpath, _dirs, files in os.walk(corpus):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, corpus)
            if rel == 'SOURCES.md':
                continue  # the corpus's own notes, not upstream text
            text = _read(path)
            if text is not None:
                texts[rel] = text
    return texts


GENERATED = ('.git', '.venv', '.collections', 'build', 'output', '__pycache__', '.hypothesis')


def repository_files(root):
    """The files git tracks (plus new ones not ignored), relative to ``root``; without git (an unpacked
    tarball), every file outside the generated folders."""
    try:
        listed = subprocess.run(['git', '-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                                check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode('utf-8')
        names = set(listed.split('\0'))
    except (OSError, subprocess.CalledProcessError):
        names = set()
        for dirpath, dirs, files in os.walk(root):
            dirs[:] = [name for name in dirs if name not in GENERATED]
            names.update(os.path.relpath(os.path.join(dirpath, name), root) for name in files)
    return sorted(name for name in names if name and os.path.isfile(os.path.join(root, name)))


def find_copies(corpus, root):
    """``[(repository file, corpus file, run, shared, total)]`` for every copy found."""
    theirs = {rel: (text, set(significant_lines(text))) for rel, text in corpus_texts(corpus).items()}
    found = []
    for name in repository_files(root):
        text = _read(os.path.join(root, name))
        if text is None:
            continue
        ours = significant_lines(text)
        for rel, (their_text, known) in theirs.items():
            if sum(1 for line in ours if line in known) < RUN:
                continue  # cannot be a copy: skip the run search
            if is_copy(text, their_text):
                found.append((name, rel) + compare(text, their_text))
    return found


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or len(argv) > 2:
        print('usage: copy_check.py CORPUS [ROOT]', file=sys.stderr)
        return 2
    corpus = os.path.abspath(argv[0])
    root = os.path.abspath(argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(__file__)))
    copies = find_copies(corpus, root)
    for name, rel, run, shared, total in copies:
        print('%s copies %s: a run of %d lines, %d of its %d significant lines' % (name, rel, run, shared, total))
    print('%d file(s) copy upstream text' % len(copies))
    return 1 if copies else 0


if __name__ == '__main__':
    sys.exit(main())
