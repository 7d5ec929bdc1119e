"""NetBox's reading of configuration.py: CPython imports the file, then NetBox's settings.py mapping to Django.

stdin: a JSON list of file paths; stdout: a JSON list of {"values": {...}} or {"error": "..."} (NetBox would not
start). Each file is imported as its own module, by a fresh ``python3 -I`` (no site packages, no environment),
as NetBox's settings.py imports ``netbox.configuration``. The mapping restates the "Email" part of NetBox's
``netbox/netbox/settings.py`` (netbox-community/netbox, as of commit c3bce3c7): ``EMAIL = getattr(configuration,
'EMAIL', {})``, then ``EMAIL_HOST = EMAIL.get('SERVER')``, ``EMAIL_HOST_USER = EMAIL.get('USERNAME')``,
``EMAIL_HOST_PASSWORD = EMAIL.get('PASSWORD')``, ``EMAIL_PORT = EMAIL.get('PORT', 25)``, ``EMAIL_USE_SSL =
EMAIL.get('USE_SSL', False)``, ``EMAIL_USE_TLS = EMAIL.get('USE_TLS', False)``, ``EMAIL_TIMEOUT =
EMAIL.get('TIMEOUT', 10)``, ``SERVER_EMAIL = EMAIL.get('FROM_EMAIL')``.
"""

import importlib.util
import json
import sys


def read(path, index):
    spec = importlib.util.spec_from_file_location('netbox_configuration_%d' % index, path)
    configuration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(configuration)
    email = getattr(configuration, 'EMAIL', {})
    return {
        'EMAIL_HOST': email.get('SERVER'),
        'EMAIL_HOST_USER': email.get('USERNAME'),
        'EMAIL_HOST_PASSWORD': email.get('PASSWORD'),
        'EMAIL_PORT': email.get('PORT', 25),
        'EMAIL_USE_SSL': email.get('USE_SSL', False),
        'EMAIL_USE_TLS': email.get('USE_TLS', False),
        'EMAIL_TIMEOUT': email.get('TIMEOUT', 10),
        'SERVER_EMAIL': email.get('FROM_EMAIL'),
    }


def main():
    answers = []
    for index, path in enumerate(json.load(sys.stdin)):
        try:
            answers.append({'values': read(path, index)})
        except Exception as exc:  # noqa: BLE001 - NetBox would not start: report what CPython said
            answers.append({'error': '%s: %s' % (type(exc).__name__, exc)})
    json.dump(answers, sys.stdout)


if __name__ == '__main__':
    main()
