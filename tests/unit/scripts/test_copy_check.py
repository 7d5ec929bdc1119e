# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""copy_check finds repository files that copy upstream text, and lets files in the same shape through."""

import importlib.util
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def load():
    spec = importlib.util.spec_from_file_location('copy_check', os.path.join(ROOT, 'scripts', 'copy_check.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# An "upstream" file: prose comments around commented-out settings.
UPSTREAM = ''.join('# paragraph %d explains the setting below at some considerable length\n;key_%02d = value\n'
                   % (i, i) for i in range(60))


def test_a_verbatim_or_cut_down_copy_is_found_and_a_file_in_the_same_shape_is_not():
    check = load()
    assert check.is_copy(UPSTREAM, UPSTREAM)
    passage = ''.join(UPSTREAM.splitlines(True)[40:40 + 2 * check.RUN])  # RUN prose lines in a row
    assert check.is_copy('# our own introduction, written here for the test\n' + passage, UPSTREAM)
    shorter = ''.join(UPSTREAM.splitlines(True)[40:40 + 2 * (check.RUN - 1)])
    assert not check.is_copy(shorter, UPSTREAM)
    # the same keys with our own words: the short setting lines are facts of the format, not a copy
    ours = ''.join('# our note number %d, in words of our own choosing\n;key_%02d = value\n' % (i, i)
                   for i in range(60))
    assert not check.is_copy(ours, UPSTREAM)


def test_comment_markers_blanks_and_order_do_not_hide_a_copy():
    check = load()
    remarked = UPSTREAM.replace('# paragraph', ';;   paragraph').replace('\n', '\n\n')
    assert check.is_copy(remarked, UPSTREAM)
    prose = [line for line in UPSTREAM.splitlines(True) if line.startswith('#')]
    shuffled = ''.join(prose[::2] + prose[1::2])  # every line kept, no two in their old order
    run, shared, total = check.compare(shuffled, UPSTREAM)
    assert run < check.RUN and shared == total == 60
    assert check.is_copy(shuffled, UPSTREAM)


def test_find_copies_names_the_repository_file_and_the_corpus_file(tmp_path):
    check = load()
    corpus, repo = tmp_path / 'corpus', tmp_path / 'repo'
    (corpus / 'app').mkdir(parents=True)
    (corpus / 'app' / 'sample.ini').write_text(UPSTREAM)
    (corpus / 'SOURCES.md').write_text('# notes about the corpus, not upstream text\n' * 50)
    (repo / 'tests').mkdir(parents=True)
    (repo / 'tests' / 'copied.ini').write_text(UPSTREAM)
    (repo / 'tests' / 'own.ini').write_text('[smtp]\nhost = localhost:25\n')
    (repo / 'notes.md').write_text('# notes about the corpus, not upstream text\n' * 50)
    subprocess.run(['git', 'init', '-q', str(repo)], check=True)
    found = check.find_copies(str(corpus), str(repo))
    assert [found_copy[:2] for found_copy in found] == [('tests/copied.ini', os.path.join('app', 'sample.ini'))]
    assert check.main([str(corpus), str(repo)]) == 1
    (repo / 'tests' / 'copied.ini').unlink()
    assert check.main([str(corpus), str(repo)]) == 0


def test_without_git_every_file_outside_the_generated_folders_is_read(tmp_path):
    check = load()
    corpus, tree = tmp_path / 'corpus', tmp_path / 'unpacked'
    (corpus / 'app').mkdir(parents=True)
    (corpus / 'app' / 'sample.ini').write_text(UPSTREAM)
    for rel in ('tests/copied.ini', '.venv/lib/site.ini', 'tests/output/run.ini'):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(UPSTREAM)
    assert [found_copy[0] for found_copy in check.find_copies(str(corpus), str(tree))] == ['tests/copied.ini']
