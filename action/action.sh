#!/usr/bin/env bash
# The steps of action.yml, one subcommand each (inputs, install, gitleaks, verify, grade), so the
# test suite runs them as they run on a runner. Inputs arrive as INPUT_* variables, never spliced into code.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOKI_HOME="${LOKI_HOME:-$(dirname "$HERE")}"
GITLEAKS_VERSION=8.30.0

fail() {
  echo "::error title=loki verify::$1" >&2
  exit "${2:-1}"
}
output() { echo "$1=$2" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"; }
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# `one_of NAME VALUE ALLOWED...`: an enumerated input must name one of its values exactly.
one_of() {
  local name=$1 value=$2
  shift 2
  local allowed
  for allowed in "$@"; do [ "$value" = "$allowed" ] && return 0; done
  fail "input $name: unknown value '$value' (one of: $*)"
}

# Before anything is installed: every enumerated input is checked, and the cache keys are derived.
inputs() {
  one_of fail-on "${INPUT_FAIL_ON-}" blocked concerns
  one_of upload-sarif "${INPUT_UPLOAD_SARIF-}" true false
  one_of secret-scanner "${INPUT_SECRET_SCANNER-}" builtin gitleaks
  local severities=0 severity
  local list=()
  IFS=',' read -r -a list <<<"${INPUT_BLOCK_ON-}"
  for severity in ${list[@]+"${list[@]}"}; do
    severity="${severity//[[:space:]]/}"
    [ -z "$severity" ] && continue
    one_of block-on "$severity" critical high medium low info
    severities=$((severities + 1))
  done
  [ "$severities" -gt 0 ] || fail "input block-on: empty (a comma-separated list of critical, high, medium, low, info)"
  output lock-hash "$(sha256_of "$LOKI_HOME/package-lock.json")"
  output gitleaks-version "$GITLEAKS_VERSION"
}

# Production dependencies only: the coding-agent CLIs and test tooling are devDependencies.
install() {
  npm ci --prefix "$LOKI_HOME" --omit=dev --no-audit --no-fund
}

# The pinned gitleaks release for this runner: checksum-verified on every use (a restored cache
# included), unpacked outside the workspace, put on PATH for the steps that follow.
gitleaks() {
  local os arch asset sum
  case "${RUNNER_OS:-$(uname -s)}" in
  Linux) os=linux ;;
  macOS | Darwin) os=darwin ;;
  *) fail "secret-scanner: gitleaks: no pinned gitleaks build for ${RUNNER_OS:-$(uname -s)} (Linux and macOS runners only)" ;;
  esac
  case "${RUNNER_ARCH:-$(uname -m)}" in
  X64 | x86_64) arch=x64 ;;
  ARM64 | arm64 | aarch64) arch=arm64 ;;
  *) fail "secret-scanner: gitleaks: no pinned gitleaks build for ${RUNNER_ARCH:-$(uname -m)}" ;;
  esac
  asset="gitleaks_${GITLEAKS_VERSION}_${os}_${arch}.tar.gz"
  # sha256 of each asset of the v8.30.0 release (its checksums.txt).
  case "$os-$arch" in
  linux-x64) sum=79a3ab579b53f71efd634f3aaf7e04a0fa0cf206b7ed434638d1547a2470a66e ;;
  linux-arm64) sum=b4cbbb6ddf7d1b2a603088cd03a4e3f7ce48ee7fd449b51f7de6ee2906f5fa2f ;;
  darwin-x64) sum=ca221d012d247080c2f6f61f4b7a83bffa2453806b0c195c795bbe9a8c775ed5 ;;
  darwin-arm64) sum=b251ab2bcd4cd8ba9e56ff37698c033ebf38582b477d21ebd86586d927cf87e7 ;;
  esac
  local cache="${LOKI_GITLEAKS_CACHE:?LOKI_GITLEAKS_CACHE is not set}"
  local archive="$cache/$asset"
  mkdir -p "$cache"
  if [ -f "$archive" ] && [ "$(sha256_of "$archive")" != "$sum" ]; then
    echo "::warning title=loki verify::cached $asset does not match its pinned checksum; downloading it again" >&2
    rm -f "$archive"
  fi
  if [ ! -f "$archive" ]; then
    # A mirror (GitHub Enterprise without github.com access) serves the same assets; the checksum still decides.
    local base="${LOKI_GITLEAKS_MIRROR:-https://github.com/gitleaks/gitleaks/releases/download}"
    curl --fail --silent --show-error --location --retry 3 --output "$archive.part" \
      "$base/v$GITLEAKS_VERSION/$asset" || fail "secret-scanner: gitleaks: could not download $asset"
    local got
    got="$(sha256_of "$archive.part")"
    if [ "$got" != "$sum" ]; then
      rm -f "$archive.part"
      fail "secret-scanner: gitleaks: $asset has sha256 $got, expected $sum: not installed"
    fi
    mv "$archive.part" "$archive"
  fi
  local bin="${RUNNER_TEMP:?RUNNER_TEMP is not set}/loki-gitleaks-$GITLEAKS_VERSION"
  mkdir -p "$bin"
  tar -xzf "$archive" -C "$bin" gitleaks
  chmod +x "$bin/gitleaks"
  echo "$bin" >>"${GITHUB_PATH:?GITHUB_PATH is not set}"
  output path "$bin/gitleaks"
}

