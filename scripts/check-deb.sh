#!/usr/bin/env bash
# Builds the Debian package with cargo-deb, installs it, checks that the binary, the man pages
# and the completions are where a user looks for them, and removes it again.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null 2>&1 || cargo install cargo-deb --locked
cargo deb
deb=$(ls -t target/debian/sockscope_*.deb | head -n 1)
dpkg -i "$deb"
trap 'dpkg -r sockscope >/dev/null' EXIT
test "$(/usr/bin/sockscope --version)" = "sockscope $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
for page in sockscope sockscope-who sockscope-kill sockscope-top sockscope-completions; do
  man -w "$page" >/dev/null
  MANWIDTH=80 man "$page" 2>&1 | grep -q "EXAMPLES"
done
bash -c 'source /usr/share/bash-completion/completions/sockscope && complete -p sockscope' >/dev/null
test -f /usr/share/zsh/vendor-completions/_sockscope
test -f /usr/share/fish/vendor_completions.d/sockscope.fish
echo "deb check: $deb installs; sockscope, 5 man pages and bash/zsh/fish completions in place"
