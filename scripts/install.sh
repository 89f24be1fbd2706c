#!/usr/bin/env bash
# Installs gitops-lint into "$ROOT/bin": the release binary of
# $GITOPS_LINT_VERSION for this machine when the release has one (its
# SHA-256 checked against the release's checksum file), else built with
# `cargo install --locked $GITOPS_LINT_CARGO_ARGS`.
#
# The GitHub Action runs this file; the Azure DevOps template holds the
# same text inline (a test keeps the two identical).
#
#   ROOT                     where to install (bin/gitops-lint under it)
#   GITOPS_LINT_VERSION      e.g. 0.2.0; empty: build with cargo
#   GITOPS_LINT_RELEASES     base URL of the releases (default GitHub's);
#                            file:///dir works, for mirrors and tests
#   GITOPS_LINT_CARGO_ARGS   what cargo installs from, e.g. --path DIR
#                            (default: the project's Git repository at
#                            tag v$GITOPS_LINT_VERSION, or main)
#
# A checksum that does not match is an error, never a fallback: the
# download is not what was released.
set -euo pipefail

version="${GITOPS_LINT_VERSION#v}"
releases="${GITOPS_LINT_RELEASES:-https://github.com/gitops-lint/gitops-lint/releases/download}"
mkdir -p "$ROOT/bin"

machine_target() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo x86_64-unknown-linux-musl ;;
    Linux-aarch64 | Linux-arm64) echo aarch64-unknown-linux-musl ;;
    Darwin-x86_64) echo x86_64-apple-darwin ;;
    Darwin-arm64) echo aarch64-apple-darwin ;;
    MINGW*-x86_64 | MSYS*-x86_64 | CYGWIN*-x86_64) echo x86_64-pc-windows-msvc ;;
    *) ;;
  esac
}

sha256() {
  if command -v sha256sum > /dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# Downloads, checks and unpacks the release binary; 1 when the release
# has none for this machine (the caller builds instead), 2 on a checksum
# that does not match.
from_release() {
  [ -n "$version" ] || return 1
  command -v curl > /dev/null || return 1
  local triple name archive tmp expected actual
  # Written with a space inside: Azure Pipelines would read `$(name)` as
  # one of its macros.
  triple="$(machine_target || true)"
  [ -n "$triple" ] || return 1
  name="gitops-lint-v$version-$triple"
  archive="$name.tar.gz"
  case "$triple" in *windows*) archive="$name.zip" ;; esac
  tmp=$(mktemp -d)
  if ! curl -fsSL --retry 3 -o "$tmp/$archive" "$releases/v$version/$archive" \
    || ! curl -fsSL --retry 3 -o "$tmp/$archive.sha256" "$releases/v$version/$archive.sha256"; then
    echo "gitops-lint: no release binary $archive at $releases/v$version"
    rm -rf "$tmp"
    return 1
  fi
  expected=$(cut -d' ' -f1 < "$tmp/$archive.sha256")
  actual=$(sha256 "$tmp/$archive")
  if [ "$expected" != "$actual" ]; then
    echo "gitops-lint: $archive has SHA-256 $actual, but the release says $expected; not installed" >&2
    rm -rf "$tmp"
    return 2
  fi
  case "$archive" in
    *.zip) (cd "$tmp" && unzip -q "$archive") ;;
    *) tar -xzf "$tmp/$archive" -C "$tmp" ;;
  esac
  cp "$tmp/$name/gitops-lint"* "$ROOT/bin/"
  chmod +x "$ROOT/bin/gitops-lint"*
  rm -rf "$tmp"
  echo "gitops-lint: installed the v$version release binary for $triple (SHA-256 $actual)"
}

# Without a source given, cargo builds the requested release's tag (or
# main) from the project's repository.
cargo_args="${GITOPS_LINT_CARGO_ARGS:-}"
if [ -z "$cargo_args" ]; then
  cargo_args="--git https://github.com/gitops-lint/gitops-lint"
  if [ -n "$version" ]; then
    cargo_args="$cargo_args --tag v$version"
  else
    cargo_args="$cargo_args --branch main"
  fi
fi

status=0
from_release || status=$?
case "$status" in
  0) ;;
  1)
    echo "gitops-lint: building with cargo install --locked $cargo_args"
    # shellcheck disable=SC2086 # the arguments are words on purpose
    cargo install --locked $cargo_args --root "$ROOT"
    ;;
  *) exit "$status" ;;
esac
"$ROOT/bin/gitops-lint" --version
