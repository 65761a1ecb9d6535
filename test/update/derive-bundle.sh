#!/usr/bin/env bash
# A release bundle derived from a built one, for the update tests (building the arm64 bundle
# again takes minutes): the same files with another version in package.json, and with --crash a
# firmware whose main module exits at start (a release that cannot come up).
#   test/update/derive-bundle.sh <bundle.tar.gz> <version> <out-dir> [--crash]
# Prints the new bundle's path (roombox-<version>-linux-arm64.tar.gz in out-dir).
set -euo pipefail
bundle=$(realpath "$1") version=$2 out=$(realpath -m "$3") crash=${4:-}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tar -xzf "$bundle" -C "$work"
jq --arg v "$version" '.version = $v' "$work/roombox/package.json" > "$work/package.json"
mv "$work/package.json" "$work/roombox/package.json"
if [ "$crash" = --crash ]; then
  printf 'console.error("roombox: this release crashes at start (test bundle)");\nprocess.exit(70);\n' > "$work/roombox/dist/firmware/main.js"
fi
mkdir -p "$out"
name=roombox-$version-linux-arm64.tar.gz
touch -h -d "@${SOURCE_DATE_EPOCH:-0}" "$work/roombox/package.json" "$work/roombox/dist/firmware/main.js"
tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner -cf - roombox | gzip -n > "$out/$name"
echo "$out/$name"
