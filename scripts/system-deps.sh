#!/usr/bin/env bash
# Installs the Debian packages the tests drive as real peers: swaks (independent SMTP client),
# php-cli (checks the PHP configs we write), mariadb-server (the coreBOS store), chromium (report rendering).
set -euo pipefail
need=()
command -v swaks >/dev/null || need+=(swaks)
command -v php >/dev/null || need+=(php-cli)
command -v mariadbd >/dev/null || command -v mysqld >/dev/null || need+=(mariadb-server)
command -v chromium >/dev/null || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "system-deps: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
