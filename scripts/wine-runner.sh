#!/usr/bin/env bash
# Cargo runner for the Windows build: runs a Windows executable under Wine, so that
# `cargo test --target x86_64-pc-windows-gnu` runs the Windows tests on Linux.
#
#   CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/abs/path/scripts/wine-runner.sh \
#       cargo test --target x86_64-pc-windows-gnu
#
# It keeps a Wine prefix under target/ (created on first use), and installs there a stand-in
# bcryptprimitives.dll (scripts/bcryptprimitives.c), which Wine 8 lacks and Rust's standard
# library needs; it goes into the prefix's system32 and next to the executable, so the test
# binaries and the sockscope.exe they start both find it. Needs wine (Debian: wine64) and
# x86_64-w64-mingw32-gcc (gcc-mingw-w64-x86-64).
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 program.exe [args...]" >&2
  exit 2
fi
exe=$1
shift

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
support=${CARGO_TARGET_DIR:-$root/target}/wine-support
mkdir -p "$support"

# The stand-in DLL, rebuilt when its source changes.
dll=$support/bcryptprimitives.dll
if [ ! -e "$dll" ] || [ "$here/bcryptprimitives.c" -nt "$dll" ] || [ "$here/bcryptprimitives.def" -nt "$dll" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -o "$dll.tmp" \
    "$here/bcryptprimitives.c" "$here/bcryptprimitives.def" -ladvapi32
  mv "$dll.tmp" "$dll"
fi

# The loader: wine64 where it is on PATH, else Debian's, else whatever `wine` is.
if command -v wine64 >/dev/null 2>&1; then
  wine=wine64
elif [ -x /usr/lib/wine/wine64 ]; then
  wine=/usr/lib/wine/wine64
else
  wine=wine
fi

export WINEPREFIX=${SOCKSCOPE_WINEPREFIX:-$support/prefix}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
if [ ! -e "$WINEPREFIX/system.reg" ]; then
  # Several test binaries may start at once; one creates the prefix, the others wait.
  (
    flock 9
    if [ ! -e "$WINEPREFIX/system.reg" ]; then
      "$wine" wineboot --init >/dev/null 2>&1 || true
      # Let the first boot's wineserver finish writing the registry before anyone else runs.
      wineserver -w 2>/dev/null || true
    fi
  ) 9>"$support/prefix.lock"
fi
# Copies the DLL into a directory unless it is there already (atomically: test binaries run
# this side by side).
install_dll() {
  if [ -d "$1" ] && ! cmp -s "$dll" "$1/bcryptprimitives.dll"; then
    cp "$dll" "$1/bcryptprimitives.dll.$$"
    mv -f "$1/bcryptprimitives.dll.$$" "$1/bcryptprimitives.dll"
  fi
}
install_dll "$WINEPREFIX/drive_c/windows/system32"
install_dll "$(dirname "$exe")"

exec "$wine" "$exe" "$@"
