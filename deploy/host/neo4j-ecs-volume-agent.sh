#!/usr/bin/env bash
# neo4j-ecs host volume agent (docs/topology.md, docs/operations.md).
#
# Runs on every primaries instance (installed by the launch template's user data). For each EBS volume
# attached to this instance whose tag `neo4j-ecs:member` names a member, it finds the device (NVMe
# serial = volume id: /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol…, else the filesystem label
# it gave the volume, else the requested device name), formats it ONLY if it is verifiably blank (blkid
# finds no signature AND the first MiBs are all zero), never when it holds a filesystem or any data,
# mounts it at /var/lib/neo4j-ecs/<member> and only then writes the readiness marker
# /var/lib/neo4j-ecs/<member>/.neo4j-ecs-mounted containing the volume id (the task's entry point waits
# for it). A stale marker in an unmounted mount point is removed first.
#
# Usage: neo4j-ecs-volume-agent [--once | --watch] [--member NAME [--timeout SECONDS]] [--interval SECONDS] [--root DIR]
#   --once      one pass (default). Exit 0: all attached member volumes mounted; 1: one was refused or
#               failed; 3: something is not there yet (volume not attached, device not visible).
#   --watch     a pass every --interval seconds (default 5), forever (the systemd unit runs this).
#   --member    only this member; with --timeout, wait until it is mounted or fail after SECONDS.
#   --root      a directory standing for / (tests: a fake /dev, /proc/mounts and /var/lib tree).
#
# Every external command can be overridden (tests): AWS, BLKID, MKFS, MOUNT, CURL. Other settings:
# NEO4J_ECS_INSTANCE_ID and AWS_REGION (else read from the instance metadata, IMDSv2),
# NEO4J_ECS_IMDS_URL, NEO4J_ECS_ZERO_CHECK_MIB (default 4), NEO4J_ECS_MKFS_ARGS.
set -euo pipefail

