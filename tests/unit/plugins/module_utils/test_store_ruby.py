"""RubyStore: gitlab.rb edits on GitLab's own gitlab.rb.template, every value read back by real Ruby.

The reader is ``readers.gitlab`` (tests/readers/ruby/gitlab.rb): Ruby evaluates the whole file the way Omnibus
does (instance_eval with every top-level name a method), so a quoting mistake, an interpolation or a broken line
shows up as a wrong value or a Ruby error, never as our own parser agreeing with our own writer.
"""

import os

import pytest
import readers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.ruby import RubyStore, encode_literal, parse_literal

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, "..", "..", "fixtures")

with open(os.path.join(FIXTURES, "gitlab", "gitlab.rb.template"), encoding="utf-8", newline="") as _handle:
    TEMPLATE = _handle.read()

SMTP = {
    "smtp_enable": True,
    "smtp_address": "smtp.example.com",
    "smtp_port": 587,
    "smtp_user_name": "gitlab@example.com",
    "smtp_password": "p'a\"s#{x}#@y#$z\\n é",
    "smtp_domain": "example.com",
    "smtp_authentication": "login",
    "smtp_enable_starttls_auto": True,
    "smtp_tls": False,
    "smtp_openssl_verify_mode": "peer",
    "gitlab_email_from": "gitlab@example.com",
    "gitlab_email_display_name": "O'Brien \"GitLab\" #{1+1}",
}


def ruby_read(text, *hashes):
    """The hashes Ruby builds when it evaluates ``text`` as gitlab.rb (default: just gitlab_rails)."""
    data = readers.gitlab(text, hashes=hashes or ("gitlab_rails",))
    return data if hashes else data["gitlab_rails"]


def changed_lines(before, after):
    old, new = before.splitlines(True), after.splitlines(True)
    return [(a, b) for a, b in zip(old, new) if a != b], len(new) - len(old)


def test_sample_renders_unchanged_and_ruby_sees_no_smtp_setting():
    store = RubyStore.parse(TEMPLATE)
    assert store.render() == TEMPLATE
    assert store.get(("gitlab_rails", "smtp_address")) is None
    assert ruby_read(TEMPLATE) == {}


def test_commented_templates_are_replaced_in_place_and_ruby_reads_every_value():
    store = RubyStore.parse(TEMPLATE)
    for key, value in SMTP.items():
        store.set(("gitlab_rails", key), value)
    text = store.render()
    pairs, added = changed_lines(TEMPLATE, text)
    assert added == 0  # every key had a commented template: nothing appended, nothing duplicated
    assert len(pairs) == len(SMTP)
    for old, new in pairs:
        assert old.startswith("# gitlab_rails['") and new.startswith("gitlab_rails['")
        assert old[2:].split("=")[0] == new.split("=")[0]
    # the template's quote style is kept: smtp_address was "mail.example.net", gitlab_email_from was 'gitlab@...'
    assert "gitlab_rails['smtp_address'] = \"smtp.example.com\"\n" in text
    assert "gitlab_rails['gitlab_email_from'] = 'gitlab@example.com'\n" in text
    assert ruby_read(text) == SMTP
    again = RubyStore.parse(text)
    assert {key: again.get(("gitlab_rails", key)) for key in SMTP} == SMTP


def test_same_values_leave_the_bytes_alone_and_last_assignment_wins():
    text = "gitlab_rails['smtp_port'] = 25 # old\ngitlab_rails['smtp_port'] = 465   # current\n"
    store = RubyStore.parse(text)
    assert store.get(("gitlab_rails", "smtp_port")) == 465  # Ruby: the last assignment wins
    store.set(("gitlab_rails", "smtp_port"), 465)
    assert store.render() == "gitlab_rails['smtp_port'] = 465 # old\ngitlab_rails['smtp_port'] = 465   # current\n"
    store.set(("gitlab_rails", "smtp_port"), 587)
    assert store.render() == "gitlab_rails['smtp_port'] = 587 # old\ngitlab_rails['smtp_port'] = 587   # current\n"
    assert ruby_read(store.render()) == {"smtp_port": 587}


def test_new_keys_go_after_their_family_and_delete_removes_every_assignment():
    text = "external_url 'https://git.example.com'\ngitlab_rails['smtp_enable'] = true\nnginx['listen_port'] = 80\n"
    store = RubyStore.parse(text)
    store.set(("gitlab_rails", "smtp_address"), "mx.example.com")
    store.set(("gitlab_rails", "gitlab_email_from"), "git@example.com")
    assert store.render() == ("external_url 'https://git.example.com'\ngitlab_rails['smtp_enable'] = true\n"
                              "gitlab_rails['smtp_address'] = 'mx.example.com'\nnginx['listen_port'] = 80\n"
                              "gitlab_rails['gitlab_email_from'] = 'git@example.com'\n")
    store.delete(("gitlab_rails", "smtp_enable"))
    assert ruby_read(store.render(), "gitlab_rails", "nginx") == {
        "gitlab_rails": {"smtp_address": "mx.example.com", "gitlab_email_from": "git@example.com"},
        "nginx": {"listen_port": 80}}


