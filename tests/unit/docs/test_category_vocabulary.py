"""Every place that lists the diagnosis vocabulary lists all of it: scripts and reports key on the category names."""

import re

import yaml

from ansible_collections.mailops.smtp.plugins.module_utils._diagnosis import CATEGORIES
from ansible_collections.mailops.smtp.plugins.modules import smtp_probe


def test_smtp_probe_documents_every_category_in_order():
    category = yaml.safe_load(smtp_probe.RETURN)["diagnosis"]["contains"]["category"]
    listed = re.findall(r"V\(([a-z_]+)\)", category["description"][0])
    assert listed == list(CATEGORIES)
