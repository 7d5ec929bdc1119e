"""RubyStore reads gitlab.rb as Ruby reads ALL of it, or refuses naming the line and the reason.

Ruby itself is the judge (``readers.gitlab``: the file evaluated as Omnibus evaluates it): for every file below
either the store's value is exactly what Ruby reads, or the store refuses -- and where it refuses because Ruby
would not even load the file, Ruby refuses it too.
"""

import pytest
import readers

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.ruby import RubyStore

ADDRESS = ("gitlab_rails", "smtp_address")
SET = "gitlab_rails['smtp_address'] = 'top.example'\n"


def test_text_after_end_is_data_ruby_never_reads_and_new_lines_go_above_it():
    text = SET + "__END__\ngitlab_rails['smtp_address'] = 'below.example'\n# gitlab_rails['smtp_port'] = 25\n"
    store = RubyStore.parse(text)
    assert store.get(ADDRESS) == "top.example" == readers.gitlab(text)["gitlab_rails"]["smtp_address"]
    store.set(ADDRESS, "new.example")
    store.set(("gitlab_rails", "smtp_port"), 587)  # its template below __END__ is data: not uncommented
    out = store.render()
    assert out.endswith("__END__\ngitlab_rails['smtp_address'] = 'below.example'\n# gitlab_rails['smtp_port'] = 25\n")
    assert readers.gitlab(out)["gitlab_rails"] == {"smtp_address": "new.example", "smtp_port": 587}


def test_only_end_below_gets_the_setting_written_above_end():
    text = "external_url 'https://x'\n__END__\r\ngitlab_rails['smtp_address'] = 'below.example'\n"
    store = RubyStore.parse(text)
    assert store.get(ADDRESS) is None and readers.gitlab(text)["gitlab_rails"] == {}
    store.set(ADDRESS, "new.example")
    out = store.render()
    assert out == "external_url 'https://x'\ngitlab_rails['smtp_address'] = 'new.example'\n__END__\r\n" \
                  "gitlab_rails['smtp_address'] = 'below.example'\n"
    assert readers.gitlab(out)["gitlab_rails"] == {"smtp_address": "new.example"}


@pytest.mark.parametrize("text, line, reason", [
    ("if false\ngitlab_rails['smtp_address'] = 'x'\nend\n", 2, "the `if` block opened at line 1"),
    ("unless true\ngitlab_rails['smtp_address'] = 'x'\nend\n", 2, "the `unless` block opened at line 1"),
    ("while false do\ngitlab_rails['smtp_address'] = 'x'\nend\n", 2, "the `while` block opened at line 1"),
    ("[].each do |x|\ngitlab_rails['smtp_address'] = 'x'\nend\n", 2, "the `do` block opened at line 1"),
    ("def never\ngitlab_rails['smtp_address'] = 'x'\nend\n", 2, "the `def` block opened at line 1"),
    ("case 1\nwhen 2\ngitlab_rails['smtp_address'] = 'x'\nend\n", 3, "the `case` block opened at line 1"),
    ("x = if false\ngitlab_rails['smtp_address'] = 'x'\nend\n", 2, "the `if` block opened at line 1"),
    ("exit\ngitlab_rails['smtp_address'] = 'x'\n", 2, "after the `exit` at line 1"),
    ("raise 'stop' if ::ENV['X'].nil?\ngitlab_rails['smtp_address'] = 'x'\n", 2, "after the `raise` at line 1"),
    (SET + "x = 1; gitlab_rails['smtp_address'] = 'other'\n", 2, "changes it with `gitlab_rails['smtp_address'] =`"),
    (SET + "gitlab_rails['smtp_address'] ||= 'other'\n", 2, "changes it with `gitlab_rails['smtp_address'] ||=`"),
    (SET + "gitlab_rails['smtp_address'] << '.evil'\n", 2, "changes it with `gitlab_rails['smtp_address'] <<`"),
    (SET + "gitlab_rails.merge!('smtp_address' => 'o')\n", 2, "changes the whole hash with `gitlab_rails.merge!`"),
    (SET + "gitlab_rails.store('smtp_address', 'o')\n", 2, "changes the whole hash with `gitlab_rails.store`"),
    (SET + "gitlab_rails = {}\ngitlab_rails['smtp_address'] = 'local'\n", 2,
     "changes the whole hash with `gitlab_rails =`"),
    (SET + "from_file '/etc/gitlab/smtp.rb'\n", 2, "runs other Ruby code with `from_file`"),
    ("eval(::File.read('/dev/null'))\n" + SET, 1, "runs other Ruby code with `eval`"),
])
def test_code_ruby_may_not_run_or_other_writes_are_refused_naming_line_and_reason(text, line, reason):
    """Ruby runs the file (it is valid) but the value depends on code the module does not evaluate: refused."""
    readers.gitlab(text)  # valid Ruby: it loads
    store = RubyStore.parse(text)
    for action in (lambda: store.get(ADDRESS), lambda: store.set(ADDRESS, "new.example")):
        with pytest.raises(StoreError) as caught:
            action()
        assert ("line %d" % line) in str(caught.value) and reason in str(caught.value)