def test_crlf_file_keeps_its_line_ends():
    text = TEMPLATE.replace("\n", "\r\n")
    store = RubyStore.parse(text)
    store.set(("gitlab_rails", "smtp_address"), "mx.example.com")
    store.set(("gitlab_rails", "smtp_ca_path"), "/etc/ssl/certs")
    out = store.render()
    assert out.count("\r\n") == out.count("\n") == TEMPLATE.count("\n")


def test_heredocs_block_comments_and_multiline_values_are_not_assignments():
    text = ("gitlab_rails['ldap_servers'] = YAML.load <<-'EOS'\n"
            "gitlab_rails['smtp_address'] = 'inside a heredoc'\n"
            "  EOS\n"
            "=begin\ngitlab_rails['smtp_user_name'] = 'inside a block comment'\n=end\n"
            "gitlab_rails['env'] = {\n  'SMTP' => 'x',\n}\n"
            "note = \"<<NOT_A_HEREDOC\"\n"
            "gitlab_rails['smtp_port'] = 2525\n")
    store = RubyStore.parse(text)
    assert store.get(("gitlab_rails", "smtp_address")) is None
    assert store.get(("gitlab_rails", "smtp_user_name")) is None
    assert store.get(("gitlab_rails", "smtp_port")) == 2525
    store.set(("gitlab_rails", "smtp_address"), "mx.example.com")
    assert store.render().endswith("gitlab_rails['smtp_port'] = 2525\ngitlab_rails['smtp_address'] = "
                                   "'mx.example.com'\n")


@pytest.mark.parametrize("line", [
    "gitlab_rails['smtp_password'] = ENV['SMTP_PASSWORD']",
    "gitlab_rails['smtp_password'] = \"#{File.read('/run/secret')}\"",
    "gitlab_rails['smtp_password'] = 'a' + 'b'",
    "gitlab_rails['smtp_password'] = %q(secret)",
])
def test_an_expression_is_refused_by_name_never_guessed(line):
    store = RubyStore.parse(line + "\n")
    with pytest.raises(StoreError, match=r"smtp_password'\] at line 1 is a Ruby expression"):
        store.get(("gitlab_rails", "smtp_password"))


def test_an_assignment_inside_indented_code_is_refused():
    store = RubyStore.parse("if ENV['PROD']\n  gitlab_rails['smtp_address'] = 'a'\nend\n")
    with pytest.raises(StoreError, match="line 2 is inside the `if` block opened at line 1"):
        store.get(("gitlab_rails", "smtp_address"))
    store = RubyStore.parse("x = 1\n  gitlab_rails['smtp_address'] = 'a'\n")
    with pytest.raises(StoreError, match="inside indented code"):
        store.set(("gitlab_rails", "smtp_address"), "b")


@pytest.mark.parametrize("source, value", [
    ("'it\\'s \\\\ \\n'", "it's \\ \\n"),
    ('"tab\\there \\u00e9 \\x41 \\101 \\q \\#{x}"', "tab\there \u00e9 A A q #{x}"),
    ("true", True), ("nil", None), ("1_000", 1000), (":login", ":login"),
])
def test_literals_decode_as_ruby_reads_them(source, value):
    assert parse_literal(source) == value
    expected = readers.Symbol("login") if value == ":login" else value
    assert ruby_read("gitlab_rails['k'] = %s\n" % source) == {"k": expected}


RUBY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
                    max_size=24)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(RUBY_TEXT, min_size=1, max_size=12))
def test_any_string_written_in_either_quote_style_is_what_ruby_reads(values):
    """Property: for any text (no CR/LF/NUL), both quote styles make Ruby read back exactly that text."""
    lines = []
    for index, _value in enumerate(values):
        lines.append("# gitlab_rails['k%d'] = %s\n" % (index, '"template"' if index % 2 else "'template'"))
    store = RubyStore.parse("".join(lines))
    expected = {}
    for index, value in enumerate(values):
        store.set(("gitlab_rails", "k%d" % index), value)
        expected["k%d" % index] = value
    text = store.render()
    assert ruby_read(text) == expected
    again = RubyStore.parse(text)
    assert [again.get(("gitlab_rails", "k%d" % i)) for i in range(len(values))] == values


def test_values_that_cannot_be_written_are_refused():
    with pytest.raises(StoreError):
        encode_literal("a\nb")
    with pytest.raises(StoreError):
        encode_literal(1.5)
    with pytest.raises(StoreError):
        RubyStore.parse("").get(("gitlab_rails",))
