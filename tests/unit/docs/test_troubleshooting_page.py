"""docs/troubleshooting.md must explain every diagnosis category the catalog can return.

Scripts and reports key on the category vocabulary; a category without a section leaves an admin with a word and
no advice.
"""

import os
import re

from ansible_collections.mailops.smtp.plugins.module_utils._diagnosis import CATALOG, CATEGORIES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PAGE = os.path.join(ROOT, "docs", "troubleshooting.md")


def _documented_categories():
    with open(PAGE, encoding="utf-8") as handle:
        return re.findall(r"^### ([a-z_]+) — ", handle.read(), flags=re.MULTILINE)


def test_every_category_has_exactly_one_section():
    documented = _documented_categories()
    assert sorted(documented) == sorted(CATEGORIES)


def test_the_catalog_only_uses_documented_categories():
    used = {row["category"] for row in CATALOG}
    assert used <= set(_documented_categories())
