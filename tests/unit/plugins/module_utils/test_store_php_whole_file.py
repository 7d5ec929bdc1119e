"""PhpStore reads the whole PHP file as PHP runs it (every ``<?php`` block), or refuses naming line and reason.

PHP itself is the judge (``readers.nextcloud``: the file included as Nextcloud includes config.php, and
``php -l``): a later override after ``?>`` ... ``<?php`` is what PHP reads, so the store refuses to report the
array's value as the app's; nesting deeper than the documented limit is a clear refusal, never a traceback.
"""

import pytest
import readers

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
from ansible_collections.mailops.smtp.plugins.module_utils.stores.php import MAX_NESTING, PhpStore

HOST = ("CONFIG", "mail_smtphost")
ARRAY = "<?php\n$CONFIG = array (\n  'mail_smtphost' => 'array.example',\n);\n"


@pytest.mark.parametrize("tail, line", [
    ("?>\n<?php $CONFIG['mail_smtphost'] = 'override.example';\n", 6),
    ("?>\n<?php\n// a comment ?>\n<?php $CONFIG['mail_smtphost'] = 'override.example';\n", 8),
    ("?><?= '' ?><?php $CONFIG['mail_smtphost'] = 'override.example';\n", 5),
    ("// ends here ?>\n<?php $CONFIG = array('mail_smtphost' => 'override.example');\n", 6),
])
def test_code_after_a_closing_tag_is_read_and_an_override_refused_naming_its_line(tail, line):
    text = ARRAY + tail
    assert readers.nextcloud(text)["mail_smtphost"] == "override.example"  # PHP runs the later block
    store = PhpStore.parse(text)
    with pytest.raises(StoreError, match=r"^PHP line %d: \$CONFIG is used again after its array" % line):
        store.get(HOST)
    profile = get_profile("nextcloud")(None, dict(path="/nonexistent/config.php"))
    with pytest.raises(StoreError, match=r"line %d" % line):
        profile.extract(profile.parse(text))


def test_closed_blocks_without_an_override_read_and_edit_as_php_does():
    text = ARRAY + "?>\n<?php $unrelated = 1; ?>\n"
    store = PhpStore.parse(text)
    assert store.get(HOST) == readers.nextcloud(text)["mail_smtphost"] == "array.example"
    store.set(HOST, "new.example")
    store.set(("CONFIG", "mail_smtpport"), 587)
    seen = readers.nextcloud(store.render())
    assert (seen["mail_smtphost"], seen["mail_smtpport"]) == ("new.example", 587)
    assert store.render().endswith("?>\n<?php $unrelated = 1; ?>\n")


def test_nothing_after_halt_compiler_is_code():
    text = ARRAY + "__halt_compiler();\n$CONFIG['mail_smtphost'] = 'data, never run';\n"
    store = PhpStore.parse(text)
    assert store.get(HOST) == readers.nextcloud(text)["mail_smtphost"] == "array.example"


def _nested(levels):
    return "<?php\n$CONFIG = array (\n  'deep' => " + "array(" * levels + "1" + ")" * levels + ",\n);\n"


def test_nesting_up_to_the_limit_is_read_and_deeper_is_refused_naming_the_line():
    store = PhpStore.parse(_nested(MAX_NESTING - 1))
    value = store.get(("CONFIG", "deep"))
    for _level in range(MAX_NESTING - 2):
        value = value[0]
    assert value == [1]
    for levels in (MAX_NESTING, 450, 5000):  # the array( of $CONFIG itself is one level
        with pytest.raises(StoreError, match=r"^PHP line 3: brackets nested deeper than %d levels" % MAX_NESTING):
            PhpStore.parse(_nested(levels))
