"""Input generators for the benchmarks: fleet inventories, per-host Grafana configs, a 50,000-line INI file.

Everything is generated (no network, no shared/ corpus needed) and deterministic, so two runs of
``make bench`` measure the same bytes.
"""

from __future__ import annotations

import os
import random

# Sections of a packaged /etc/grafana/grafana.ini, in upstream order. The generated file has the shape of
# upstream's sample.ini: a banner per section, commented-out defaults, and a few active keys.
GRAFANA_SECTIONS = (
    "paths", "server", "server.custom_response_headers", "database", "datasources", "remote_cache",
    "dataproxy", "analytics", "security", "security.encryption", "snapshots", "dashboards", "users", "auth",
    "auth.anonymous", "auth.github", "auth.gitlab", "auth.google", "auth.grafana_com", "auth.azuread",
    "auth.okta", "auth.generic_oauth", "auth.basic", "auth.proxy", "auth.jwt", "auth.ldap", "aws", "azure",
    "rbac", "smtp", "emails", "log", "log.console", "log.file", "log.syslog", "log.frontend", "quota",
    "unified_alerting", "annotations", "explore", "help", "profile", "query_history", "short_links",
    "metrics", "metrics.environment_info", "metrics.graphite", "grafana_com", "tracing.jaeger",
    "tracing.opentelemetry", "external_image_storage", "external_image_storage.s3", "rendering", "panels",
    "plugins", "live", "plugin.grafana-image-renderer", "enterprise", "feature_toggles", "date_formats",
    "expressions", "geomap", "navigation.app_sections", "public_dashboards",
)

# The [smtp] section as packaged (sample.ini): every key commented out.
SMTP_SAMPLE = (
    ";enabled = false",
    ";host = localhost:25",
    ";user =",
    '# a password with # or ; goes in triple quotes: """p#ss;"""',
    ";password =",
    ";cert_file =",
    ";key_file =",
    ";skip_verify = false",
    ";from_address = admin@grafana.localhost",
    ";from_name = Grafana",
    "# the name given in EHLO (instance_name when empty)",
    ";ehlo_identity = grafana.example.com",
    "# how STARTTLS is used: OpportunisticStartTLS, MandatoryStartTLS or NoStartTLS",
    ";startTLS_policy = NoStartTLS",
)


def grafana_ini(seed=7, keys_per_section=24):
    """A grafana.ini shaped like upstream's sample.ini (about 1,700 lines, mostly comments)."""
    rng = random.Random(seed)
    lines = [
        "##################### Grafana settings (sample-shaped) #####################",
        "#",
        "# Every key has a default: uncomment only the keys you change.",
        "",
        "# production or development",
        ";app_mode = production",
        "",
        "# the name of this instance (the HOSTNAME variable, else the host name)",
        ";instance_name = ${HOSTNAME}",
        "",
    ]
    for section in GRAFANA_SECTIONS:
        title = section.replace(".", " ").title()
        lines.append("#################################### %s %s" % (title, "#" * max(4, 40 - len(title))))
        lines.append("[%s]" % section)
        if section == "smtp":
            lines.extend(SMTP_SAMPLE)
            lines.append("")
            continue
        for k in range(keys_per_section):
            key = "%s_option_%02d" % (section.split(".")[-1].replace("-", "_"), k)
            value = rng.choice(("true", "false", "10s", "info", "3000", "/var/lib/grafana", "", "console file"))
            if k % 3 == 0:
                lines.append("# %s controls %s behaviour; see the documentation for details" % (key, section))
            lines.append("%s%s = %s" % (";" if k % 4 else "", key, value))
        lines.append("")
    return "\n".join(lines) + "\n"


def large_ini(total_lines=50000, seed=11):
    """An INI file of exactly ``total_lines`` lines with an ``[smtp]`` section in the middle.

    Shaped like a big application config: a banner comment per section, ``key = value`` lines,
    comments and blank lines. The [smtp] section holds the packaged (commented-out) Grafana keys.
    """
    rng = random.Random(seed)
    out = []
    section_no = 0
    smtp_done = False
    while True:
        if not smtp_done and len(out) >= total_lines // 2:
            block = ["# Outgoing mail", "[smtp]"] + list(SMTP_SAMPLE) + [""]
            smtp_done = True
        else:
            section_no += 1
            name = "section_%05d" % section_no
            block = ["# ---- %s ----" % name, "[%s]" % name]
            for k in range(rng.randint(8, 30)):
                if k % 7 == 3:
                    block.append("; tuning knob %d of %s" % (k, name))
                block.append("key_%02d = %s" % (k, rng.choice(("on", "off", "42", "/srv/app/data", "a b c", "x=y"))))
            block.append("")
        if len(out) + len(block) > total_lines:
            break
        out.extend(block)
    while len(out) < total_lines:
        out.append("; padding comment %d" % len(out))
    assert smtp_done and len(out) == total_lines
    return "\n".join(out) + "\n"


def write_inventory(path, hosts, python, file_for_host):
    """An INI inventory: ``hosts`` local hosts, each with its own config file (host var cfg_path)."""
    width = len(str(hosts))
    with open(path, "w") as f:
        f.write("[fleet]\n")
        for i in range(1, hosts + 1):
            name = "host%0*d" % (width, i)
            f.write(
                "%s ansible_connection=local ansible_python_interpreter=%s cfg_path=%s\n"
                % (name, python, file_for_host(name, i))
            )
    return path


def make_fleet(root, hosts, python, compliant_text, drifted_text, drift_every=4):
    """Create ``hosts`` config files under ``root`` (every ``drift_every``-th one drifted) and an inventory."""
    os.makedirs(root, exist_ok=True)

    def file_for_host(name, i):
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, "grafana.ini")
        with open(p, "w") as f:
            f.write(drifted_text if i % drift_every == 0 else compliant_text)
        return p

    return write_inventory(os.path.join(root, "inventory.ini"), hosts, python, file_for_host)
