"""parse_servers(): the server/port/security syntax of the module option ``server``."""

import ipaddress
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._server import ServerSpec, parse_servers

VALID = [
    # server, port, security -> (host, ascii_host, port, security, is_ip)
    ("mail.example.com", None, None, ("mail.example.com", "mail.example.com", 587, "starttls", False)),
    ("mail.example.com:25", None, None, ("mail.example.com", "mail.example.com", 25, "starttls", False)),
    ("mail.example.com:465", None, None, ("mail.example.com", "mail.example.com", 465, "tls", False)),
    ("mail.example.com", 465, None, ("mail.example.com", "mail.example.com", 465, "tls", False)),
    ("mail.example.com:25", 2525, None, ("mail.example.com", "mail.example.com", 2525, "starttls", False)),
    ("mail.example.com", None, "none", ("mail.example.com", "mail.example.com", 25, "none", False)),
    ("mail.example.com", None, "tls", ("mail.example.com", "mail.example.com", 465, "tls", False)),
    ("mail.example.com:587", None, "tls", ("mail.example.com", "mail.example.com", 587, "tls", False)),
    ("smtp://mail.example.com", None, None, ("mail.example.com", "mail.example.com", 25, "none", False)),
    ("smtp://mail.example.com:465", None, None, ("mail.example.com", "mail.example.com", 465, "none", False)),
    ("tls://mail.example.com", None, None, ("mail.example.com", "mail.example.com", 587, "starttls", False)),
    ("starttls://mail.example.com:25", None, None, ("mail.example.com", "mail.example.com", 25, "starttls", False)),
    ("ssl://mail.example.com", None, None, ("mail.example.com", "mail.example.com", 465, "tls", False)),
    ("SMTPS://Mail.Example.COM:2465", None, "tls", ("mail.example.com", "mail.example.com", 2465, "tls", False)),
    ("tls://mail.example.com:587", None, "starttls", ("mail.example.com", "mail.example.com", 587, "starttls", False)),
    ("192.0.2.10", None, None, ("192.0.2.10", "192.0.2.10", 587, "starttls", True)),
    ("192.0.2.10:25", None, "none", ("192.0.2.10", "192.0.2.10", 25, "none", True)),
    ("[::1]:2525", None, None, ("::1", "::1", 2525, "starttls", True)),
    ("[2001:DB8::1]", None, None, ("2001:db8::1", "2001:db8::1", 587, "starttls", True)),
    ("::1", None, "none", ("::1", "::1", 25, "none", True)),
    ("2001:db8::25", 465, None, ("2001:db8::25", "2001:db8::25", 465, "tls", True)),
    ("ssl://[::1]:465", None, None, ("::1", "::1", 465, "tls", True)),
    ("straße.de", None, None, ("straße.de", "xn--strae-oqa.de", 587, "starttls", False)),
    ("xn--strae-oqa.de", None, None, ("straße.de", "xn--strae-oqa.de", 587, "starttls", False)),
    ("tls://bücher.example:587", None, None, ("bücher.example", "xn--bcher-kva.example", 587, "starttls", False)),
    ("  mail.example.com  ", None, None, ("mail.example.com", "mail.example.com", 587, "starttls", False)),
    ("localhost", "25", "none", ("localhost", "localhost", 25, "none", False)),
]


@pytest.mark.parametrize("server,port,security,expected", VALID)
def test_valid_server_forms(server, port, security, expected):
    (spec,) = parse_servers(server, port=port, security=security)
    assert tuple(spec) == expected


def test_several_servers_are_each_parsed_and_trimmed():
    specs = parse_servers("tls://a.example.com:587 ; ssl://b.example.com;[::1]:25")
    assert [s.url() for s in specs] == ["tls://a.example.com:587", "ssl://b.example.com:465", "tls://[::1]:25"]


def test_port_option_overrides_every_entry():
    specs = parse_servers("a.example.com:25;b.example.com", port=2525)
    assert [s.port for s in specs] == [2525, 2525]


def test_trailing_semicolon_is_tolerated():
    assert [s.host for s in parse_servers("a.example.com;")] == ["a.example.com"]


@pytest.mark.parametrize(
    "spec,url",
    [
        (ServerSpec("mail.example.com", "mail.example.com", 25, "none", False), "smtp://mail.example.com:25"),
        (ServerSpec("mail.example.com", "mail.example.com", 587, "starttls", False), "tls://mail.example.com:587"),
        (ServerSpec("mail.example.com", "mail.example.com", 465, "tls", False), "ssl://mail.example.com:465"),
        (ServerSpec("::1", "::1", 465, "tls", True), "ssl://[::1]:465"),
        (ServerSpec("straße.de", "xn--strae-oqa.de", 587, "starttls", False), "tls://straße.de:587"),
    ],
)
def test_url_is_canonical(spec, url):
    assert spec.url() == url


