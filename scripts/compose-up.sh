#!/usr/bin/env bash
# The compose deployment started for a gate run against it (CI's `compose` job, release.yml): the deploy folder is
# copied to DIR, which the Docker host must see at the same path (the job mounts it), secrets are made up, the
# demo accounts are seeded for the browser tests, and the Shop is waited for. Prints the Shop's URL.
# Usage: scripts/compose-up.sh DIR [PRICING_WORKERS]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
workers=${2:-2}
# The Docker host as this container reaches it: the default route's gateway (127.0.0.1 outside a container).
host=127.0.0.1
if [ -f /.dockerenv ]; then host=$(awk '$2 == "00000000" {printf "%d.%d.%d.%d", "0x" substr($3,7,2), "0x" substr($3,5,2), "0x" substr($3,3,2), "0x" substr($3,1,2)}' /proc/net/route); fi
shop="http://$host:8080"

mkdir -p "$dir"
cp -r system/deploy/. "$dir/"
secret() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9'; }
# Every secret made up; the Shop and S3 at addresses both the containers and the browser tests reach.
while IFS= read -r line; do
  case $line in
    *=replace-me*) echo "${line%%=*}=$(secret)" ;;
    SHOP_PUBLIC_URL=*) echo "SHOP_PUBLIC_URL=$shop" ;;
    S3_PUBLIC_ENDPOINT=*) echo "S3_PUBLIC_ENDPOINT=http://$host:9000" ;;
    *) echo "$line" ;;
  esac
done < system/deploy/compose.env.example > "$dir/.env"
echo "SEED_DEMO_ACCOUNTS=true" >> "$dir/.env"  # a gate run: the browser tests and the load sign in as them
docker-compose --project-directory "$dir" -f "$dir/compose.yaml" up -d --scale "pricing=$workers" >&2
for _ in $(seq 1 180); do
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)' "$shop/readyz" 2>/dev/null; then
    echo "$shop"
    exit 0
  fi
  sleep 2
done
echo "compose-up: the Shop did not answer at $shop/readyz within 6 minutes" >&2
docker-compose --project-directory "$dir" -f "$dir/compose.yaml" ps >&2
exit 1
