# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment(object):

    # Store options of plugins/module_utils/_outgoing.py STORE_ARGS (where the settings live): app and path, and the
    # options each profile declares (plugins/module_utils/_profiles/*.py ``options``, their documentation included),
    # written here by scripts/gen_app_lists.py.
    DOCUMENTATION = r'''
options:
  app:
    # BEGIN generated: fragment_app (scripts/gen_app_lists.py from the app registry; do not edit)
    description:
      - The application whose outgoing-mail settings are managed; it chooses where and how they are stored.
      - V(airflow) C([smtp]) of Airflow's C(airflow.cfg) (C(smtp_host), C(smtp_port), C(smtp_starttls), C(smtp_ssl),
        C(smtp_mail_from)) and C([email] ssl_context) (C(default), or C(none) for O(validate_certs=false)). Airflow
        reads the login from the connection C([email] email_conn_id) names (default C(smtp_default)), so the profile
        writes it to O(connection_file) as C(AIRFLOW_CONN_SMTP_DEFAULT=smtp://LOGIN:PASSWORD@) (percent-encoded); a
        login without O(connection_file) is refused, because Airflow would send with no login at all.
        C(AIRFLOW__SMTP__*) environment variables win over the file, and the module warns about those it sees. No sender
        name; one server. Restart every Airflow component that sends mail.
      - V(alertmanager) C(global.smtp_*) of Prometheus Alertmanager's C(alertmanager.yml) (C(smtp_smarthost)
        C(host:port), C(smtp_require_tls), C(smtp_auth_username), C(smtp_auth_password), C(smtp_from)). Alertmanager
        uses implicit TLS exactly when the port is 465 (written with C(smtp_require_tls=false), which Alertmanager 0.25
        needs there); implicit TLS on another port, STARTTLS or no TLS on 465, O(validate_certs=false) (set per receiver
        in Alertmanager), IPv6 addresses (0.25 cannot dial them), a login without TLS to another host than localhost (Go
        refuses to send PLAIN there) and a non-ASCII or templated (C({{)) sender are refused. Reload Alertmanager to
        apply.
      - V(corebos) the C(vtiger_systems) database row (O(path) is the coreBOS root, or use the C(login_*) options).
      - V(discourse) the C(env) map of C(containers/app.yml) (C(DISCOURSE_SMTP_*) strings,
        C(DISCOURSE_NOTIFICATION_EMAIL)). Rebuild the container to apply.
      - V(dotenv) a C(KEY=value) file; Django key names (C(EMAIL_HOST), C(EMAIL_PORT), C(EMAIL_HOST_USER),
        C(EMAIL_HOST_PASSWORD), C(EMAIL_USE_TLS), C(EMAIL_USE_SSL), C(DEFAULT_FROM_EMAIL)) and C(True)/C(False) unless
        O(keys) and O(values) say otherwise.
      - V(gitea) C([mailer]) of Gitea's or Forgejo's C(app.ini) (C(PROTOCOL), C(SMTP_ADDR), C(SMTP_PORT); the legacy
        C(HOST), C(IS_TLS_ENABLED), C(SKIP_VERIFY), C(MAILER_TYPE) keys are removed).
      - V(gitlab) C(gitlab_rails['smtp_*']), C(gitlab_rails['gitlab_email_from']) and
        C(gitlab_rails['gitlab_email_display_name']) in GitLab Omnibus's C(/etc/gitlab/gitlab.rb), edited in place
        (commented templates replaced, Ruby string quoting kept). A key set to a Ruby expression (for example
        C(ENV['X'])) or inside indented code is refused. Run C(gitlab-ctl reconfigure) to apply.
      - V(grafana) C([smtp]) of C(grafana.ini) or C(custom.ini) (C(host) is C(host:port); implicit TLS on port 465 only;
        C(startTLS_policy)).
      - V(mattermost) C(EmailSettings) of C(config.json) (C(SMTPPort) is a JSON string).
      - V(msmtp) the account O(account) of C(/etc/msmtprc) (the default O(path)) or C(~/.msmtprc) (C(host), C(port),
        C(tls), C(tls_starttls), C(tls_certcheck), C(tls_trust_file), C(auth), C(user), C(password), C(from)); other
        accounts, C(defaults) and comments are kept, inherited values are not repeated. No sender name; O(from_email)
        cannot hold msmtp's C(%U)/C(%H)/C(%C)/C(%M) patterns or C(*), C(?), C([).
      - V(netbox) the C(EMAIL) dict of NetBox's C(configuration.py) (C(SERVER), C(PORT), C(USERNAME), C(PASSWORD),
        C(USE_SSL), C(USE_TLS), C(FROM_EMAIL)), edited in place as Python literals; every other assignment and comment
        stays. A C(EMAIL) that is not a plain dict literal (built from C(os.environ), changed later in the file) is
        refused. Django checks certificates with the system trust store, so O(validate_certs=false) is refused; no
        sender name. Restart NetBox to apply.
      - V(nextcloud) the C($CONFIG) array of C(config/config.php) (C(mail_smtp*) keys with PHP types,
        C(mail_from_address) + C(mail_domain), C(mail_smtpstreamoptions) when O(validate_certs=false)). Nextcloud cannot
        turn STARTTLS off, so O(security=none) is refused; it has no sender name.
      - V(postfix) the host's own Postfix as a relay client. In C(main.cf) (O(path), default C(/etc/postfix/main.cf))
        C(relayhost = [host]:port), C(smtp_tls_security_level) (V(none), C(encrypt) when O(validate_certs=false), else
        C(verify)), C(smtp_tls_wrappermode = yes) for implicit TLS, C(smtp_tls_CAfile) from O(ca_path),
        C(smtp_sasl_auth_enable), C(smtp_sasl_security_options = noanonymous), C(smtp_sasl_password_maps); the
        credentials go to that map's source file (by default C(sasl_passwd) next to C(main.cf), created 0600, with the
        type C(postconf -h default_database_type) names) and C(postmap) compiles it. O(from_email) becomes
        C(sender_canonical_maps = static:ADDRESS), which rewrites every sender address (envelope and headers) to it. No
        sender name; one server only. Values are read back with C(postconf) and C(postmap -q). Reload Postfix to apply
        (the role's handler does).
      - V(redmine) C(<environment>.email_delivery) of C(config/configuration.yml) (Ruby symbols such as C(:smtp) and
        C(:login) kept). Redmine keeps the sender in its database, so O(from_email) is refused. O(security=starttls) is
        written as C(enable_starttls) V(true) (required, never the opportunistic C(enable_starttls_auto));
        O(security=none) is refused, because Redmine's mail library upgrades to STARTTLS whenever the server offers it;
        O(ca_path) is written to C(ca_file).
      - V(synapse) the C(email) section of Matrix Synapse's C(homeserver.yaml) (C(smtp_host), C(smtp_port),
        C(smtp_user), C(smtp_pass), C(force_tls), C(require_transport_security), C(enable_tls), C(notif_from) with C(%)
        written as C(%%) because Synapse formats it with V(%(app\)s)); C(tlsname) is removed, so Synapse checks the name
        that was tested. Synapse always verifies certificates, so O(validate_certs=false) is refused, and it needs
        O(from_email) when the file has no C(notif_from). Restart Synapse to apply.
      - V(generic) any file in O(format), with the key of each setting given by O(keys).
      - A setting the application cannot store is an error naming the application and the setting.
    type: str
    required: true
    choices: [airflow, alertmanager, corebos, discourse, dotenv, generic, gitea, gitlab, grafana, mattermost, msmtp,
              netbox, nextcloud, postfix, redmine, synapse]
    # END generated: fragment_app
  path:
    description:
      - The configuration file (the coreBOS root directory for O(app=corebos)).
      - Required for every O(app) except V(corebos) with the C(login_*) options, V(postfix) (default
        C(/etc/postfix/main.cf)) and V(msmtp) (default C(/etc/msmtprc)).
    type: path
  # BEGIN generated: fragment_app_options (scripts/gen_app_lists.py from the profiles' options; do not edit)
  connection_file:
    description:
      - For O(app=airflow), the env file the Airflow services load (systemd C(EnvironmentFile=), Compose C(env_file:))
        that holds the SMTP connection C(AIRFLOW_CONN_<ID>) (C(<ID>) from C([email] email_conn_id), default
        C(smtp_default)). Airflow reads the SMTP login and password from that connection only.
      - The login is written as C(smtp://LOGIN:PASSWORD@) with every special character percent-encoded; an existing URI
        keeps its other parts; an existing JSON connection is rewritten as a URI with its fields. Every other line of
        the file stays; a new file is created 0600. It changes together with C(airflow.cfg), in one transaction.
      - Required when the settings have a login; without a login the connection's login and password are removed.
    type: path
    version_added: 1.3.0
  dialect:
    description:
      - For O(app=dotenv), which reader the application uses for its C(KEY=value) file. Each reads quotes, backslashes,
        V(#) and V($) differently, so the module writes, reads back and compares values the way that reader does, and
        refuses a value that reader cannot be given exactly (naming the option).
      - Without O(dialect), a value is written only in a spelling that python-dotenv, django-environ, Docker Compose and
        systemd all read as the same value (a C(.env) often has several readers); a value they read differently is
        refused, naming the option and pointing at O(dialect). The file is read as python-dotenv reads it.
      - V(python-dotenv) (Django with python-dotenv), V(django-environ) (C(environ.Env.read_env)), V(ruby-dotenv)
        (Mastodon, Rails), V(docker-compose) (Compose C(env_file)), V(systemd) (C(EnvironmentFile=)), V(shell) (a shell
        sourcing the file).
      - See C(docs/apps.md) for what each cannot store.
      - For O(app=airflow), the reader of O(connection_file) (the same choices).
      - Only for O(app=dotenv) and O(app=airflow).
    type: str
    choices: [python-dotenv, django-environ, ruby-dotenv, docker-compose, systemd, shell]
    version_added: 1.1.0
  login_host:
    description:
      - For O(app=corebos), the database host (instead of the credentials in the coreBOS C(config.inc.php)).
    type: str
  login_port:
    description:
      - For O(app=corebos), the database port.
    type: int
  login_user:
    description:
      - For O(app=corebos), the database user.
    type: str
  login_password:
    description:
      - For O(app=corebos), the database password.
    type: str
  login_db:
    description:
      - For O(app=corebos), the database name.
    type: str
  login_unix_socket:
    description:
      - For O(app=corebos), the database server's UNIX socket.
    type: path
  format:
    description:
      - The file format for O(app=generic) (V(env) is implied for O(app=dotenv)).
    type: str
    choices: [ini, json, yaml, env, php]
  keys:
    description:
      - For O(app=generic) (required) and O(app=dotenv) (replaces the Django names), a map from setting to key path.
      - Settings are V(server) (the whole V(scheme://host:port)), V(host), V(port), V(security), V(validate_certs),
        V(skip_verify) (the opposite of V(validate_certs)), V(auth), V(username), V(password), V(from_email),
        V(from_name), V(from) (C("Name" <address>) in one key), V(use_tls) (true for STARTTLS) and V(use_ssl) (true for
        implicit TLS).
      - Key paths are V(section.key) for V(ini) (V(key) alone for keys before the first section), V(a.b.c) for V(json)
        and V(yaml), V(KEY) for V(env), V(var.key) for V(php) (for example V(CONFIG.mail_smtphost)).
      - A setting given to the module that has no key to go to is an error.
    type: dict
  values:
    description:
      - "For O(app=generic) and O(app=dotenv), how a setting's values are spelled in the file, as a map from setting to
        a map from model value to stored value, for example C({security: {none: '', starttls: STARTTLS, tls: TLS}})."
      - Without it, values keep the model's spelling (V(none), V(starttls), V(tls); booleans as JSON/YAML/PHP booleans,
        or V(true)/V(false) in V(ini) and V(env) files, V(True)/V(False) for O(app=dotenv)).
    type: dict
  account:
    description:
      - For O(app=msmtp), the name of the account block (C(account NAME)) to edit; it is appended when the file has no
        such account. Commands before the first C(account) line form the account V(default).
      - With O(mailops.smtp.outgoing_server#module:state=absent) the whole account block goes (refused while another
        account inherits from it).
    type: str
    default: default
    version_added: 1.1.0
  environment:
    description:
      - For O(app=redmine), the top-level section of C(configuration.yml) to edit.
      - V(default) applies to every Rails environment; an environment section such as V(production) replaces the
        C(default) C(email_delivery) as a whole.
    type: str
    default: default
  # END generated: fragment_app_options
'''

    # The sender settings (part of the settings model, next to mailops.smtp.connection).
    SENDER = r'''
options:
  from_email:
    description:
      - The From address the application forces on its mail (coreBOS "Email From", Grafana C(from_address),
        Nextcloud C(mail_from_address) + C(mail_domain), Mattermost C(FeedbackEmail)...).
      - Must be a plain address, C(local@domain). Left as stored when not given.
      - Also the default sender of the SMTP test.
    type: str
  from_name:
    description:
      - The display name of the sender. Left as stored when not given.
      - Applications without a sender-name setting (coreBOS, Nextcloud, Redmine, Discourse) refuse it.
      - A name that looks like an RFC 2047 encoded word (C(=?utf-8?q?...?=)) is refused for every application,
        because recipients' mail programs would decode it and show other text.
    type: str
'''