INVALID = [
    # server, port, security, option named
    ("foo://mail.example.com", None, None, "server"),
    ("http://mail.example.com", None, None, "server"),
    ("://mail.example.com", None, None, "server"),
    ("smtp://", None, None, "server"),
    ("", None, None, "server"),
    ("   ", None, None, "server"),
    (";", None, None, "server"),
    ("a.example.com;;b.example.com", None, None, "server"),
    ("mail.example.com:0", None, None, "server"),
    ("mail.example.com:65536", None, None, "server"),
    ("mail.example.com:abc", None, None, "server"),
    ("mail.example.com:", None, None, "server"),
    ("mail.example.com", 0, None, "port"),
    ("mail.example.com", 70000, None, "port"),
    ("mail.example.com", -1, None, "port"),
    ("mail.example.com", True, None, "port"),
    ("mail.example.com", None, "ssl", "security"),
    ("ssl://mail.example.com", None, "starttls", "security"),
    ("smtp://mail.example.com", None, "tls", "security"),
    ("tls://mail.example.com", None, "none", "security"),
    ("mail.example.com\r\nRCPT TO:<x@y>", None, None, "server"),
    ("mail.example.com\n", None, None, "server"),
    ("mail.exa\x00mple.com", None, None, "server"),
    ("mail example.com", None, None, "server"),
    ("mail\texample.com", None, None, "server"),
    ("user@mail.example.com", None, None, "server"),
    ("mail.example.com/path", None, None, "server"),
    ("mail..example.com", None, None, "server"),
    ("-mail.example.com", None, None, "server"),
    ("mail.exa!mple.com", None, None, "server"),
    ("[::1", None, None, "server"),
    ("[mail.example.com]:25", None, None, "server"),
    ("[::1]x", None, None, "server"),
    ("::g", None, None, "server"),
    ("999.1.1.1", None, None, "server"),
    ("a" * 64 + ".example.com", None, None, "server"),
    ("xn--zz.example", None, None, "server"),
]


@pytest.mark.parametrize("server,port,security,option", INVALID)
def test_invalid_input_names_the_option(server, port, security, option):
    with pytest.raises(SettingsError) as info:
        parse_servers(server, port=port, security=security)
    assert info.value.option == option
    assert str(info.value).startswith(option + ":")


def test_custom_option_name_is_used_in_errors():
    with pytest.raises(SettingsError) as info:
        parse_servers("bad host", option="smtp_server")
    assert info.value.option == "smtp_server"


# Properties --------------------------------------------------------------------------------------

labels = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z", fullmatch=True)
names = st.lists(labels, min_size=1, max_size=4).map(".".join).filter(lambda n: not n.split(".")[-1].isdigit())
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
hosts = st.one_of(names, ipv4, ipv6)
ports = st.integers(min_value=1, max_value=65535)
securities = st.sampled_from(["none", "starttls", "tls"])


@given(host=hosts, port=ports, security=securities)
def test_url_round_trips(host, port, security):
    (spec,) = parse_servers(host, port=port, security=security)
    (again,) = parse_servers(spec.url())
    assert again == spec
    assert spec.port == port and spec.security == security


@given(host=hosts, port=st.one_of(st.none(), ports), security=st.one_of(st.none(), securities))
def test_defaults_follow_the_design(host, port, security):
    (spec,) = parse_servers(host, port=port, security=security)
    if security is not None:
        assert spec.security == security
    elif port == 465:
        assert spec.security == "tls"
    else:
        assert spec.security == "starttls"
    if port is None:
        assert spec.port == {"none": 25, "starttls": 587, "tls": 465}[spec.security]
    assert spec.is_ip == _is_ip(host)


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@given(host=names, junk=st.sampled_from(["\r", "\n", "\x00", " ", "\t", "\r\nDATA"]), pos=st.integers(0, 30))
def test_control_characters_are_always_rejected(host, junk, pos):
    pos = min(pos, len(host))
    with pytest.raises(SettingsError):
        parse_servers("m" + host[:pos] + junk + host[pos:] + ".example")


@given(st.text(max_size=40))
def test_arbitrary_text_never_raises_anything_but_settings_error(text):
    try:
        specs = parse_servers(text)
    except SettingsError:
        return
    for spec in specs:
        assert 1 <= spec.port <= 65535
        assert spec.security in ("none", "starttls", "tls")
        spec.ascii_host.encode("ascii")


# --------------------------------------------------------------------------- one IDNA rule
IDNA_NAMES = ['straße.test', 'Straße.Test', 'bücher.example', 'ΣΊΣΥΦΟΣ.gr', 'σς.gr', 'пример.испытание',
              '例子.测试', 'مثال.إختبار', 'דוגמה.טעסט', 'ｅｘａｍｐｌｅ.com', 'faß.de', 'Ünïcödé。test']
IDNA_REFUSED = ['♥.example', 'a\u200db.example', 'l·l.cat', '\u2603.net', 'a\u200cb.example', 'x\u0660.example']


@pytest.mark.parametrize('name', IDNA_NAMES)
def test_one_idna_rule_gives_what_idna_2008_uts46_gives_with_or_without_the_idna_package(name, monkeypatch):
    """IDNA 2008 + UTS 46 (the idna package, run here as the reference) and the module agree, and the module
    gives that same name on a host without the package: the password goes to one server, whatever is installed."""
    import idna
    expected = idna.encode(name, uts46=True).decode('ascii')
    ours = parse_servers(name)[0].ascii_host
    monkeypatch.setitem(sys.modules, 'idna', None)  # a target without the optional package
    assert parse_servers(name)[0].ascii_host == ours == expected


@pytest.mark.parametrize('name', IDNA_REFUSED)
def test_names_idna_2008_does_not_read_alike_are_refused_asking_for_the_ascii_form(name):
    with pytest.raises(SettingsError, match='server'):
        parse_servers(name)


@pytest.mark.parametrize('name', IDNA_REFUSED[:2])
def test_an_address_in_a_domain_the_rule_refuses_is_not_an_address(name):
    """The sender's domain follows the same rule (a clear error naming the option, never a traceback later)."""
    from ansible_collections.mailops.smtp.plugins.module_utils._settings import check_address
    with pytest.raises(SettingsError, match='test_sender'):
        check_address('ops@' + name, 'test_sender')
    assert check_address('ops@straße.test', 'test_sender') == 'ops@straße.test'
