#!/usr/bin/env bash
# Prepares the FerretDB module that go.mod's `replace` points at: the pinned
# release, fetched through the Go module proxy, with Kura's patch series
# (patches/*.patch, applied in file-name order) on top. FerretDB 1.x is no
# longer developed upstream, so Kura carries its fixes here; see README.md.
#
#   prepare-source.sh DEST   (DEST is tools/ferretdb/../../.kura/ferretdb-src)
#
# Idempotent: DEST is rebuilt only when the version or a patch changed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$1"
module="github.com/FerretDB/FerretDB"
version="v1.24.2"
stamp="$version-$({ cat "$here"/patches/*.patch 2>/dev/null || true; } | sha256sum | cut -c1-16)"

[ -f "$dest/.kura-stamp" ] && [ "$(cat "$dest/.kura-stamp")" = "$stamp" ] && exit 0

# Outside any module, so the replace directive does not redirect the download.
src="$(cd / && GOFLAGS= GOTOOLCHAIN=local go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$src" ] && [ -d "$src" ] || { echo "prepare-source: could not download $module@$version" >&2; exit 1; }

tmp="$dest.tmp.$$"
rm -rf "$tmp"
cp -R "$src" "$tmp"
chmod -R u+w "$tmp"
for p in "$here"/patches/*.patch; do
  [ -e "$p" ] || continue
  patch -p1 -d "$tmp" --batch --forward --quiet <"$p" || {
    rm -rf "$tmp"
    echo "prepare-source: $(basename "$p") does not apply to $module@$version" >&2
    exit 1
  }
done
echo "$stamp" >"$tmp/.kura-stamp"
rm -rf "$dest"
mv "$tmp" "$dest"
