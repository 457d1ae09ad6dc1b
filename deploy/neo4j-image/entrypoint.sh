#!/usr/bin/env bash
# Entry point of the neo4j-ecs Neo4j task image (deploy/neo4j-image/Dockerfile), in front of the
# official image's entry point:
#   1. a primary (NEO4J_ECS_VOLUME_ID set) waits until the host volume agent's readiness marker
#      <data dir>/.neo4j-ecs-mounted names exactly that volume, so Neo4j never starts on the host's
#      root disk or on another member's volume;
#   2. it reads the task's private IPv4 address from the ECS task metadata endpoint v4
#      ($ECS_CONTAINER_METADATA_URI_V4/task → Containers[].Networks[].IPv4Addresses) and sets the
#      advertised addresses (default, cluster 6000, raft 7000, routing 7688) and the listen addresses
#      (all interfaces; backup 6362 on the task address) unless the task definition already set them;
#   3. it execs the official entry point with the container's arguments. The server mode and the
#      discovery settings come from the task definition's environment (the operator writes them).
# A container that started before the host mounted the volume sees only the empty mount point (a bind
# mount does not follow later host mounts), so after NEO4J_ECS_MARKER_TIMEOUT it exits 1 and ECS starts
# a fresh task, which sees the mounted volume.
# Settings (tests): NEO4J_ECS_DATA_DIR (/data), NEO4J_ECS_MARKER_TIMEOUT seconds (120),
# NEO4J_ECS_METADATA_TIMEOUT seconds (60), NEO4J_ECS_POLL_INTERVAL seconds (1),
# NEO4J_ECS_OFFICIAL_ENTRYPOINT (/startup/docker-entrypoint.sh), CURL, JQ.
set -euo pipefail

DATA_DIR=${NEO4J_ECS_DATA_DIR:-/data}
MARKER_TIMEOUT=${NEO4J_ECS_MARKER_TIMEOUT:-120}
METADATA_TIMEOUT=${NEO4J_ECS_METADATA_TIMEOUT:-60}
POLL=${NEO4J_ECS_POLL_INTERVAL:-1}
OFFICIAL=${NEO4J_ECS_OFFICIAL_ENTRYPOINT:-/startup/docker-entrypoint.sh}
CURL=${CURL:-curl}
JQ=${JQ:-jq}

log() { printf '%s neo4j-ecs-entrypoint: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

for n in MARKER_TIMEOUT METADATA_TIMEOUT POLL; do
  [[ ${!n} =~ ^[0-9]+$ ]] || die "NEO4J_ECS_${n} must be a whole number of seconds"
done

# 1. The volume.
if [[ -n ${NEO4J_ECS_VOLUME_ID:-} ]]; then
  [[ $NEO4J_ECS_VOLUME_ID =~ ^vol-[0-9a-f]+$ ]] || die "NEO4J_ECS_VOLUME_ID is not a volume id: $NEO4J_ECS_VOLUME_ID"
  marker="$DATA_DIR/.neo4j-ecs-mounted"
  deadline=$((SECONDS + MARKER_TIMEOUT))
  log "waiting for volume $NEO4J_ECS_VOLUME_ID at $DATA_DIR (member ${NEO4J_ECS_MEMBER:-?})"
  while :; do
    found=$(head -n 1 "$marker" 2>/dev/null || true)
    [[ $found == "$NEO4J_ECS_VOLUME_ID" ]] && break
    if ((SECONDS >= deadline)); then
      if [[ -n $found ]]; then die "$marker names $found, not $NEO4J_ECS_VOLUME_ID: refusing to start on another volume"; fi
      die "volume $NEO4J_ECS_VOLUME_ID not mounted at $DATA_DIR within ${MARKER_TIMEOUT}s (is the host volume agent running?)"
    fi
    sleep "$POLL"
  done
  log "volume $NEO4J_ECS_VOLUME_ID is mounted"
fi

# 2. The task's address.
for t in "$CURL" "$JQ"; do command -v "$t" >/dev/null 2>&1 || die "$t is missing (the image installs curl and jq)"; done
[[ -n ${ECS_CONTAINER_METADATA_URI_V4:-} ]] || die 'ECS_CONTAINER_METADATA_URI_V4 is not set (not running as an ECS task?)'
deadline=$((SECONDS + METADATA_TIMEOUT))
ip=''
while :; do
  if body=$("$CURL" -fsS -m 2 "$ECS_CONTAINER_METADATA_URI_V4/task" 2>/dev/null); then
    ip=$(printf '%s' "$body" | "$JQ" -r '[.Containers[]?.Networks[]?.IPv4Addresses[]?] | map(select(. != null and . != "")) | first // empty' 2>/dev/null || true)
    [[ -n $ip ]] && break
  fi
  ((SECONDS < deadline)) || die "no IPv4 address in the task metadata at $ECS_CONTAINER_METADATA_URI_V4/task within ${METADATA_TIMEOUT}s"
  sleep "$POLL"
done
[[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "the task metadata gave no IPv4 address: $ip"
log "task address $ip"

# Sets NAME=VALUE unless the task definition already set NAME.
default() {
  if [[ -z ${!1:-} ]]; then export "$1=$2"; fi
}
default NEO4J_server_default__listen__address 0.0.0.0
default NEO4J_server_default__advertised__address "$ip"
default NEO4J_server_bolt_advertised__address "$ip:7687"
default NEO4J_server_http_advertised__address "$ip:7474"
default NEO4J_server_cluster_advertised__address "$ip:6000"
default NEO4J_server_cluster_raft_advertised__address "$ip:7000"
default NEO4J_server_routing_advertised__address "$ip:7688"
default NEO4J_server_discovery_advertised__address "$ip:5000"
default NEO4J_server_backup_listen__address "$ip:6362"

# 3. The official entry point.
[[ -x $OFFICIAL ]] || die "the official entry point $OFFICIAL is missing"
exec "$OFFICIAL" "$@"