AWS=${AWS:-aws}
BLKID=${BLKID:-blkid}
MKFS=${MKFS:-mkfs.ext4}
MOUNT=${MOUNT:-mount}
CURL=${CURL:-curl}
IMDS_URL=${NEO4J_ECS_IMDS_URL:-http://169.254.169.254}
ZERO_CHECK_MIB=${NEO4J_ECS_ZERO_CHECK_MIB:-4}
BASE=/var/lib/neo4j-ecs
MARKER=.neo4j-ecs-mounted
MEMBER_TAG=neo4j-ecs:member

root=''
mode=once
only_member=''
timeout_s=''
interval=5

log() { printf '%s neo4j-ecs-volume-agent: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "error: $*"
  exit 2
}

while (($#)); do
  case $1 in
    --once) mode=once ;;
    --watch) mode=watch ;;
    --member)
      [[ $# -ge 2 ]] || die '--member needs a name'
      only_member=$2
      shift
      ;;
    --timeout)
      [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || die '--timeout needs a number of seconds'
      timeout_s=$2
      shift
      ;;
    --interval)
      [[ $# -ge 2 && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || die '--interval needs a positive number of seconds'
      interval=$2
      shift
      ;;
    --root)
      [[ $# -ge 2 && -d $2 ]] || die '--root needs an existing directory'
      root=${2%/}
      shift
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
[[ -z $timeout_s || -n $only_member ]] || die '--timeout needs --member'
[[ $only_member =~ ^[A-Za-z0-9._-]*$ ]] || die "not a member name: $only_member"
[[ $ZERO_CHECK_MIB =~ ^[0-9]+$ && $ZERO_CHECK_MIB -gt 0 ]] || die 'NEO4J_ECS_ZERO_CHECK_MIB must be a positive number'

imds() {
  local token
  token=$("$CURL" -fsS -m 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS_URL/latest/api/token") || return 1
  "$CURL" -fsS -m 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/$1"
}

instance_id=${NEO4J_ECS_INSTANCE_ID:-}
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
if [[ -z $instance_id ]]; then instance_id=$(imds meta-data/instance-id) || die 'cannot read the instance id from the instance metadata'; fi
if [[ -z $region ]]; then region=$(imds meta-data/placement/region) || die 'cannot read the region from the instance metadata'; fi
[[ $instance_id =~ ^i-[0-9a-f]+$ ]] || die "not an instance id: $instance_id"

# The filesystem label given at format time: 16 characters (the ext4 limit) derived from the volume id.
label_of() {
  local hex=${1#vol-}
  printf 'n4j-%s' "${hex: -12}"
}

# The device of volume $1 (requested device $2), or nothing when it is not visible yet.
device_of() {
  local vol=$1 requested=$2 dev
  dev="$root/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${vol//-/}"
  if [[ -e $dev ]]; then
    printf '%s' "$dev"
    return
  fi
  if dev=$("$BLKID" -L "$(label_of "$vol")" 2>/dev/null) && [[ -n $dev ]]; then
    printf '%s' "$dev"
    return
  fi
  # Xen instances: /dev/sdf may show as /dev/xvdf.
  for dev in "$root$requested" "$root/dev/xvd${requested#/dev/sd}"; do
    if [[ -b $dev || -f $dev ]]; then
      printf '%s' "$dev"
      return
    fi
  done
}

# What is mounted at $1 (the device), from /proc/mounts.
mounted_source() {
  local mounts="$root/proc/mounts"
  [[ -r $mounts ]] || return 0
  awk -v mp="$1" '$2 == mp { src = $1 } END { if (src != "") print src }' "$mounts"
}

# 0: blkid finds no signature AND the first ZERO_CHECK_MIB MiB are all zero. 1: not blank. 2: unknown.
is_blank() {
  local dev=$1 rc=0 out got nonzero bytes=$((ZERO_CHECK_MIB * 1024 * 1024))
  out=$("$BLKID" -p "$dev" 2>/dev/null) || rc=$?
  if ((rc == 0)) && [[ -n $out ]]; then return 1; fi
  if ((rc != 2 && rc != 0)); then return 2; fi
  got=$(head -c "$bytes" "$dev" | wc -c) || return 2
  nonzero=$(head -c "$bytes" "$dev" | tr -d '\000' | wc -c) || return 2
  ((got > 0)) || return 2
  ((nonzero == 0)) || return 1
  return 0
}

# Ensures volume $1 of member $2 (device $3) is mounted with its marker. 0 done, 1 refused/failed.
ensure_mounted() {
  local vol=$1 member=$2 dev=$3 mp src
  mp="$root$BASE/$member"
  src=$(mounted_source "$mp")
  if [[ -n $src ]]; then
    if [[ $(readlink -f "$src") != "$(readlink -f "$dev")" ]]; then
      log "refusing $member: $mp is mounted from $src, not from $vol ($dev)"
      return 1
    fi
  else
    mkdir -p "$mp"
    rm -f "$mp/$MARKER" "$mp/$MARKER.tmp" # a marker on the root filesystem is never a readiness signal
    local blank=0
    is_blank "$dev" || blank=$?
    case $blank in
      0)
        log "formatting blank volume $vol of $member ($dev)"
        # shellcheck disable=SC2086 # NEO4J_ECS_MKFS_ARGS is a list of options
        "$MKFS" ${NEO4J_ECS_MKFS_ARGS:-} -L "$(label_of "$vol")" "$dev" >&2 || {
          log "mkfs failed on $dev"
          return 1
        }
        ;;
      1)
        if ! "$BLKID" -p "$dev" >/dev/null 2>&1; then
          log "refusing $member: $vol ($dev) has data but no filesystem blkid knows; it is never formatted"
          return 1
        fi
        ;;
      *)
        log "refusing $member: cannot verify whether $vol ($dev) is blank"
        return 1
        ;;
    esac
    "$MOUNT" -o noatime "$dev" "$mp" >&2 || {
      log "mount of $dev at $mp failed"
      return 1
    }
    src=$(mounted_source "$mp")
    if [[ -z $src ]]; then
      log "$dev does not show as mounted at $mp after mount"
      return 1
    fi
    log "mounted $vol of $member at $mp"
  fi
  if [[ $(cat "$mp/$MARKER" 2>/dev/null || true) != "$vol" ]]; then
    printf '%s\n' "$vol" >"$mp/$MARKER.tmp"
    mv -f "$mp/$MARKER.tmp" "$mp/$MARKER"
  fi
  return 0
}

# One pass. 0 done, 1 refused/failed, 3 pending.
pass() {
  local listing rc=0 found=0 vol member device state dev
  listing=$("$AWS" ec2 describe-volumes --region "$region" \
    --filters "Name=attachment.instance-id,Values=$instance_id" "Name=tag-key,Values=$MEMBER_TAG" \
    --query "Volumes[].[VolumeId, Tags[?Key=='$MEMBER_TAG'] | [0].Value, Attachments[0].Device, Attachments[0].State]" \
    --output text) || {
    log 'describe-volumes failed'
    return 3
  }
  while IFS=$'\t' read -r vol member device state; do
    [[ -n ${vol:-} ]] || continue
    [[ -z $only_member || $member == "$only_member" ]] || continue
    if [[ ! $member =~ ^[A-Za-z0-9._-]+$ ]]; then
      log "skipping $vol: its $MEMBER_TAG tag is not a member name"
      rc=1
      continue
    fi
    found=1
    if [[ $state != attached ]]; then
      log "$vol of $member is $state: waiting"
      ((rc == 1)) || rc=3
      continue
    fi
    dev=$(device_of "$vol" "$device")
    if [[ -z $dev ]]; then
      log "$vol of $member is attached but its device is not visible yet: waiting"
      ((rc == 1)) || rc=3
      continue
    fi
    ensure_mounted "$vol" "$member" "$dev" || rc=1
  done <<<"$listing"
  if [[ -n $only_member && $found == 0 ]]; then
    log "no volume of $only_member is attached to $instance_id yet: waiting"
    ((rc == 1)) || rc=3
  fi
  return "$rc"
}

case $mode in
  once)
    if [[ -z $timeout_s ]]; then
      rc=0
      pass || rc=$?
      exit "$rc"
    fi
    deadline=$((SECONDS + timeout_s))
    while :; do
      rc=0
      pass || rc=$?
      ((rc == 3)) || exit "$rc"
      if ((SECONDS >= deadline)); then
        log "gave up: $only_member not mounted within ${timeout_s}s"
        exit 1
      fi
      sleep "$interval"
    done
    ;;
  watch)
    while :; do
      pass || true
      sleep "$interval"
    done
    ;;
esac
