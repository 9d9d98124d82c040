#!/usr/bin/env bash
# The main job on the local sandbox: lxd-api working across every sandbox container
# of LXD and Incus at once, as a user would type it. `npm run demo` builds the tool
# and brings the sandbox up first.
set -euo pipefail
cd "$(dirname "$0")/.."

export LXD_CONF="$PWD/.sandbox/lxc" INCUS_CONF="$PWD/.sandbox/incus"
export LXD_API_STATE_DIR="$PWD/.sandbox/state"

lxd_api() {
  printf '\n\033[1m$ lxd-api %s\033[0m\n' "$*"
  node dist/cli/lxd-api.js "$@"
}

lxd_api ls lxd: incus:
lxd_api check lxd: incus:
lxd_api exec lxd: incus: -- 'echo "$(hostname): $(uname -r), up $(cut -d" " -f1 /proc/uptime) s"'
lxd_api exec 'lxd:web-*' 'incus:web-*' --json -- id -un
echo "hello from the demo" | lxd_api exec lxd:db-1 incus:db-1 -- 'wc -c'
lxd_api exec 'lxd:web-*' --group-output -- 'ls /etc | head -3'

demo="$(mktemp -d)"
trap 'rm -rf "$demo"' EXIT
printf 'written by the lxd-api demo at %s\n' "$(date -u +%FT%TZ)" >"$demo/motd"
lxd_api put "$demo/motd" 'lxd:web-*' 'incus:web-*' /tmp/lxd-api-demo/motd --parents --atomic --mode 0644
lxd_api get 'lxd:web-*' 'incus:web-*' /tmp/lxd-api-demo/motd "$demo/copies"
lxd_api exec 'lxd:web-*' 'incus:web-*' -- 'rm -r /tmp/lxd-api-demo'
lxd_api bench lxd:web-1 --count 10
