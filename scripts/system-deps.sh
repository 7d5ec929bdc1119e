#!/usr/bin/env bash
# Installs the Debian packages the tests drive as real peers, and fails early naming anything still missing
# (rather than leaving it to dozens of confusing test failures later):
#   swaks + its Perl modules for TLS, AUTH and IPv6 (independent SMTP client; --no-install-recommends would
#     drop Net::SSLeay, IO::Socket::SSL, Authen::SASL and IO::Socket::INET6, so they are named explicitly),
#   php-cli + php-mysql (PHP configs read back by PHP; coreBOS rows read as mysqli does),
#   mariadb-server (the coreBOS store), chromium (report rendering), shellcheck (ansible-test sanity),
#   golang-go + golang-gopkg-ini.v1-dev (go-ini, the reader of Grafana and Gitea),
#   ruby + ruby-dotenv (Psych/ERB for Redmine, gitlab.rb, Ruby dotenv),
#   systemd (its environment.d generator: systemd's own env-file parser, for the dotenv systemd dialect),
#   postfix + postfix-lmdb + dovecot-core (a real relay client and a real submission server),
#   msmtp (its own config reader), prometheus-alertmanager (amtool check-config),
#   redmine + redmine-sqlite (Debian's Redmine 5.0 sending its test mail: tests/integration/redmine_mailer.rb),
#   libphp-phpmailer (PHPMailer, coreBOS's mail library: tests/integration/corebos_mail.php).
# Services these packages would start at install time are held back (policy-rc.d): the tests start their own
# instances, bound to loopback only.
set -euo pipefail

# package:check — the check is a command that succeeds when the piece is present.
requirements=(
    "swaks:command -v swaks"
    "libnet-ssleay-perl:perl -MNet::SSLeay -e1"
    "libio-socket-ssl-perl:perl -MIO::Socket::SSL -e1"
    "libauthen-sasl-perl:perl -MAuthen::SASL -e1"
    "libio-socket-inet6-perl:perl -MIO::Socket::INET6 -e1"
    "php-cli:command -v php"
    "php-mysql:php -m 2>/dev/null | grep -qix pdo_mysql"
    "mariadb-server:command -v mariadbd || command -v mysqld"
    "chromium:command -v chromium"
    "shellcheck:command -v shellcheck"
    "golang-go:command -v go"
    "golang-gopkg-ini.v1-dev:test -d /usr/share/gocode/src/gopkg.in/ini.v1"
    "ruby:command -v ruby"
    "ruby-dotenv:ruby -e 'require \"dotenv\"'"
    "systemd:test -x /usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"
    "postfix:test -x /usr/sbin/postconf"
    "postfix-lmdb:test -e /usr/lib/postfix/postfix-lmdb.so || ls /usr/lib/postfix/*lmdb* >/dev/null 2>&1"
    "dovecot-core:test -x /usr/sbin/dovecot"
    "msmtp:command -v msmtp"
    "prometheus-alertmanager:command -v amtool || test -x /usr/bin/prometheus-alertmanager"
    "redmine:test -x /usr/share/redmine/bin/rails"
    "redmine-sqlite:ruby -e 'require \"sqlite3\"'"
    "libphp-phpmailer:test -r /usr/share/php/libphp-phpmailer/autoload.php"
)

missing() {
    local entry
    for entry in "${requirements[@]}"; do
        bash -c "${entry#*:}" >/dev/null 2>&1 || echo "${entry%%:*}"
    done
}

mapfile -t need < <(missing)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "system-deps: installing ${need[*]}"
# Debconf answers so postfix installs unconfigured instead of asking.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 0755 "$policy"
    own_policy=true
fi
cleanup() { if $own_policy; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

mapfile -t still < <(missing)
if [ ${#still[@]} -ne 0 ]; then
    echo "system-deps: still missing after apt-get install: ${still[*]}" >&2
    echo "system-deps: the tests need these Debian packages; install them and re-run make test" >&2
    exit 1
fi
