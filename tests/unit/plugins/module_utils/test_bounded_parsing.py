"""Bounded parsing: hostile or huge stores end in a clear refusal naming the file or line, never a traceback.

Sizes sit just past each documented limit (and far past it), so every test is bounded in time by construction;
nothing here measures time (bench/ does). Within the limits the real readers agree with what was written.
"""

import os

import pytest
import readers
import yaml

from ansible_collections.mailops.smtp.plugins.module_utils.stores import json as _store_json, yaml as _store_yaml
from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._files import MAX_FILE_BYTES, read_text
from ansible_collections.mailops.smtp.plugins.module_utils.stores.json import JsonStore
from ansible_collections.mailops.smtp.plugins.module_utils.stores.yaml import YamlStore


def _json(levels):
    return '{\n  "Deep": ' + "[" * levels + "]" * levels + ',\n  "EmailSettings": {"SMTPServer": "old"}\n}\n'


def test_json_up_to_the_limit_is_read_and_written_as_go_reads_it():
    store = JsonStore.parse(_json(_store_json.MAX_NESTING - 1))  # the top-level object is one level
    store.set(("EmailSettings", "SMTPServer"), "new.example")
    assert readers.mattermost(store.render())["EmailSettings"]["SMTPServer"] == "new.example"


@pytest.mark.parametrize("levels", [_store_json.MAX_NESTING, 2000, 10000])
def test_json_nested_past_the_limit_is_refused_naming_the_line(levels):
    with pytest.raises(StoreError, match=r"^JSON at line 2: arrays and objects nested deeper than %d levels"
                       % _store_json.MAX_NESTING):
        JsonStore.parse(_json(levels))


def _yaml(levels):
    return "top:\n" + "".join("  " * (i + 1) + "k%d:\n" % i for i in range(levels - 1)) + "other: 1\n"


def test_yaml_up_to_the_limit_is_read_as_pyyaml_reads_it():
    text = _yaml(_store_yaml.MAX_NESTING)
    store = YamlStore.parse(text)
    store.set(("other",), 2)
    assert yaml.safe_load(store.render())["other"] == 2 == store.get(("other",))


@pytest.mark.parametrize("levels", [_store_yaml.MAX_NESTING + 1, 5000])
def test_yaml_nested_past_the_limit_is_refused_naming_the_line(levels):
    with pytest.raises(StoreError, match=r"^YAML line %d: block mappings and sequences nested deeper than %d"
                       % (_store_yaml.MAX_NESTING + 1, _store_yaml.MAX_NESTING)):
        YamlStore.parse(_yaml(levels))


def test_a_file_past_the_size_limit_is_refused_before_it_is_read_naming_it(tmp_path):
    path = str(tmp_path / "grafana.ini")
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing to write, nothing read
    with pytest.raises(StoreError) as caught:
        read_text(path)
    assert str(caught.value) == ("%s is larger than 16 MiB, the most this module reads of a configuration file; "
                                 "nothing was changed" % path)
    os.truncate(path, MAX_FILE_BYTES)
    assert len(read_text(path)) == MAX_FILE_BYTES