def test_a_block_ruby_runs_never_or_not_leaves_other_keys_and_modifiers_alone():
    text = ("x = 1 if ::ENV['X']\nif false\n  nginx['enable'] = true\nend\n"
            "y = [1].map do |v| v end\ndef f = 1\nwords = %w(if end do) + %i[end]\nz = 5 % 3\n"
            "w = ::Kernel.Integer('x') rescue 0\nif true then 1 elsif false then 2 else 3 end\n" + SET
            + "gitlab_rails['smtp_port'] = 25 # port: end\n")
    store = RubyStore.parse(text)
    ruby = readers.gitlab(text)["gitlab_rails"]
    assert store.get(ADDRESS) == ruby["smtp_address"] and store.get(("gitlab_rails", "smtp_port")) == 25
    store.set(("gitlab_rails", "smtp_user_name"), "u")
    assert readers.gitlab(store.render())["gitlab_rails"]["smtp_user_name"] == "u"


def test_a_template_inside_code_ruby_may_not_run_is_not_uncommented_there():
    text = "if false\n# gitlab_rails['smtp_address'] = 'a'\nend\n"
    store = RubyStore.parse(text)
    store.set(ADDRESS, "new.example")
    out = store.render()
    assert out == text + "gitlab_rails['smtp_address'] = 'new.example'\n"
    assert readers.gitlab(out)["gitlab_rails"] == {"smtp_address": "new.example"}


@pytest.mark.parametrize("text, line, reason", [
    (SET + "x = <<~EOS\n  never closed\n", 2, "the heredoc <<EOS is never closed"),
    (SET + "x = <<A, <<B\na\nA\nb\n", 2, "the heredoc <<B is never closed"),
    (SET + "=begin\ncomment\n=endless\n", 2, "=begin has no =end"),
    (SET + "x = 'open\n", 2, "a string literal is never closed"),
    (SET + "x = [1,\n", 2, "a bracket opened here is never closed"),
    (SET + "if true\n", 2, "`if` has no matching `end`"),
    (SET + "end\n", 2, "`end` closes no block"),
    (SET + "x = 1)\n", 2, "a closing bracket that closes nothing"),
    ("if true\n__END__\nend\n", 2, "__END__ ends the Ruby code while the `if` opened at line 1 is still open"),
    (SET + "else\n", 2, "`else` outside any block"),
    (SET + "rescue\n", 2, "`rescue` outside any block"),
    (SET + "=end\n", 2, "=end without =begin"),
])
def test_a_file_ruby_refuses_is_refused_naming_line_and_reason(text, line, reason):
    with pytest.raises(readers.Unreadable):
        readers.gitlab(text)
    with pytest.raises(StoreError) as caught:
        RubyStore.parse(text)
    assert str(caught.value).startswith("line %d: " % line) and reason in str(caught.value)


def test_block_comment_markers_follow_ruby_rules():
    text = "=begin doc\ngitlab_rails['smtp_address'] = 'hidden'\n=endless\n=end trailing words\n" + SET
    store = RubyStore.parse(text)
    assert store.get(ADDRESS) == "top.example" == readers.gitlab(text)["gitlab_rails"]["smtp_address"]