# `loki verify` with the inputs as flags; always exits 0 (grade decides), outputs what it produced.
verify() {
  local base="${INPUT_BASE-}"
  if [ -z "$base" ] && [ -n "${GITHUB_BASE_REF-}" ]; then base="origin/$GITHUB_BASE_REF"; fi
  local sarif="$PWD/loki.sarif" junit="$PWD/loki-junit.xml"
  local argv=(verify)
  if [ -n "$base" ]; then argv+=("$base"); fi
  argv+=(--block-on "$INPUT_BLOCK_ON" --sarif "$sarif" --junit "$junit")
  if [ -n "${INPUT_BASELINE-}" ]; then argv+=(--baseline "$INPUT_BASELINE"); fi
  # Only a label (a maintainer's act, not a file in the diff) accepts a change to the grader.
  if [ -n "${INPUT_ACCEPT_CONFIG_CHANGE_LABEL-}" ] && [ -n "${LOKI_PR_LABELS-}" ] &&
    node -e 'const l = JSON.parse(process.argv[1] || "null"); process.exit(Array.isArray(l) && l.includes(process.argv[2]) ? 0 : 1)' \
      "$LOKI_PR_LABELS" "$INPUT_ACCEPT_CONFIG_CHANGE_LABEL"; then
    argv+=(--accept-config-change)
  fi
  # builtin: a gitleaks the runner happens to have is not used either; gitleaks: it must run.
  argv+=(--secret-scanner "$INPUT_SECRET_SCANNER")
  local extra=()
  read -r -a extra <<<"${INPUT_ARGS-}"
  argv+=(${extra[@]+"${extra[@]}"})
  # The files this step reports must be this run's, never a previous step's.
  rm -f "$sarif" "$junit"
  local started code=0
  started="$(node -p 'Date.now()')"
  PATH="$LOKI_HOME/node_modules/.bin:$PATH" "$LOKI_HOME/bin/loki.js" "${argv[@]}" || code=$?
  if [ "$code" = 3 ] && [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
    echo "::error title=loki verify::shallow clone: the diff starts at the merge base, so check out with actions/checkout's fetch-depth: 0" >&2
  fi

  local root evidence="" verdict=""
  root="$(git rev-parse --show-toplevel 2>/dev/null || true)"
  if [ -n "$root" ] && [ -f "$root/.loki/verify/evidence.json" ]; then
    # The evidence counts only if this run wrote it (and agrees with the exit code).
    verdict="$(node -e '
      const e = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
      if (Date.parse(e.generated_at) >= Number(process.argv[2]) && e.exit_code === Number(process.argv[3])) process.stdout.write(e.verdict);
    ' "$root/.loki/verify/evidence.json" "$started" "$code" || true)"
    if [ -n "$verdict" ]; then evidence="$root/.loki/verify/evidence.json"; fi
  fi
  output exit-code "$code"
  output verdict "$verdict"
  output evidence "$evidence"
  output sarif "$([ -f "$sarif" ] && echo "$sarif" || true)"
  output junit "$([ -f "$junit" ] && echo "$junit" || true)"
}

# The job's result from loki's exit code and the fail-on input.
grade() {
  local code="${LOKI_EXIT_CODE-}"
  case "$code" in
  0) echo "loki verify: VERIFIED" ;;
  1)
    if [ "$INPUT_FAIL_ON" = concerns ]; then fail "CONCERNS (fail-on: concerns) — see the job summary" 1; fi
    echo "::warning title=loki verify::CONCERNS — see the job summary"
    ;;
  2) fail "BLOCKED — see the job summary and the annotations" 2 ;;
  *) fail "could not verify (exit ${code:-none}) — see the step's log" 3 ;;
  esac
}

case "${1-}" in
inputs | install | gitleaks | verify | grade) "$1" ;;
*)
  echo "usage: action.sh inputs|install|gitleaks|verify|grade" >&2
  exit 64
  ;;
esac
