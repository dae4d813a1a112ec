#!/usr/bin/env bash
# Prepares the modules that go.mod's `replace` lines point at: each pinned
# release, fetched through the Go module proxy, with Kura's patch series on top
# (applied in file-name order). FerretDB 1.x is no longer developed upstream,
# so Kura carries its fixes here; see README.md.
#
#   prepare-source.sh DEST   (DEST is tools/ferretdb/../../.kura/ferretdb-src)
#
# FerretDB goes to DEST (patches/), modernc.org/libc, the C library SQLite
# runs on, to DEST's sibling libc-src (libc-patches/).
# Idempotent: a module is rebuilt only when its version or a patch changed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$1"

# prepare MODULE VERSION PATCH_DIR DEST
prepare() {
  local module="$1" version="$2" patches="$3" dest="$4" stamp src tmp p
  stamp="$version-$({ cat "$patches"/*.patch 2>/dev/null || true; } | sha256sum | cut -c1-16)"
  [ -f "$dest/.kura-stamp" ] && [ "$(cat "$dest/.kura-stamp")" = "$stamp" ] && return 0

  # Outside any module, so the replace directive does not redirect the download.
  src="$(cd / && GOFLAGS= GOTOOLCHAIN=local go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$src" ] && [ -d "$src" ] || { echo "prepare-source: could not download $module@$version" >&2; exit 1; }

  tmp="$dest.tmp.$$"
  rm -rf "$tmp"
  cp -R "$src" "$tmp"
  chmod -R u+w "$tmp"
  for p in "$patches"/*.patch; do
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
}

prepare github.com/FerretDB/FerretDB v1.24.2 "$here/patches" "$dest"
# the version FerretDB 1.24.2's modernc.org/sqlite v1.32.0 requires (go.mod)
prepare modernc.org/libc v1.55.3 "$here/libc-patches" "$(dirname "$dest")/libc-src"
