"""Call ``probe_smtp(settings, test_options)`` from one flat set of keyword arguments (the tests' shorthand).

``probe_call(server, level=..., username=..., ...)``: the names of ``TestOptions.FIELDS`` go to the test
options, every other name to ``Settings`` (``server`` may be a string, a ServerSpec or a list of them).
"""

from ansible_collections.mailops.smtp.plugins.module_utils._probe import probe_smtp
from ansible_collections.mailops.smtp.plugins.module_utils._server import ServerSpec, parse_servers
from ansible_collections.mailops.smtp.plugins.module_utils._settings import Settings, TestOptions


def probe_args(server, **kwargs):
    """(Settings, TestOptions) for ``server`` and the flat keyword arguments."""
    options = dict((name, kwargs.pop(name)) for name in list(kwargs) if name in TestOptions.FIELDS)
    if isinstance(server, str):
        servers = parse_servers(server)
    elif isinstance(server, ServerSpec):
        servers = [server]
    else:
        servers = list(server)
    kwargs.setdefault("auth", None)
    return Settings(servers, **kwargs), TestOptions(**options)


def probe_call(server, **kwargs):
    return probe_smtp(*probe_args(server, **kwargs))
