#!/usr/bin/env bash
# A small network of namespaces for the partition test (root only):
#   netns-lab.sh up PREFIX NODE...   a "switch" namespace PREFIX-sw with a bridge, and per NODE a namespace
#                                    PREFIX-NODE joined to the bridge by a veth pair; NODE number i (from 1) gets
#                                    10.231.0.i/24 (NETNS_SUBNET=10.232.0 for another lab beside it). Prints
#                                    "NODE IP" lines. A NODE named "root" is this
#                                    (the root) namespace itself, so a test can watch the store.
#   netns-lab.sh cut PREFIX NODE     unplug the node (its switch-side link goes down; nothing reaches it)
#   netns-lab.sh heal PREFIX NODE    plug it back in
#   netns-lab.sh down PREFIX NODE... delete everything
set -euo pipefail
action=${1:?}; prefix=${2:?}; shift 2
subnet=${NETNS_SUBNET:-10.231.0}

case "$action" in
  up)
    ip netns add "$prefix-sw"
    ip -n "$prefix-sw" link set lo up
    ip -n "$prefix-sw" link add br0 type bridge
    ip -n "$prefix-sw" link set br0 up
    i=0
    for node in "$@"; do
      i=$((i + 1))
      # The switch-side end is named PREFIXNODE (at most 15 characters), so cut/heal can find it.
      ip link add "$prefix${node}a" type veth peer name "$prefix$node"
      ip link set "$prefix$node" netns "$prefix-sw"
      if [ "$node" = root ]; then
        ip addr add "$subnet.$i/24" dev "$prefix${node}a"
        ip link set "$prefix${node}a" up
      else
        ns="$prefix-$node"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip link set "$prefix${node}a" netns "$ns"
        ip -n "$ns" link set "$prefix${node}a" name eth0
        ip -n "$ns" addr add "$subnet.$i/24" dev eth0
        ip -n "$ns" link set eth0 up
      fi
      ip -n "$prefix-sw" link set "$prefix$node" master br0
      ip -n "$prefix-sw" link set "$prefix$node" up
      echo "$node $subnet.$i"
    done
    ;;
  cut) ip -n "$prefix-sw" link set "$prefix${1:?}" down ;;
  heal) ip -n "$prefix-sw" link set "$prefix${1:?}" up ;;
  down)
    # Deleting the switch namespace deletes every veth pair with an end in it, the root one included.
    for node in "$@"; do [ "$node" = root ] || ip netns del "$prefix-$node" 2>/dev/null || true; done
    ip netns del "$prefix-sw" 2>/dev/null || true
    ;;
  *) echo "usage: netns-lab.sh up|cut|heal|down PREFIX ..." >&2; exit 2 ;;
esac
