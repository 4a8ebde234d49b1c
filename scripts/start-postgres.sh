#!/usr/bin/env bash
# PostgreSQL for the tests that run on both databases: started if this machine has it but
# it is not running, installed from Debian if missing; a superuser role for the current
# user (the tests create and drop their own databases). Trust auth on 127.0.0.1 is this
# machine kind's default; SHIKAKU_TEST_POSTGRES points the tests elsewhere.
set -euo pipefail
if [ -n "${SHIKAKU_TEST_POSTGRES:-}" ]; then
  exit 0
fi
if ! command -v pg_ctlcluster >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
user=$(id -un)
if ! psql -h 127.0.0.1 -U "$user" -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
  su postgres -c "createuser --superuser $user" 2>/dev/null || true
fi
psql -h 127.0.0.1 -U "$user" -d postgres -tAc 'SELECT 1' >/dev/null
