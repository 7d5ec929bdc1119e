"""Tests for the developer tooling in scripts/: the module docs generator and the offline pip bootstrap seeding."""

import importlib.util
import os
import subprocess
import sys
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPTS = os.path.join(ROOT, "scripts")


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(SCRIPTS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_module_docs = load_script("gen_module_docs")
seed_get_pip = load_script("seed_get_pip")


@pytest.mark.parametrize(
    "markup, markdown",
    [
        ("O(test=send) stops at V(envelope).", "[`test=send`](#parameter-test) stops at `envelope`."),
        ("See RV(diagnosis.category).", "See [`diagnosis.category`](#return-diagnosis/category)."),
        ("C(tls://host:587) and I(never) B(always)", "`tls://host:587` and *never* **always**"),
        ("Like M(mailops.smtp.smtp_probe).", "Like [`mailops.smtp.smtp_probe`](smtp_probe.md)."),
        ("O(mailops.smtp.outgoing_server#module:app=corebos)",
         "[`app=corebos`](outgoing_server.md#parameter-app) of [`mailops.smtp.outgoing_server`](outgoing_server.md)"),
        ("L(the manual,https://example.com/m) or U(https://example.com)",
         "[the manual](https://example.com/m) or <https://example.com>"),
        ("E(GF_SMTP_HOST) overrides it", "`GF_SMTP_HOST` overrides it"),
        ("a *literal* <b> [x]", "a \\*literal\\* \\<b\\> \\[x\\]"),
    ],
)
def test_semantic_markup_becomes_markdown(markup, markdown):
    render = gen_module_docs.Renderer("mailops.smtp.smtp_probe")
    assert render.block(markup) == markdown


def test_table_cells_escape_pipes_and_join_paragraphs():
    render = gen_module_docs.Renderer("mailops.smtp.smtp_probe")
    assert render.cell(["One C(a|b).", "Two."]) == "One `a\\|b`.<br><br>Two."
    assert render.block("C(a|b)") == "`a|b`"


def test_markup_errors_are_collected_not_rendered_silently():
    render = gen_module_docs.Renderer("mailops.smtp.smtp_probe")
    before = len(gen_module_docs.ERRORS)
    text = render.block("V(unclosed")
    assert "ERROR" in text
    assert len(gen_module_docs.ERRORS) == before + 1
    del gen_module_docs.ERRORS[before:]


def test_module_page_renders_options_suboptions_attributes_and_returns():
    data = {
        "doc": {
            "short_description": "Do a thing",
            "version_added": "1.0.0",
            "description": ["First O(name)."],
            "options": {
                "name": {"type": "str", "required": True, "description": "The name."},
                "mode": {"type": "str", "choices": ["a", "b"], "default": "b", "description": "Mode."},
                "login": {"type": "dict", "description": "Login.", "suboptions": {
                    "user": {"type": "str", "description": "User.", "aliases": ["login_user"]},
                }},
            },
            "attributes": {"check_mode": {"support": "full", "description": "Check mode.", "details": "D."}},
            "author": ["Someone (@someone)"],
        },
        "examples": "- name: Example\n  mailops.smtp.thing:\n    name: x\n",
        "return": {"result": {"type": "dict", "returned": "always", "description": "R.", "contains": {
            "code": {"type": "int", "description": "C.", "sample": 250},
        }}},
    }
    page = gen_module_docs.render_module("mailops.smtp.thing", data)
    assert page.startswith(gen_module_docs.HEADER + "\n\n# mailops.smtp.thing — Do a thing\n")
    assert '<a id="parameter-name"></a>**name**<br>str<br>**required** | The name. |' in page
    assert "Choices: `a`, `b` (default) |" in page
    assert '<a id="parameter-login/user"></a>&nbsp;&nbsp;&nbsp;&nbsp;↳ **user**' in page
    assert "aliases: `login_user`" in page
    assert "| **check\\_mode** | full | Check mode.<br><br>D. |" in page
    assert "```yaml\n- name: Example\n  mailops.smtp.thing:\n    name: x\n```" in page
    nested_return = ('<a id="return-result/code"></a>&nbsp;&nbsp;&nbsp;&nbsp;↳ **code**<br>int'
                     ' | C.<br><br>Sample: `250` |')
    assert nested_return in page
    assert page.endswith("## Authors\n\n- Someone (@someone)\n")


def test_pip_bootstrap_cache_follows_the_installed_ansible_test():
    from ansible_test._internal.python_requirements import get_venv_packages

    version = get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"]
    assert seed_get_pip.ansible_test_pip_version("3.11") == version
    expected = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % version.replace(".", "_"))
    assert seed_get_pip.ansible_test_cache_path(version) == expected


def test_offline_bootstrap_script_installs_the_requested_pip(tmp_path):
    """The seeded script does what get-pip.py does for ansible-test: a venv without pip gets the pinned pip."""
    script = tmp_path / "get_pip.py"
    script.write_text(seed_get_pip.BOOTSTRAP_TEMPLATE.format(marker=seed_get_pip.MARKER, pip_version="24.2"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip_version = seed_get_pip.ansible_test_pip_version("3.11")  # newer than the pip ensurepip bundles
    subprocess.run([python, str(script), "--disable-pip-version-check", "--quiet", "pip==" + pip_version,
                    "--no-setuptools", "--no-wheel"], check=True, capture_output=True)
    installed = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, check=True)
    assert installed.stdout.split()[1] == pip_version
    setuptools = subprocess.run([python, "-c", "import setuptools"], capture_output=True, check=False)
    assert setuptools.returncode != 0
