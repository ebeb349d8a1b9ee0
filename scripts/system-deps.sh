#!/usr/bin/env bash
# The Debian packages the lab and the network tests use (BIRD 2 and FRR are the BGP lab's routers), installed only when missing (root,
# Debian). Sourced by lab.sh and test.sh; safe to run again.
set -euo pipefail
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v arping >/dev/null 2>&1 || need+=(arping)
command -v ndisc6 >/dev/null 2>&1 || need+=(ndisc6)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v bird >/dev/null 2>&1 || need+=(bird2)
[ -x /usr/lib/frr/bgpd ] || need+=(frr)
# The BFD tests cut a router's BFD packets with nftables (test/e2e/bgp-bfd.test.ts); a fresh
# machine has no nft, and those suites skipped there.
command -v nft >/dev/null 2>&1 || need+=(nftables)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing ${need[*]}; run as root to install them (the network tests skip without them)" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
