#!/usr/bin/env bash
# The broker leg of CI for @percept/engine-bullmq.
#
#   tools/ci/brokers.sh install   # apt-get install redis-server (7.0) and postgresql-15 when missing
#   tools/ci/brokers.sh test      # the engine-bullmq suite with the full 2,000-cell scale test
#
# No server is left running by this script: every test file starts its own redis-server
# (--port <free> --bind 127.0.0.1 --appendonly yes --maxmemory-policy noeviction --dir <tmp> --save '')
# and its own PostgreSQL (initdb into a temp dir, 127.0.0.1, run as user "postgres" when root),
# kills only the PIDs it spawned, and removes its temp dirs. apt is told (policy-rc.d) not to
# start the packages' own system services, so only those test servers ever run.
set -uo pipefail
cd "$(dirname "$0")/../.."

install() {
  local need=()
  [ -x /usr/bin/redis-server ] || need+=(redis-server)
  [ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
  if [ ${#need[@]} -gt 0 ]; then
    echo "brokers: apt-get install ${need[*]}"
    # policy-rc.d 101: the packages must not start their own system services.
    local own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/tmp/percept-brokers-apt.log 2>&1 \
      || { echo "brokers: apt-get install failed; see /tmp/percept-brokers-apt.log"; tail -20 /tmp/percept-brokers-apt.log; [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; return 1; }
    [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  fi
  /usr/bin/redis-server --version
  /usr/lib/postgresql/15/bin/postgres --version
}

run_tests() {
  NX_DAEMON=false npx nx run-many -t build -p @percept/engine-bullmq @percept/cli --output-style=stream-without-prefixes >/tmp/percept-brokers-build.log 2>&1 \
    || { echo "brokers: build failed; see /tmp/percept-brokers-build.log"; tail -30 /tmp/percept-brokers-build.log; return 1; }
  PERCEPT_BULLMQ_SCALE_CELLS=2000 npx vitest run --project engine-bullmq
}

case "${1:-}" in
  install) install ;;
  test) run_tests ;;
  *) echo "usage: tools/ci/brokers.sh install|test" >&2; exit 2 ;;
esac