# ---------------------------------------------------------------------------------------- Redmine: ERB first
REDMINE = ("production:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n"
           "      address: shown.example\n      port: 25\n")


def redmine_profile():
    from ansible_collections.mailops.smtp.plugins.module_utils._profiles._registry import get_profile
    return get_profile("redmine")(None, dict(path="/nonexistent/configuration.yml", environment="production"))


@pytest.mark.parametrize("text, line", [
    ("<% if false %>\n" + REDMINE + "<% end %>\n", 1),
    (REDMINE + "# <% if false %>\n  smtp: x\n# <% end %>\n", 7),
    (REDMINE + "<%# a comment\nthat hides lines %>\n", 7),
    (REDMINE + "<%= 'x:\n  y' %>\n", 7),
])
def test_redmine_erb_code_anywhere_is_refused_naming_the_line(text, line):
    """ERB runs before YAML on every byte (comments too): what Redmine reads is not what the YAML says."""
    readers.redmine_many([text])  # Ruby reads it (or refuses it); either way not what the YAML alone says
    with pytest.raises(StoreError, match=r"^line %d: .*ERB" % line):
        redmine_profile().parse(text)


def test_redmine_hidden_section_is_what_erb_makes_of_it():
    """The case behind the refusal: ERB removes the section, Redmine sends with no SMTP settings at all."""
    text = "default:\n  attachments_storage_path: /srv\n<% if false %>\n" + REDMINE + "<% end %>\n"
    assert "email_delivery" not in readers.redmine(text)
    with pytest.raises(StoreError, match="^line 3: ERB code"):
        redmine_profile().parse(text)


def test_redmine_one_line_value_tags_and_the_literal_escape_are_modelled():
    text = REDMINE.replace("shown.example", "<%= 'shown' %>.example") + "      user_name: 'a<%%b'\n"
    profile = redmine_profile()
    stored = profile.extract(profile.parse(text))
    seen = readers.redmine(text)["email_delivery"]["smtp_settings"]
    assert seen["address"] == "shown.example" and seen["user_name"] == stored["username"] == "a<%b"


PIECES = ["gitlab_rails['smtp_address'] = 'a'", "if false", "unless true", "end", "x = <<~EOS", "  text", "EOS",
          "=begin", "=end", "__END__", "x = [1,", "2]", "y = 1 if true", "[1].each do |v|", "while false do",
          "def f = 1", "def g", "case 1", "when 1", "else", "begin", "rescue", "x = %w(if end)", "x = 'a#b'",
          "# end", "gitlab_rails['smtp_port'] = 25 # if", "z = { end: 1, if: 2 }", "p :end", "a = b ? 1 : 2",
          "x = \"#{1 if true}\"", "loop do break end", "class Foo", "module M", "x = (1 +", "2)",
          "foo.end rescue nil", "y = 1 unless false", "x = 1; y = 2", "z = <<-A", "  A", "begin; end while false",
          "for i in [1] do", "x = -> do 1 end", "q = lambda { |v| v }", "x = 'unterminated", "s = %q{a}"]


def test_a_file_refused_as_unparsable_is_one_ruby_refuses_too():
    """Property over 400 files made of block, heredoc, comment and string pieces (fixed seed, one Ruby process):
    whenever the store says Ruby would refuse the file, Ruby's parser does refuse it -- no valid gitlab.rb is
    refused as broken."""
    import random
    chooser = random.Random(20)
    texts = []
    for _text in range(400):
        texts.append("\n".join(chooser.choice(PIECES) for _piece in range(chooser.randint(1, 8))) + "\n")
    refused = 0
    for text, seen in zip(texts, readers.gitlab_many(texts)):
        try:
            RubyStore.parse(text)
        except StoreError as exc:
            refused += 1
            assert isinstance(seen, readers.Unreadable) and "SyntaxError" in str(seen), (text, str(exc), seen)
    assert refused > 100  # the pieces do make broken files: the property is exercised
