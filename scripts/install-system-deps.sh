#!/usr/bin/env bash
# System packages the toolkit needs on a fresh Debian machine:
#   fonts-noto-cjk  - an openly licensed (SIL OFL) CJK font, so Chinese renders in charts
#                     and in DOCX-to-PDF previews.
#   chromium        - Debian's browser, for the data-entry app's end-to-end tests.
#   openssl         - makes the entry app's HTTPS certificate (baicun entry cert).
# Installs only what is missing; prints what to do when it cannot install (not root, no apt).
set -u
missing=()
if ! fc-list 2>/dev/null | grep -qiE 'Noto Sans CJK|Noto Serif CJK|Source Han|WenQuanYi|Droid Sans Fallback'; then
  missing+=(fonts-noto-cjk)
fi
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
# Debian's Chromium drives the data-entry app's browser tests (Playwright launches
# /usr/bin/chromium; no browser is ever downloaded).
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: please install ${missing[*]} (e.g. sudo apt-get install ${missing[*]}): CJK font for charts, chromium for browser tests" >&2
fi
