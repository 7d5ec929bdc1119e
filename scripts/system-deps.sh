#!/usr/bin/env bash
# Installs the Debian packages the tests drive as real peers: swaks (independent SMTP client),
# php-cli + php-mysql (checks the PHP configs we write; reads coreBOS rows as mysqli does),
# mariadb-server (the coreBOS store), chromium (report rendering), and the ShellCheck linter that
# ansible-test sanity runs on our shell scripts.
set -euo pipefail
need=()
command -v swaks >/dev/null || need+=(swaks)
command -v php >/dev/null || need+=(php-cli)
# Nextcloud's real config.sample.php uses PDO::MYSQL_ATTR_* constants: php can only load it with pdo_mysql.
php_modules=$(php -m 2>/dev/null || true)
grep -qix 'pdo_mysql' <<<"$php_modules" || need+=(php-mysql)
command -v mariadbd >/dev/null || command -v mysqld >/dev/null || need+=(mariadb-server)
command -v chromium >/dev/null || need+=(chromium)
command -v shellcheck >/dev/null || need+=(shellcheck)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "system-deps: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
