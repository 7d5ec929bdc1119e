"""The real readers themselves: each shows the reading quirk the profiles must follow (issue 10).

These tests pin what the applications' own parsers do, so that a profile test that relies on them
(tests/unit/plugins/module_utils/test_app_readers.py) compares against the real thing.
"""

import os

import pytest

import readers
from readers import ReaderMissing, Symbol, Unreadable

# --------------------------------------------------------------------------- Go (go-ini)


def test_grafana_cuts_unquoted_values_at_hash_and_semicolon_and_keeps_quoted_ones():
    seen = readers.grafana('[smtp]\npassword = p#ss;word\nuser = """u#1;x"""\nfrom_address = `a;b@c`\n')
    assert seen["smtp"]["password"] == "p"
    assert seen["smtp"]["user"] == "u#1;x"
    assert seen["smtp"]["from_address"] == "a;b@c"


def test_grafana_expands_env_and_file_and_refuses_vault(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("  from-a-file \n")
    seen = readers.grafana("[smtp]\npassword = a${X}b\nuser = $__env{X}\nhost = $__file{%s}\n" % secret,
                           env={"X": "ENV"})
    expected = ("aENVb", "ENV", "from-a-file")
    assert (seen["smtp"]["password"], seen["smtp"]["user"], seen["smtp"]["host"]) == expected
    assert readers.grafana("[smtp]\npassword = ${UNSET}x\n")["smtp"]["password"] == "x"
    with pytest.raises(Unreadable, match="vault"):
        readers.grafana("[smtp]\npassword = $__vault{kv:x}\n")
    with pytest.raises(Unreadable, match="no such file"):
        readers.grafana("[smtp]\npassword = $__file{/nonexistent/secret}\n")


def test_grafana_empty_value_falls_back_to_defaults_ini_and_percent_references_resolve():
    seen = readers.grafana("[smtp]\nfrom_name =\nuser = bob\npassword = x%(user)sy\n")
    assert seen["smtp"]["from_name"] == "Grafana"
    assert seen["smtp"]["password"] == "xboby"


def test_gitea_cuts_at_comment_characters_and_parses_from_with_net_mail():
    seen = readers.gitea('[mailer]\nPASSWD = p#ss\nUSER = `u;1`\nFROM = "Ops, Team" <ops@example.com>\n')
    assert seen["mailer"]["PASSWD"] == "p"
    assert seen["mailer"]["USER"] == "u;1"
    assert seen["*"] == {"mailer.FROM:name": "Ops, Team", "mailer.FROM:address": "ops@example.com"}
    with pytest.raises(Unreadable, match="mailer.FROM"):
        readers.gitea("[mailer]\nFROM = not an address\n")


def test_gitea_ignores_continuation_lines_that_grafana_would_join():
    text = "[mailer]\nPASSWD = ab\\\nUSER = u\n"
    assert readers.gitea(text)["mailer"]["PASSWD"] == "ab\\"
    assert readers.grafana(text.replace("mailer", "smtp").replace("PASSWD", "password"))["smtp"][
        "password"] == "abUSER = u"


def test_mattermost_reads_typed_fields_case_insensitively():
    seen = readers.mattermost('{"EmailSettings": {"smtppassword": "x", "SMTPPort": "587"}}')
    assert seen["EmailSettings"]["SMTPPassword"] == "x"
    assert seen["EmailSettings"]["SMTPPort"] == "587"
    assert seen["EmailSettings"]["FeedbackName"] is None
    [bad] = readers.mattermost_many(['{"EmailSettings": {"SMTPPort": 587}}'])
    assert isinstance(bad, Unreadable)


# --------------------------------------------------------------------------- PHP


def test_nextcloud_reads_php_types_and_refuses_broken_files():
    seen = readers.nextcloud("<?php\n$CONFIG = array (\n  'mail_smtpport' => 465,\n  'mail_smtpauth' => true,\n"
                             "  'mail_smtppassword' => 'a\\'b\\\\c$d',\n);\n")
    assert seen == {"mail_smtpport": 465, "mail_smtpauth": True, "mail_smtppassword": "a'b\\c$d"}
    broken = readers.nextcloud_many(["<?php\n$CONFIG = array (\n", " <?php $CONFIG = array();\n"])
    assert [type(item) for item in broken] == [Unreadable, Unreadable]


# --------------------------------------------------------------------------- Ruby


def test_redmine_runs_erb_before_yaml_and_keeps_symbols_apart_from_strings():
    seen = readers.redmine(
        "default:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n"
        "      address: mail.example.com\n      authentication: :login\n      password: '<%= 6 * 7 %>'\n"
        "      user_name: login\n")
    smtp = seen["email_delivery"]["smtp_settings"]
    assert seen["email_delivery"]["delivery_method"] == Symbol("smtp")
    assert smtp["authentication"] == Symbol("login") and smtp["user_name"] == "login"
    assert smtp["user_name"] != Symbol("login")
    assert smtp["password"] == "42"


def test_redmine_environment_section_replaces_default_email_delivery_shallowly():
    seen = readers.redmine("default:\n  email_delivery:\n    delivery_method: :sendmail\n"
                           "production:\n  email_delivery:\n    smtp_settings:\n      port: 587\n")
    assert seen["email_delivery"] == {"smtp_settings": {"port": 587}}


def test_discourse_launcher_read_loop_drops_backslashes_strips_spaces_and_joins_lines():
    seen = readers.discourse('env:\n  A: "x\\\\y  "\n  D: 587\n  E: "{{config}}-1"\n')
    assert seen["A"] == "xy"                # backslash dropped, trailing spaces stripped
    assert seen["D"] == "587" and seen["E"] == "app-1"
    assert seen["LANG"] == "en_US.UTF-8"    # the launcher's default
    assert readers.discourse_yaml('env:\n  A: "x\\\\y  "\n')["A"] == "x\\y  "
    # A trailing backslash joins the next line: in the middle "C=after" becomes a stray docker argument;
    # at the end, `read` hits EOF inside the continuation and the key vanishes, leaving a dangling "-e".
    joined = readers.discourse_many(['env:\n  B: "ab\\\\"\n  C: after\n', 'env:\n  B: "ab\\\\"\n'])
    assert [type(item) for item in joined] == [Unreadable, Unreadable]


def test_discourse_launcher_merges_env_over_lang_prints_to_s_and_names_the_config():
    seen = readers.discourse('env:\n  LANG: C.UTF-8\n  T: true\n  N:\n  P: 25\n  H: "{{config}}.{{config}}"\n',
                             config="web_only")
    assert seen == {"LANG": "C.UTF-8", "T": "true", "N": "", "P": "25", "H": "web_only.web_only"}
    # the file's own trailing newlines and surrounding blanks do not matter ($(cat), strip)
    assert readers.discourse("\n\nenv:\n  A: x\n\n\n") == {"LANG": "en_US.UTF-8", "A": "x"}


def test_discourse_launcher_splits_its_input_at_the_separator_word():
    # the launcher joins its documents with _FILE_SEPERATOR_: the same word inside a value cuts the file there
    cut = readers.discourse('env:\n  B: kept\n  A: left_FILE_SEPERATOR_right\n')
    assert cut == {"LANG": "en_US.UTF-8", "B": "kept", "A": "left"}
    # ... and what follows the word is a document of its own: here a YAML error; a string has no env; a list
    # makes the Ruby step raise, and what it prints becomes stray docker arguments
    results = readers.discourse_many(['env:\n  A: x_FILE_SEPERATOR_y\n  B: z\n', "just words\n", "- a\n- b\n"])
    assert isinstance(results[0], Unreadable) and "syntax" in str(results[0])
    assert results[1] == {"LANG": "en_US.UTF-8"}
    assert isinstance(results[2], Unreadable) and "stray" in str(results[2])


def test_discourse_launcher_breaks_on_line_breaks_and_yaml_errors():
    results = readers.discourse_many(['env:\n  A: "a\\nb"\n', "env: [\n"])
    assert [type(item) for item in results] == [Unreadable, Unreadable]


def test_ruby_dotenv_cuts_unquoted_values_at_hash_and_interpolates_double_quotes():
    seen = readers.ruby_dotenv("A=p#ss\nB=\"x $HOME\"\nC='x $HOME'\n", env={"HOME": "/h"})
    assert seen == {"A": "p", "B": "x /h", "C": "x $HOME"}


# --------------------------------------------------------------------------- dotenv dialects

DOTENV_CASES = [
    # (text, {dialect: value of K, or Unreadable / missing})
    ("K=p#ss\n", {"python-dotenv": "p#ss", "django-environ": "p#ss", "ruby-dotenv": "p",
                  "docker-compose": "p#ss", "systemd": "p#ss", "shell": "p#ss"}),
    ("K=a #c\n", {"python-dotenv": "a", "django-environ": "a #c", "ruby-dotenv": "a",
                  "docker-compose": "a", "systemd": "a #c", "shell": "a"}),
    ("K='a\\b'\n", {"python-dotenv": "a\\b", "django-environ": "a\\b", "ruby-dotenv": "a\\b",
                    "docker-compose": "a\\b", "shell": "a\\b"}),
    ('K="a\\\\b"\n', {"python-dotenv": "a\\b", "django-environ": "a\\b", "ruby-dotenv": "a\\b",
                      "docker-compose": "a\\b", "systemd": "a\\b", "shell": "a\\b"}),
    ("K='$X'\n", {"python-dotenv": "$X", "django-environ": Unreadable, "ruby-dotenv": "$X",
                  "docker-compose": "$X", "shell": "$X"}),
]


@pytest.mark.parametrize("text, expected", DOTENV_CASES, ids=[case[0].strip() for case in DOTENV_CASES])
def test_dotenv_dialects_read_what_their_libraries_read(text, expected):
    for dialect, value in expected.items():
        seen = readers.DOTENV_READERS[dialect]([text])[0]
        assert not isinstance(seen, Unreadable), (dialect, seen)
        if value is Unreadable:
            assert isinstance(seen["K"], Unreadable), (dialect, seen)
        else:
            assert seen.get("K") == value, (dialect, seen)


def test_shell_reader_reports_a_file_bash_cannot_source():
    assert isinstance(readers.shell_many(["K='unterminated\n"])[0], Unreadable)


def test_a_missing_tool_is_an_error_not_a_skip(monkeypatch, tmp_path):
    monkeypatch.setitem(readers.BASE_ENV, "PATH", str(tmp_path))
    monkeypatch.setattr(readers.sys, "executable", os.path.join(str(tmp_path), "python"))
    with pytest.raises(ReaderMissing, match="php is not installed"):
        readers.nextcloud("<?php $CONFIG = array();")
    with pytest.raises(ReaderMissing, match="ruby is not installed"):
        readers.redmine("default: {}\n")


# --------------------------------------------------------------------------- GitLab, Alertmanager, Synapse


def test_gitlab_ruby_last_assignment_wins_and_double_quotes_interpolate():
    seen = readers.gitlab("gitlab_rails['smtp_port'] = 25\ngitlab_rails['smtp_port'] = 587\n"
                          "gitlab_rails['smtp_password'] = \"a#{1 + 1}b\"\ngitlab_rails['smtp_user_name'] = 'a#{1}b'\n"
                          "gitlab_rails['smtp_authentication'] = :login\nexternal_url 'https://git.example.com'\n")
    assert seen["gitlab_rails"] == {"smtp_port": 587, "smtp_password": "a2b", "smtp_user_name": "a#{1}b",
                                    "smtp_authentication": Symbol("login")}
    assert isinstance(readers.gitlab_many(["gitlab_rails['smtp_address'] = 'unterminated\n"])[0], Unreadable)


ALERTMANAGER_MINIMAL = ("global:\n  smtp_smarthost: %s\n  smtp_from: 'am@example.com'\n%s"
                        "route:\n  receiver: mail\nreceivers:\n- name: mail\n  email_configs:\n"
                        "  - to: 'a@example.com'\n")


def test_alertmanager_0_25_rejects_keys_of_later_releases_and_a_smarthost_without_port():
    implicit, no_port, fine = readers.alertmanager_many([
        ALERTMANAGER_MINIMAL % ("'mx.example.com:2465'", "  smtp_force_implicit_tls: true\n"),
        ALERTMANAGER_MINIMAL % ("'mx.example.com'", ""),
        ALERTMANAGER_MINIMAL % ("'[2001:db8::25]:25'", ""),
    ])
    assert isinstance(implicit, Unreadable) and "smtp_force_implicit_tls" in str(implicit)
    assert isinstance(no_port, Unreadable)
    # loads, but re-marshals (and dials) the IPv6 smarthost without brackets
    assert fine["global"]["smtp_smarthost"] == "2001:db8::25:25"
    assert fine["global"]["smtp_require_tls"] is True  # the default


def test_synapse_formats_notif_from_with_the_app_name_and_fails_on_a_stray_percent():
    base = "email:\n  smtp_host: mx.example.com\n  notif_from: \"%s\"\n"
    assert readers.synapse(base % "Ops %(app)s <a@example.com>")["from_parsed"] == ("Ops Matrix", "a@example.com")
    assert readers.synapse(base % "100%% sure <a@example.com>")["from_parsed"] == ("100% sure", "a@example.com")
    assert readers.synapse(base % "%(x)s <a@example.com>")["from_header"] == "%(x)s <a@example.com>"  # KeyError
    # "% s" is a conversion: Synapse formats the mapping itself into the sender name
    assert readers.synapse(base % "100% sure <a@example.com>")["from_header"] == \
        "100{'app': 'Matrix'}ure <a@example.com>"
    with pytest.raises(Unreadable, match="cannot be formatted"):
        readers.synapse(base % "5%z <a@example.com>")
    with pytest.raises(Unreadable, match="notif_from"):
        readers.synapse("email:\n  smtp_host: mx.example.com\n")
