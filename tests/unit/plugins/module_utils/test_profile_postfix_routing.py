"""Postfix parameters that send mail elsewhere than ``relayhost``, read with the real ``postconf``.

``default_transport = smtp:[old]:587`` sends all mail to ``old`` whatever ``relayhost`` says: the profile reads
that next hop as the relay in use (so ``outgoing_server_info`` reports drift, never "in sync"), and a change is
refused naming the parameter and its line. Maps that pick a relay per recipient or sender (``transport_maps``,
``sender_dependent_relayhost_maps``, ``sender_dependent_default_transport_maps``), ``relay_transport`` with its
own next hop, and a ``default_transport`` that delivers nothing through ``relayhost``, are refused on reading.
Every file is left byte-identical.
"""

import os

import pytest
from test_profile_postfix import MAIN_CF, config_dir, desired, postconf, profile_for

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.postconf import PostconfStore

RELAY = 'relayhost = [new.example]:587\n'


def _state(directory):
    path = os.path.join(directory, 'main.cf')
    with open(path, 'rb') as handle:
        data = handle.read()
    stat = os.stat(path)
    return data, stat.st_ino, stat.st_mtime_ns


def test_default_transport_next_hop_is_the_relay_postfix_uses_and_a_change_is_refused(tmp_path):
    text = MAIN_CF.replace('relayhost = \n', RELAY) + 'default_transport = smtp:[old.example]:2525\n'
    directory = config_dir(tmp_path, text)
    # Postfix's own view: the transport's next hop wins over relayhost
    assert postconf(directory, 'default_transport', 'relayhost') == {
        'default_transport': 'smtp:[old.example]:2525', 'relayhost': '[new.example]:587'}
    profile = profile_for(directory)
    snapshot = profile.read()
    assert snapshot.stored['server'].split('://')[-1] == 'old.example:2525'
    line = text.splitlines().index('default_transport = smtp:[old.example]:2525') + 1
    before = _state(directory)
    with pytest.raises(StoreError) as caught:
        profile.plan(snapshot, desired(server='new.example', port=587, security='starttls'), 'present', 'always')
    message = str(caught.value)
    assert 'default_transport = smtp:[old.example]:2525 (line %d of %s)' % (line, profile.path) in message
    assert 'set default_transport = smtp' in message
    assert _state(directory) == before


@pytest.mark.parametrize('extra, named', [
    ('transport_maps = hash:/etc/postfix/transport\n', 'transport_maps (line'),
    ('sender_dependent_relayhost_maps = hash:/etc/postfix/relay_by_sender\n', 'sender_dependent_relayhost_maps (line'),
    ('sender_dependent_default_transport_maps = regexp:/etc/postfix/sdt\n',
     'sender_dependent_default_transport_maps (line'),
    ('default_transport = error:mail is off\n', 'default_transport = error:mail is off (line'),
    ('relay_domains = example.org\nrelay_transport = relay:[elsewhere.example]\n',
     'relay_transport = relay:[elsewhere.example] (line'),
])
def test_parameters_that_route_mail_elsewhere_are_refused_on_reading_naming_them(tmp_path, extra, named):
    directory = config_dir(tmp_path, MAIN_CF.replace('relayhost = \n', RELAY) + extra)
    before = _state(directory)
    with pytest.raises(StoreError, match='mail does not go \\(only\\) to relayhost') as caught:
        profile_for(directory).read()
    assert named in str(caught.value)
    assert _state(directory) == before


def test_defaults_and_a_plain_smtp_transport_leave_relayhost_in_charge(tmp_path):
    text = MAIN_CF.replace('relayhost = \n', RELAY) + 'default_transport = smtp\nrelay_transport = relay\n'
    directory = config_dir(tmp_path, text)
    assert postconf(directory, 'transport_maps', 'default_transport') == {'transport_maps': '',
                                                                          'default_transport': 'smtp'}
    snapshot = profile_for(directory).read()
    assert snapshot.stored['server'].split('://')[-1] == 'new.example:587'


def test_a_value_with_100000_continuation_lines_reads_as_postconf_reads_it(tmp_path):
    """The parse is linear: the size is far past what the old quadratic join could read in a test run."""
    nets = ['10.%d.%d.0/24' % (index // 256, index % 256) for index in range(100000)]
    text = MAIN_CF.replace('relayhost = \n', RELAY) + 'mynetworks = 127.0.0.0/8\n' + ''.join(
        ' %s\n' % net for net in nets)
    directory = config_dir(tmp_path, text)
    store = PostconfStore.parse(text)
    assert store.get(('mynetworks',)) == postconf(directory, 'mynetworks')['mynetworks']
    store.set(('mynetworks',), '127.0.0.0/8')
    new = store.render()
    assert new.endswith('\nmynetworks = 127.0.0.0/8\n') and '10.0.0.0/24' not in new
    assert postconf(config_dir(tmp_path, new), 'mynetworks')['mynetworks'] == '127.0.0.0/8'
