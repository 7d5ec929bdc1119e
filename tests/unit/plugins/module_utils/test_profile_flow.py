# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One apply reads and parses the file once (issue 22 item 3): read() parses, plan() edits that store and renders it
once; the masked diff texts are made only when --diff asks for them. plan() is pure: no file is read or written."""

from ansible_collections.mailops.smtp.plugins.module_utils import _files
from ansible_collections.mailops.smtp.plugins.module_utils._argspec import CONNECTION_ARGS
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils._settings import settings_from_params
from ansible_collections.mailops.smtp.plugins.module_utils.stores.ini import IniStore

TEXT = '[server]\nhttp_port = 3000\n\n[smtp]\nenabled = true\nhost = old:587\nuser = u\npassword = Old-pass1\n'


class Module:
    check_mode = False
    params = {}

    def selinux_enabled(self):
        return False


def counting(monkeypatch):
    counts = dict(parse=0, render=0, read=0)
    parse, render, read = IniStore.parse.__func__, IniStore.render, _files.read_bytes

    def counted_parse(cls, *args, **kwargs):
        counts['parse'] += 1
        return parse(cls, *args, **kwargs)

    def counted_render(self):
        counts['render'] += 1
        return render(self)

    def counted_read(path):
        counts['read'] += 1
        return read(path)

    monkeypatch.setattr(IniStore, 'parse', classmethod(counted_parse))
    monkeypatch.setattr(IniStore, 'render', counted_render)
    monkeypatch.setattr(_files, 'read_bytes', counted_read)
    return counts


def plan_for(tmp_path):
    path = tmp_path / 'grafana.ini'
    path.write_text(TEXT)
    params = dict(app='grafana', path=str(path), server='smtp.example.com:587', username='u', password='New-pass2')
    profile = get_profile('grafana')(Module(), params)
    connection = {k: v.get('default') for k, v in CONNECTION_ARGS.items()}
    connection.update((k, v) for k, v in params.items() if k in CONNECTION_ARGS)
    settings = settings_from_params(connection)
    profile.check(settings, 'present')
    return profile, profile.read(), settings


def test_one_grafana_apply_reads_and_parses_the_file_once_and_renders_it_once(tmp_path, monkeypatch):
    counts = counting(monkeypatch)
    profile, snapshot, settings = plan_for(tmp_path)
    plan = profile.plan(snapshot, settings, 'present', 'always')
    assert plan.changed and 'smtp.example.com:587' in plan.payload
    assert 'smtp.example.com' in plan.stored_after['server'] and plan.stored_after['password'] == 'New-pass2'
    assert counts == dict(parse=1, render=1, read=1)   # 1.2.0: 3 parses, 3 renders


def test_the_diff_costs_one_more_parse_and_two_renders_only_when_asked(tmp_path, monkeypatch):
    counts = counting(monkeypatch)
    profile, snapshot, settings = plan_for(tmp_path)
    plan = profile.plan(snapshot, settings, 'present', 'always')
    before, after = plan.before, plan.after
    assert 'Old-pass1' not in before + after and 'New-pass2' not in before + after
    assert 'host = old:587' in before and 'host = smtp.example.com:587' in after
    assert plan.before is before   # made once
    assert counts == dict(parse=2, render=3, read=1)


def test_plan_touches_no_file(tmp_path, monkeypatch):
    profile, snapshot, settings = plan_for(tmp_path)

    def no_io(*args, **kwargs):
        raise AssertionError('plan() did I/O')

    for name in ('read_bytes', 'read_text', 'write_text', 'prepare', 'commit', 'resolve'):
        monkeypatch.setattr(_files, name, no_io)
    plan = profile.plan(snapshot, settings, 'present', 'always')
    assert plan.before and plan.after
