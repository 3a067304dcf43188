# Shared set-up for scripts/serve and scripts/test (sourced, not run).
# Installs Debian packages that are missing, creates .venv and installs jikimi into it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to install: $*" >&2; return 1; fi
}

# Debian packages: FFmpeg development files for vpdq, fonts for Hangul in PDFs.
SERVE_APT=(python3-venv build-essential pkg-config cmake ffmpeg
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libavfilter-dev libavdevice-dev fonts-noto-cjk chromium)
TEST_APT=(postgresql chromium poppler-utils)

ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"

ensure_venv() {  # $1: pip extras, e.g. "" or "[test]"
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $PYTHON"
    "$PYTHON" -m venv .venv
  fi
  local stamp=".venv/.jikimi-installed$extras"
  local want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing jikimi$extras into .venv"
    .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/pip install -q --disable-pip-version-check -e ".$extras"
    echo "$want" > "$stamp"
  fi
}

# npm packages the browser tests inject into pages (axe-core for the accessibility test), in a
# project-local node_modules that git ignores.
AXE_CORE_VERSION=4.11.1
ensure_node_modules() {
  # Node and npm usually come with the machine (NodeSource's nodejs, which conflicts with
  # Debian's npm package); Debian's are installed only when there is no npm at all.
  command -v npm >/dev/null || ensure_apt nodejs npm
  if [ ! -f node_modules/axe-core/axe.min.js ] || \
     ! grep -q "\"version\": \"$AXE_CORE_VERSION\"" node_modules/axe-core/package.json; then
    echo "==> installing axe-core $AXE_CORE_VERSION into node_modules"
    npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$ROOT" \
      "axe-core@$AXE_CORE_VERSION" >/dev/null
  fi
}
