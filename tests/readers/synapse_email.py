# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Synapse's reader of homeserver.yaml ``email:`` for the tests (Synapse is not packaged in Debian 12).

Used by ``readers.synapse_many``.

Synapse loads the file with PyYAML ``safe_load`` and then runs ``EmailConfig.read_config``
(element-hq/synapse ``synapse/config/emailconfig.py``) and, when it sends, ``SendEmailHandler.send_email``
(``synapse/handlers/send_email.py``). This module applies PyYAML to the WHOLE file and then the steps of those two
functions that concern the SMTP settings, written from their source, independently of the profile:

    force_tls = email.get("force_tls", False)
    smtp_port = email.get("smtp_port", 465 if force_tls else 25)
    enable_tls = email.get("enable_tls", True); ConfigError when force_tls or require_transport_security is
    set with enable_tls false; RuntimeError when parseaddr(notif_from)[1] == ""; ConfigError when the email
    section is not empty and notif_from is missing; at send time
    from_string = notif_from % {"app": app_name}  (KeyError/TypeError: notif_from unchanged; ValueError raises)
    envelope sender = parseaddr(from_string)[1]; login required when smtp_user is not None.

Nothing here is shipped with the collection.
"""

import email.utils

import yaml


class SynapseConfigError(Exception):
    """Synapse would refuse to start (or fail every send) with this configuration."""


def read_email(text):
    """What Synapse uses to send mail from homeserver.yaml ``text``; SynapseConfigError when it cannot."""
    config = yaml.safe_load(text)
    if not isinstance(config, dict):
        raise SynapseConfigError("the configuration is not a mapping")
    section = config.get("email")
    if section is None:
        section = {}
    force_tls = section.get("force_tls", False)
    require_tls = section.get("require_transport_security", False)
    enable_tls = section.get("enable_tls", True)
    if force_tls and not enable_tls:
        raise SynapseConfigError("email.force_tls requires email.enable_tls to be true")
    if require_tls and not enable_tls:
        raise SynapseConfigError("email.require_transport_security requires email.enable_tls to be true")
    notif_from = section.get("notif_from", None)
    if notif_from is not None and email.utils.parseaddr(notif_from)[1] == "":
        raise SynapseConfigError("Invalid notif_from address")
    if section != {} and not notif_from:
        raise SynapseConfigError("missing email.notif_from")
    app_name = section["app_name"] if "app_name" in section else "Matrix"
    from_header = None
    if notif_from is not None:
        try:
            from_header = notif_from % {"app": app_name}
        except (KeyError, TypeError):
            from_header = notif_from
        except ValueError as exc:
            raise SynapseConfigError("notif_from cannot be formatted: %s" % exc) from None
    user = section.get("smtp_user", None)
    return {
        "smtp_host": section.get("smtp_host", "localhost"),
        "smtp_port": section.get("smtp_port", 465 if force_tls else 25),
        "smtp_user": user,
        "smtp_pass": section.get("smtp_pass", None),
        "require_auth": user is not None,
        "force_tls": bool(force_tls),
        "require_transport_security": bool(require_tls),
        "enable_tls": bool(enable_tls),
        "from_header": from_header,
        "from_parsed": email.utils.parseaddr(from_header) if from_header is not None else None,
        "rest": {key: value for key, value in config.items() if key != "email"},
    }
