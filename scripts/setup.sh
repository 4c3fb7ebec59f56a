#!/usr/bin/env bash
# Install whatever is missing, and nothing else: safe to run on every `make run` / `make test`.
#   scripts/setup.sh        the app venv (.venv, Python 3.11) and the Rasa venv (.venv-rasa, Python 3.10)
#   scripts/setup.sh test   the same, plus Debian's chromium and chromium-driver for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

RASA_VERSION=3.6.21
say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

find_python() {  # find_python 3.11 → path of an interpreter of that minor version, or nothing
  local want=$1 cand
  for cand in "python$want" "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/$want"*/bin/python \
              /root/.pyenv/versions/"$want"*/bin/python "/usr/bin/python$want" "/usr/local/bin/python$want"; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import sys, venv; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.')))" 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  return 1
}

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# --- the app: Python 3.11 -------------------------------------------------------------
APP_PY=$(find_python 3.11 || find_python 3.12) || die "Python 3.11 is required for the app.
  Install it with:  pyenv install 3.11   (or: apt-get install python3.11 python3.11-venv)"
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $APP_PY"
  "$APP_PY" -m venv .venv
fi
app_stamp=".venv/.installed-$(stamp_of pyproject.toml)"
if [ ! -f "$app_stamp" ]; then
  say "installing the app and its dependencies into .venv"
  # torch first and pinned: the CPU wheel; an unpinned request would pull CUDA builds.
  .venv/bin/pip install --quiet --disable-pip-version-check "torch==2.13.0"
  .venv/bin/pip install --quiet --disable-pip-version-check -e ".[dev]"
  rm -f .venv/.installed-*; touch "$app_stamp"
fi

# --- Rasa: its own venv on Python 3.10 (Rasa 3.6 supports 3.8–3.10 only) -----------------
RASA_PY=$(find_python 3.10 || find_python 3.9 || find_python 3.8) || die "Rasa $RASA_VERSION needs Python 3.8, 3.9 or 3.10, and none was found.
  Install one with:  pyenv install 3.10.13   (or: apt-get install python3.10 python3.10-venv)
  then run this command again."
if [ ! -x .venv-rasa/bin/python ]; then
  say "creating .venv-rasa with $RASA_PY"
  "$RASA_PY" -m venv .venv-rasa
fi
# jieba: Rasa's JiebaTokenizer (training_data/config.yml) needs it and rasa does not depend on it.
rasa_stamp=".venv-rasa/.installed-rasa-$RASA_VERSION-jieba"
if [ ! -f "$rasa_stamp" ]; then
  say "installing rasa==$RASA_VERSION and jieba into .venv-rasa (about 90 s and 2.7 GB, once)"
  .venv-rasa/bin/pip install --quiet --disable-pip-version-check "rasa==$RASA_VERSION" "jieba==0.42.1"
  touch "$rasa_stamp"
fi

# --- browser tests: Debian's Chromium and its driver --------------------------------------
if [ "${1:-}" = "test" ]; then
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing Debian's chromium and chromium-driver for the browser tests"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
      die "the browser tests need Debian's chromium and chromium-driver: sudo apt-get install chromium chromium-driver"
    fi
  fi
  # A Chinese and an emoji font, so that screenshots (make screenshots) show characters, not boxes.
  if command -v fc-list >/dev/null 2>&1 && { [ -z "$(fc-list :lang=zh)" ] || [ -z "$(fc-list | grep -i emoji)" ]; }; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing a Chinese and an emoji font (fonts-wqy-microhei, fonts-noto-color-emoji) for the screenshots"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fonts-noto-color-emoji >/dev/null
    else
      say "no Chinese or emoji font: screenshots will show boxes (sudo apt-get install fonts-wqy-microhei fonts-noto-color-emoji)"
    fi
  fi
fi
