#!/usr/bin/env bash
# The whole test suite (called by `./dev test` and by .ci/run after ./dev set up both venvs).
# Starts PostgreSQL and Redis when they are down, so the tests that claim to cover them
# talk to the real servers. pytest runs twice, once per runtime (bot/runtimes.py): the service
# runtime (.venv-svc) runs every test that needs no Rasa in the test process, the Rasa runtime
# (.venv) the rest; tests/support/runtime_split.py decides, each run collects only its own.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv-svc/bin/python
RASA_PY=.venv/bin/python
# no usage reports from any Rasa process of the tests (also set by ./dev and tests/conftest.py)
export RASA_TELEMETRY_ENABLED=false

ensure_postgres() {
  if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    echo "starting PostgreSQL ..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
}

ensure_redis() {
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "starting Redis ..."
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium for the browser tests ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; browser tests will be skipped" >&2
  fi
}

ensure_axe() {
  # axe-core for the browser tests' accessibility checks, pinned in tests/browser
  if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
    echo "installing axe-core (tests/browser/package-lock.json) ..."
    npm ci --prefix tests/browser --no-audit --no-fund >/dev/null \
      || echo "warning: could not install axe-core; the accessibility checks will fail" >&2
  fi
}

ensure_postgres
ensure_redis
ensure_chromium
ensure_axe

echo "== ruff"
.venv-svc/bin/ruff check .
echo "== content file and domain in sync"
$PY -m bot content check
echo "== rasa data validate"
.venv/bin/rasa data validate --fail-on-warnings >var/validate.log 2>&1 || { tail -40 var/validate.log; exit 1; }
echo "rasa data validate: clean"
echo "== pytest"
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql+psycopg2://postgres@127.0.0.1:5432/test}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
# exit code 5 = nothing collected (e.g. a path with only the other runtime's tests)
status=0
echo "-- service runtime (.venv-svc, $($PY -c 'import platform; print("Python", platform.python_version())'))"
$PY -m pytest "$@" || { rc=$?; [ "$rc" = 5 ] || status=$rc; }
echo "-- Rasa runtime (.venv, $($RASA_PY -c 'import platform; print("Python", platform.python_version())'))"
$RASA_PY -m pytest "$@" || { rc=$?; [ "$rc" = 5 ] || status=$rc; }
exit $status
