#!/usr/bin/env bash
# docker-for-tests.sh — give the test suite a Docker engine and broker images that
# need no registry.
#
# Usage:   eval "$(scripts/docker-for-tests.sh)"
#
# CI machines of this project can reach Debian's packages, Maven Central and npm,
# but no container registry and no Docker engine runs there. So this script:
#   1. installs docker.io and debootstrap from Debian if they are missing;
#   2. reuses a Docker engine that already answers (DOCKER_HOST, or the socket this
#      script manages), else starts its own dockerd in the background;
#   3. builds omnibus/nats-local:<nats-server version> from the host's nats-server
#      binary (no pull), and checks a container of it answers on a published port;
#   4. builds omnibus/rabbitmq-local:<rabbitmq version> from a debootstrapped Debian
#      root filesystem (cached between runs), and checks it starts;
#   5. builds omnibus/kafka-local:<kafka version> (a KRaft broker+controller) from the
#      host's JDK (a jlink'ed runtime plus the shared libraries it links, as for NATS)
#      and the Kafka jars of the root pom's kafka.version, resolved by Maven from ~/.m2
#      or Maven Central; no registry, no Debian packages; checks a container answers;
#   6. prints the environment for Testcontainers as the LAST lines on stdout, one
#      `export NAME=value` per line. Everything else goes to stderr.
#
# Idempotent: a second run reuses the engine, the images and the cached root
# filesystem and takes a few seconds. On any failure it prints a banner starting
# with "docker-for-tests: FAILED:" to stderr and exits non-zero, printing no
# exports, so the caller can skip the container-backed tests with that reason.
#
# Environment knobs (all optional):
#   OMNIBUS_DOCKER_DIR            state directory owned by this script
#                                 (default /var/lib/omnibus-docker): engine data and
#                                 exec roots, pidfile, log, rootfs cache, lock
#   OMNIBUS_DOCKER_SOCKET         unix socket of the engine this script starts
#                                 (default /var/run/omnibus-docker.sock)
#   OMNIBUS_DOCKER_START_TIMEOUT  seconds to wait for dockerd to answer (default 60)
#   OMNIBUS_RABBITMQ_START_TIMEOUT  seconds to wait for RabbitMQ's startup line in
#                                 the image check (default 120)
#   OMNIBUS_DOCKER_VERIFY=all     also re-check existing RabbitMQ and Kafka images (the
#                                 NATS image is checked on every run; it is cheap)
#   OMNIBUS_DEBIAN_SUITE          suite to debootstrap (default bookworm)
#   OMNIBUS_DEBIAN_MIRROR         mirror to debootstrap from (default: the one apt's
#                                 sources on this machine name for that suite)
#   OMNIBUS_NATS_SERVER           nats-server binary to package (default
#                                 /usr/sbin/nats-server)
#   OMNIBUS_KAFKA_JDK             JDK (17 or later) whose runtime the Kafka image gets
#                                 (default: the one of `java` on PATH); jlink'ed when it
#                                 has jmods, else copied without its development parts
#   OMNIBUS_KAFKA_START_TIMEOUT   seconds to wait for "Kafka Server started" in the
#                                 image check (default 90)
#
# Findings on this kind of machine (Debian 12 VM, cgroup v1, docker.io 20.10.24):
#   * `--storage-driver vfs --iptables=false --ip-masq=false` are the flags that
#     were proven on this kind of machine (issue 10); overlay2 and dockerd's
#     iptables rules were not tried, so don't drop these without testing. vfs gives
#     every container a full copy of its image: creating a RabbitMQ container (~170
#     MB, ~12k files) took 1.7-6 s here, which is why that image drops docs,
#     locales and apt caches.
#   * Networking without iptables (verified here): the default bridge network
#     still works; containers get an address on docker0, and published ports
#     (`-p 127.0.0.1::4222`, or Testcontainers' random ports on all interfaces)
#     are served by docker-proxy, the userland proxy, which listens on the host and
#     connects to the container's bridge address. No NAT rule is involved.
#     `--userland-proxy` must stay on (it is the default; passed explicitly so
#     nobody turns it off). Gotcha: docker-proxy accepts a connection on the host
#     port before the service in the container listens (then resets it), so "the
#     mapped port accepts" proves nothing; wait for a log line or a protocol reply.
#   * `--ip-forward=false`: the userland proxy needs no forwarding, and this keeps
#     dockerd from switching on net.ipv4.ip_forward for the whole machine.
#     Consequence: containers cannot reach outside the machine — tests don't need it.
#     `docker run` then warns "IPv4 forwarding is disabled. Networking will not
#     work." — that is wrong for published ports, which the NATS check proves.
#   * Host networking / `--bridge=none` is not an option: Testcontainers maps random
#     host ports, which needs the bridge plus docker-proxy.
#   * The docker CLI may be newer than the engine (a static 28.x client can sit in
#     /usr/local/bin, Debian's engine is 20.10 = API 1.41); the client negotiates.

set -euo pipefail

# Everything this script and the commands it runs print goes to stderr; fd 3 keeps
# the real stdout for the final `export` lines, so `eval "$(...)"` sees only those.
exec 3>&1 1>&2

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUPPORT_DIR="$SCRIPT_DIR/docker"

STATE_DIR=${OMNIBUS_DOCKER_DIR:-/var/lib/omnibus-docker}
SOCKET_PATH=${OMNIBUS_DOCKER_SOCKET:-/var/run/omnibus-docker.sock}
START_TIMEOUT=${OMNIBUS_DOCKER_START_TIMEOUT:-60}
RABBIT_TIMEOUT=${OMNIBUS_RABBITMQ_START_TIMEOUT:-120}
SUITE=${OMNIBUS_DEBIAN_SUITE:-bookworm}
NATS_BIN=${OMNIBUS_NATS_SERVER:-/usr/sbin/nats-server}

NATS_REPO=omnibus/nats-local
RABBIT_REPO=omnibus/rabbitmq-local
KAFKA_REPO=omnibus/kafka-local
KAFKA_TIMEOUT=${OMNIBUS_KAFKA_START_TIMEOUT:-90}
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
# Label on our throwaway check containers, so a run can clean up after an
# interrupted one without touching anybody else's containers.
SMOKE_LABEL=dev.omnibus.docker-for-tests=smoke
# Bump when the way images are built changes, to force a rebuild everywhere.
RECIPE_VERSION=1

# dockerd, docker-proxy and debootstrap live in sbin, which a CI PATH may lack.
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"

log() { printf '[docker-for-tests] %s\n' "$*" >&2; }

die() {
    printf '%s\n' \
        "==========================================================================" \
        "docker-for-tests: FAILED: $*" \
        "Container-backed tests cannot run; the caller should skip them with this reason." \
        "==========================================================================" >&2
    exit 1
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "$1 needs root (running as uid $(id -u))"
}

# --- cleanup of whatever this run created ---------------------------------------

SMOKE_CONTAINERS=()
TMP_PATHS=()
POLICY_RC_CREATED=
ENGINE_HOST=
cleanup() {
    local c p
    for c in "${SMOKE_CONTAINERS[@]}"; do
        docker rm -f "$c" >/dev/null 2>&1 || true
    done
    # A signal can land between `docker run` returning and the id being recorded;
    # check containers carry our label, and the lock means no other run has any.
    if [[ -n $ENGINE_HOST ]]; then
        remove_old_smoke_containers 2>/dev/null || true
    fi
    for p in "${TMP_PATHS[@]}"; do
        rm -rf --one-file-system "$p" 2>/dev/null || true
    done
    if [[ -n $POLICY_RC_CREATED ]]; then
        rm -f /usr/sbin/policy-rc.d
    fi
}
trap cleanup EXIT
# Turn INT/TERM into a normal exit so the EXIT trap removes check containers.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. packages ---------------------------------------------------------------

ensure_packages() {
    local missing=()
    command -v dockerd >/dev/null && command -v docker-proxy >/dev/null \
        && command -v docker >/dev/null || missing+=(docker.io)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    [[ -x $NATS_BIN ]] || missing+=(nats-server)
    ((${#missing[@]} == 0)) && return 0

    need_root "installing ${missing[*]}"
    log "installing ${missing[*]} from Debian"
    # Installing docker.io (or nats-server) must not start the distribution's own
    # daemon: a system dockerd would grab docker0 and fight ours. policy-rc.d with
    # exit 101 tells invoke-rc.d "don't start services"; only add it if none exists.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    # --no-install-recommends: recommends such as needrestart or apparmor are not
    # wanted on a CI machine and are not needed by dockerd.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
    if [[ -n $POLICY_RC_CREATED ]]; then
        rm -f /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=
    fi
}

# --- 2. engine -----------------------------------------------------------------

engine_answers() {
    # `timeout`: a wedged daemon can accept the connection and never reply.
    timeout 15 docker -H "$1" info >/dev/null 2>&1
}

# Our dockerd, if the pidfile names a live process that is really it.
our_dockerd_pid() {
    local pidfile="$STATE_DIR/dockerd.pid" pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--data-root $STATE_DIR/data" || return 1
    printf '%s\n' "$pid"
}

stop_our_dockerd() {
    local pid=$1 i
    log "stopping unresponsive dockerd (pid $pid, started by an earlier run)"
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 30; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
}

start_engine() {
    local host="unix://$SOCKET_PATH" logfile="$STATE_DIR/dockerd.log" pid i
    need_root "starting dockerd"
    mkdir -p "$STATE_DIR/data" "$STATE_DIR/exec" "$(dirname "$SOCKET_PATH")"

    # A dockerd of ours that is alive but does not answer (still starting, or hung).
    if pid=$(our_dockerd_pid); then
        log "dockerd of an earlier run is alive (pid $pid); waiting for it to answer"
        for ((i = 0; i < START_TIMEOUT; i++)); do
            engine_answers "$host" && return 0
            kill -0 "$pid" 2>/dev/null || break
            sleep 1
        done
        if pid=$(our_dockerd_pid); then
            stop_our_dockerd "$pid"
        fi
    fi
    rm -f "$STATE_DIR/dockerd.pid"

    # Keep the log from growing without bound across many CI runs.
    if [[ -f $logfile ]] && (($(stat -c %s "$logfile") > 10485760)); then
        mv -f "$logfile" "$logfile.1"
    fi
    printf '\n==== %s docker-for-tests starting dockerd\n' "$(date -u +%FT%TZ)" >>"$logfile"

    log "starting dockerd on $host (state in $STATE_DIR, log $logfile)"
    # No --default-ulimit: containers inherit dockerd's limits, and raising the
    # hard nofile limit above the machine's (20000 here) fails every container
    # start with "error setting rlimit type 7: operation not permitted".
    # The engine must outlive this script and must not hold any of the caller's
    # files open: a pipe it inherits (our stdout, which `$(docker-for-tests.sh)`
    # reads to EOF, a stderr piped through `tee`, a CI harness's descriptor, our
    # lock on fd 9) would make the caller wait for dockerd to exit, or hold the
    # lock for ever. So the subshell closes every descriptor above 2 before exec;
    # setsid keeps it out of the caller's process group and its signals.
    (
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            if ((fd > 2)) && [[ -e /proc/$BASHPID/fd/$fd ]]; then
                exec {fd}>&-
            fi
        done
        exec setsid dockerd \
            --host "$host" \
            --data-root "$STATE_DIR/data" \
            --exec-root "$STATE_DIR/exec" \
            --pidfile "$STATE_DIR/dockerd.pid" \
            --storage-driver vfs \
            --iptables=false \
            --ip-masq=false \
            --ip-forward=false \
            --userland-proxy=true \
            --userland-proxy-path "$(command -v docker-proxy)"
    ) </dev/null >>"$logfile" 2>&1 &
    pid=$!

    for ((i = 0; i < START_TIMEOUT; i++)); do
        if engine_answers "$host"; then
            log "dockerd is up (pid $pid) after ${i}s"
            return 0
        fi
        # ($! is dockerd itself unless setsid had to fork; the pidfile covers that.)
        if ! kill -0 "$pid" 2>/dev/null && ! our_dockerd_pid >/dev/null && ((i > 2)); then
            tail -n 30 "$logfile" >&2 || true
            die "dockerd exited during startup (see $logfile)"
        fi
        sleep 1
    done
    tail -n 30 "$logfile" >&2 || true
    kill -TERM "$pid" 2>/dev/null || true
    die "dockerd did not answer on $host within ${START_TIMEOUT}s (see $logfile)"
}

choose_engine() {
    if [[ -n ${DOCKER_HOST:-} ]] && engine_answers "$DOCKER_HOST"; then
        log "reusing the Docker engine at DOCKER_HOST=$DOCKER_HOST"
        ENGINE_HOST=$DOCKER_HOST
    elif engine_answers "unix://$SOCKET_PATH"; then
        log "reusing the running engine at unix://$SOCKET_PATH"
        ENGINE_HOST="unix://$SOCKET_PATH"
    else
        if [[ -n ${DOCKER_HOST:-} ]]; then
            log "DOCKER_HOST=$DOCKER_HOST does not answer; using our own engine instead"
        fi
        start_engine
        ENGINE_HOST="unix://$SOCKET_PATH"
    fi
    export DOCKER_HOST=$ENGINE_HOST
    # A docker context would otherwise take precedence over nothing, but be explicit.
    unset DOCKER_CONTEXT
}

# --- helpers for images and checks ------------------------------------------------

image_label() { # image label -> value, empty if image or label is absent
    docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# Hash of everything that defines an image, stored as a label: a changed input
# (support file, import options, binary) makes the next run rebuild instead of
# silently reusing a stale image with the same version tag.
recipe_hash() {
    { printf 'recipe %s\n' "$RECIPE_VERSION"; cat "$@"; } | sha256sum | cut -c1-16
}

remove_old_smoke_containers() {
    local ids
    ids=$(docker ps -aq --filter "label=$SMOKE_LABEL") || return 0
    if [[ -n $ids ]]; then
        log "removing check containers left by an interrupted run"
        # shellcheck disable=SC2086 # word splitting of the id list is intended
        docker rm -f $ids >/dev/null 2>&1 || true
    fi
}

# `docker run -d` for a check container, labelled for cleanup; sets CHECK_CID.
# (Not called as $(...): the cleanup list must be updated in this shell.)
# With --ip-forward=false the engine warns "IPv4 forwarding is disabled.
# Networking will not work." on every run; published ports work all the same (the
# checks prove it), so that misleading line is dropped from the log.
run_check_container() {
    local errf rc=0
    errf=$(mktemp)
    TMP_PATHS+=("$errf")
    CHECK_CID=$(docker run -d --label "$SMOKE_LABEL" "$@" 2>"$errf") || rc=$?
    grep -v 'IPv4 forwarding is disabled' "$errf" >&2 || true
    ((rc == 0)) || return "$rc"
    SMOKE_CONTAINERS+=("$CHECK_CID")
}

# First host port that container $1 publishes for $2 (e.g. 4222/tcp).
mapped_port() {
    docker port "$1" "$2" 2>/dev/null | sed -n '1s/.*://p'
}

# First line a server on 127.0.0.1:$1 sends (NATS greets with "INFO {...}").
# A subshell, so the fd and any SIGPIPE stay in it; read -t bounds the wait.
tcp_first_line() (
    local l=""
    exec 4<>"/dev/tcp/127.0.0.1/$1" || exit 1
    IFS= read -r -t 3 l <&4 || true
    printf '%s' "$l"
) 2>/dev/null

# Does 127.0.0.1:$1 speak AMQP 0-9-1? After the protocol header the broker sends
# connection.start, a method frame, whose first byte is the frame type 1.
amqp_answers() (
    local b=""
    exec 4<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'AMQP\0\0\t\1' >&4
    IFS= read -r -N 1 -d '' -t 5 b <&4 || true
    [[ $b == $'\x01' ]]
) 2>/dev/null

# --- 3. NATS image -------------------------------------------------------------

NATS_CHANGES=(
    --change 'ENTRYPOINT ["/usr/sbin/nats-server"]'
    --change 'EXPOSE 4222 8222'
)

build_nats_image() { # tag recipe version
    local tag=$1 recipe=$2 version=$3 root lib
    root=$(mktemp -d "${TMPDIR:-/tmp}/omnibus-nats-root.XXXXXX")
    TMP_PATHS+=("$root")
    chmod 0755 "$root"
    install -D -m 0755 "$NATS_BIN" "$root/usr/sbin/nats-server"
    # Only the shared libraries the binary links (libc and the loader on Debian);
    # `ldd` prints "name => /path (addr)" or "/path (addr)"; vdso has no path.
    while read -r lib; do
        install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
    done < <(ldd "$NATS_BIN" | grep -o '/[^ ]*')
    # JetStream's default store directory is /tmp/nats/jetstream.
    install -d -m 1777 "$root/tmp"
    log "building $tag from $NATS_BIN"
    tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
        docker import "${NATS_CHANGES[@]}" \
            --change "LABEL org.opencontainers.image.version=$version" \
            --change "LABEL dev.omnibus.recipe=$recipe" \
            - "$tag" >/dev/null || die "docker import of $tag failed"
}

check_nats_image() { # image
    local img=$1 cid port line="" i
    run_check_container -p 127.0.0.1::4222 "$img" -js || die "cannot run a container of $img"
    cid=$CHECK_CID
    for ((i = 0; i < 50; i++)); do
        port=$(mapped_port "$cid" 4222/tcp)
        if [[ -n $port ]]; then
            # NATS greets every client with an INFO line.
            line=$(tcp_first_line "$port") || true
            [[ $line == INFO* ]] && break
        fi
        sleep 0.2
    done
    if [[ $line != INFO* ]]; then
        docker logs "$cid" 2>&1 | tail -n 20 >&2 || true
        die "a container of $img did not answer on its published port 127.0.0.1:${port:-?} (docker-proxy / bridge networking broken?)"
    fi
    log "check ok: $img answers on published port 127.0.0.1:$port"
    docker rm -f "$cid" >/dev/null
}

ensure_nats_image() {
    local version recipe tag
    version=$("$NATS_BIN" --version | sed -n 's/.*v\([0-9][0-9.]*\).*/\1/p')
    [[ -n $version ]] || die "cannot read the version of $NATS_BIN"
    recipe=$(recipe_hash "$NATS_BIN" <(printf '%s\n' "${NATS_CHANGES[@]}" "$version"))
    tag="$NATS_REPO:$version"
    if [[ $(image_label "$tag" dev.omnibus.recipe) == "$recipe" ]]; then
        log "reusing image $tag"
    else
        build_nats_image "$tag" "$recipe" "$version"
    fi
    docker tag "$tag" "$NATS_REPO:latest"
    # Checked on every run (about a second): it also proves that this engine
    # publishes ports to the host, which the tests depend on.
    check_nats_image "$tag"
    NATS_IMAGE=$tag
}

# --- 4. RabbitMQ image ---------------------------------------------------------

RABBIT_ROOTFS="$STATE_DIR/rootfs/rabbitmq-$SUITE"

RABBIT_CHANGES=(
    # Debian's /usr/sbin/rabbitmq-server wrapper, run as root, su's to rabbitmq
    # under a /bin/sh that ignores SIGTERM as PID 1 (docker stop then waits 10 s
    # and kills), and run as rabbitmq it sends the log to a file. So the image runs
    # as rabbitmq with RabbitMQ's own scripts first on PATH: `rabbitmq-server`
    # logs to stdout and shuts down cleanly on SIGTERM; `docker exec ... rabbitmqctl`
    # finds the Erlang cookie in HOME.
    --change 'USER rabbitmq'
    --change 'WORKDIR /var/lib/rabbitmq'
    --change 'ENV HOME=/var/lib/rabbitmq'
    --change 'ENV PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    # Erlang warns and misbehaves with file names under a latin1 locale.
    --change 'ENV LANG=C.UTF-8'
    # A fixed node name: the node never depends on the container's hostname
    # resolving, and its data directory name does not change with the container id.
    --change 'ENV RABBITMQ_NODENAME=rabbit@localhost'
    --change 'CMD ["rabbitmq-server"]'
    --change 'EXPOSE 5672 15672'
)

# What apt on this machine uses for $SUITE: sources.list one-line entries first,
# then deb822 .sources files. Only http(s) mirrors qualify for debootstrap.
debian_mirror() {
    local f uri=""
    if [[ -n ${OMNIBUS_DEBIAN_MIRROR:-} ]]; then
        printf '%s\n' "$OMNIBUS_DEBIAN_MIRROR"
        return
    fi
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -r $f ]] || continue
        uri=$(awk -v s="$SUITE" '
            $1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == s && $i ~ /^https?:\/\//) { print $i; exit }
            }' "$f")
        [[ -n $uri ]] && break
    done
    if [[ -z $uri ]]; then
        for f in /etc/apt/sources.list.d/*.sources; do
            [[ -r $f ]] || continue
            uri=$(awk -v s="$SUITE" '
                function flush() {
                    if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") \
                        && tolower(enabled) != "no" && uris ~ /^https?:\/\//) {
                        split(uris, u, " "); print u[1]; found = 1
                    }
                    types = uris = suites = ""; enabled = "yes"
                }
                BEGIN { enabled = "yes" }
                /^[ \t]*#/ { next }
                /^[ \t]*$/ { flush(); if (found) exit; next }
                {
                    gsub(/\t/, " ")
                    key = tolower($1); val = $0; sub(/^[^:]*:[ ]*/, "", val)
                    if (key == "types:") types = val
                    else if (key == "uris:") uris = val
                    else if (key == "suites:") suites = val
                    else if (key == "enabled:") enabled = val
                }
                END { if (!found) flush() }' "$f")
            [[ -n $uri ]] && break
        done
    fi
    if [[ -z $uri ]]; then
        uri=http://deb.debian.org/debian
        log "no apt source names suite $SUITE; falling back to $uri"
    fi
    printf '%s\n' "${uri%/}"
}

ensure_rabbit_rootfs() {
    local mirror tmp mnt proxy=""
    [[ -f $RABBIT_ROOTFS.complete && -d $RABBIT_ROOTFS ]] && return 0
    need_root "debootstrap"
    command -v debootstrap >/dev/null || die "debootstrap is not installed"
    mirror=$(debian_mirror)
    tmp="$RABBIT_ROOTFS.tmp"
    mkdir -p "$(dirname "$RABBIT_ROOTFS")"
    # An interrupted debootstrap can leave proc/sys mounted inside its target:
    # unmount them (deepest first) before deleting, and never cross file systems.
    if [[ -e $tmp ]]; then
        while read -r mnt; do
            umount -l "$mnt" 2>/dev/null || true
        done < <(findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r)
        rm -rf --one-file-system "$tmp"
    fi
    rm -rf --one-file-system "$RABBIT_ROOTFS" "$RABBIT_ROOTFS.complete"
    # debootstrap fetches with wget, which honours http_proxy but not apt's config.
    eval "$(apt-config shell proxy Acquire::http::Proxy)"
    if [[ -n $proxy ]]; then
        export http_proxy=$proxy
    fi
    log "debootstrap $SUITE with rabbitmq-server from $mirror (1-3 minutes; log $STATE_DIR/debootstrap.log)"
    if ! timeout 1800 debootstrap --variant=minbase --include=rabbitmq-server \
        "$SUITE" "$tmp" "$mirror" >"$STATE_DIR/debootstrap.log" 2>&1; then
        tail -n 30 "$STATE_DIR/debootstrap.log" >&2 || true
        die "debootstrap of $SUITE with rabbitmq-server from $mirror failed (see $STATE_DIR/debootstrap.log)"
    fi
    # The downloaded .debs are not needed once installed.
    rm -f "$tmp"/var/cache/apt/archives/*.deb
    mv "$tmp" "$RABBIT_ROOTFS"
    touch "$RABBIT_ROOTFS.complete"
    log "cached the RabbitMQ root filesystem in $RABBIT_ROOTFS"
}

rootfs_rabbit_version() { # full Debian version of rabbitmq-server in the cache
    dpkg-query --admindir="$RABBIT_ROOTFS/var/lib/dpkg" -W -f='${Version}' rabbitmq-server
}

build_rabbit_image() { # tag recipe version debian-version
    local tag=$1 recipe=$2 version=$3 debversion=$4 uid gid
    log "building $tag from $RABBIT_ROOTFS"
    install -m 0644 "$SUPPORT_DIR/rabbitmq.conf" "$RABBIT_ROOTFS/etc/rabbitmq/rabbitmq.conf"
    # Owned by rabbitmq (ids from the rootfs, not the host), so that
    # `docker exec <c> rabbitmq-plugins enable ...` can rewrite it.
    uid=$(awk -F: '$1 == "rabbitmq" { print $3 }' "$RABBIT_ROOTFS/etc/passwd")
    gid=$(awk -F: '$1 == "rabbitmq" { print $4 }' "$RABBIT_ROOTFS/etc/passwd")
    install -m 0644 -o "$uid" -g "$gid" "$SUPPORT_DIR/enabled_plugins" \
        "$RABBIT_ROOTFS/etc/rabbitmq/enabled_plugins"
    # --numeric-owner: the rootfs's uids (rabbitmq is 101 there) must not be
    # renamed after whatever the host calls those ids. The excluded parts are
    # dead weight that vfs would copy for every container.
    tar -C "$RABBIT_ROOTFS" --numeric-owner \
        --exclude='./var/cache/apt/*' --exclude='./var/lib/apt/lists/*' \
        --exclude='./usr/share/doc/*' --exclude='./usr/share/man/*' \
        --exclude='./usr/share/info/*' --exclude='./usr/share/locale/*' \
        -c . |
        docker import "${RABBIT_CHANGES[@]}" \
            --change "LABEL org.opencontainers.image.version=$version" \
            --change "LABEL dev.omnibus.debian-version=$debversion" \
            --change "LABEL dev.omnibus.recipe=$recipe" \
            - "$tag" >/dev/null || die "docker import of $tag failed"
}

check_rabbit_image() { # image
    local img=$1 cid port started=0 amqp_ok=0 i
    log "checking $img (waits for 'Server startup complete', up to ${RABBIT_TIMEOUT}s)"
    run_check_container -p 127.0.0.1::5672 "$img" || die "cannot run a container of $img"
    cid=$CHECK_CID
    for ((i = 0; i < RABBIT_TIMEOUT * 2; i++)); do
        if docker logs "$cid" 2>&1 | grep -q 'Server startup complete'; then
            started=1
            break
        fi
        if [[ $(docker inspect --format '{{.State.Running}}' "$cid" 2>/dev/null) != true ]]; then
            break
        fi
        sleep 0.5
    done
    if ((started)); then
        port=$(mapped_port "$cid" 5672/tcp)
        # Send the AMQP 0-9-1 protocol header; the broker answers with a method
        # frame (type 1, connection.start).
        if amqp_answers "$port"; then
            amqp_ok=1
        fi
    fi
    if ((!amqp_ok)); then
        # The first errors say why (e.g. a bad rabbitmq.conf key); the tail says how
        # it ended.
        docker logs "$cid" 2>&1 | grep -m 15 -F '[error]' >&2 || true
        echo ... >&2
        docker logs "$cid" 2>&1 | tail -n 20 >&2 || true
        docker rm -f "$cid" >/dev/null 2>&1 || true
        # Untag, so the next run rebuilds rather than trusting a broken image.
        docker rmi -f "$img" "$RABBIT_REPO:latest" >/dev/null 2>&1 || true
        if ((started)); then
            die "$img started but did not speak AMQP on published port 127.0.0.1:${port:-?}"
        fi
        die "$img did not log 'Server startup complete' within ${RABBIT_TIMEOUT}s"
    fi
    log "check ok: $img started in $((i / 2))s and speaks AMQP on 127.0.0.1:$port"
    docker rm -f "$cid" >/dev/null
}

ensure_rabbit_image() {
    local recipe debversion version tag built=0
    recipe=$(recipe_hash "$SUPPORT_DIR/rabbitmq.conf" "$SUPPORT_DIR/enabled_plugins" \
        <(printf '%s\n' "${RABBIT_CHANGES[@]}" "$SUITE"))

    if [[ ! -f $RABBIT_ROOTFS.complete ]] &&
        [[ $(image_label "$RABBIT_REPO:latest" dev.omnibus.recipe) == "$recipe" ]]; then
        # Image built by an earlier run whose rootfs cache is gone: still good.
        version=$(image_label "$RABBIT_REPO:latest" org.opencontainers.image.version)
        tag="$RABBIT_REPO:$version"
        docker tag "$RABBIT_REPO:latest" "$tag"
        log "reusing image $tag"
    else
        ensure_rabbit_rootfs
        debversion=$(rootfs_rabbit_version) || die "no rabbitmq-server in $RABBIT_ROOTFS"
        # Upstream version: drop the epoch and the Debian revision (3.10.8-1.1+deb12u1
        # -> 3.10.8); "+" is not allowed in a Docker tag anyway.
        version=${debversion#*:}
        version=${version%-*}
        tag="$RABBIT_REPO:$version"
        if [[ $(image_label "$tag" dev.omnibus.recipe) == "$recipe" &&
            $(image_label "$tag" dev.omnibus.debian-version) == "$debversion" ]]; then
            log "reusing image $tag"
        else
            build_rabbit_image "$tag" "$recipe" "$version" "$debversion"
            built=1
        fi
        docker tag "$tag" "$RABBIT_REPO:latest"
    fi
    # The RabbitMQ check costs ~10 s, so it runs after a build (or on request);
    # a failed check untags the image, so it is never reused unchecked.
    if ((built)) || [[ ${OMNIBUS_DOCKER_VERIFY:-} == all ]]; then
        check_rabbit_image "$tag"
    fi
    RABBIT_IMAGE=$tag
}

# --- 5. Kafka image ------------------------------------------------------------

KAFKA_SUPPORT="$SUPPORT_DIR/kafka"
# The JDK modules the broker and its tools use (java.se is every java.* module).
KAFKA_JAVA_MODULES=java.se,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.naming.dns,jdk.security.auth,jdk.security.jgss,jdk.unsupported,jdk.zipfs

KAFKA_CHANGES=(
    --change 'ENTRYPOINT ["/usr/local/bin/kafka-local-entrypoint"]'
    --change 'ENV PATH=/opt/java/bin:/usr/local/bin:/usr/bin:/bin'
    --change 'WORKDIR /var/lib/kafka'
    --change 'EXPOSE 9092'
)

kafka_version() { # the root pom's kafka.version: the tests' client and LocalKafkaServer use it
    sed -n 's:.*<kafka\.version>\([^<]*\)</kafka\.version>.*:\1:p' "$REPO_DIR/pom.xml" | head -n 1
}

kafka_jdk() {
    local java
    if [[ -n ${OMNIBUS_KAFKA_JDK:-} ]]; then
        printf '%s\n' "$OMNIBUS_KAFKA_JDK"
        return
    fi
    java=$(command -v java) || die "no java on PATH for the Kafka image (set OMNIBUS_KAFKA_JDK)"
    java=$(readlink -f "$java")
    printf '%s\n' "${java%/bin/java}"
}

# Copies into root $1 the shared libraries that the ELF files $2... link (from the host), except
# those inside root itself (the runtime's own libjli.so and friends).
copy_linked_libs() {
    local root=$1 lib
    shift
    while read -r lib; do
        [[ $lib == "$root"/* || -e $root$lib ]] && continue
        install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
    done < <(for f in "$@"; do ldd "$f" 2>/dev/null || true; done | grep -o '/[^ ]*' | sort -u)
}

build_kafka_image() { # tag recipe version jdk
    local tag=$1 recipe=$2 version=$3 jdk=$4 root f elves=()
    root=$(mktemp -d "${TMPDIR:-/tmp}/omnibus-kafka-root.XXXXXX")
    TMP_PATHS+=("$root")
    chmod 0755 "$root"
    command -v mvn >/dev/null || die "mvn is needed to resolve the Kafka $version jars for $tag"
    log "resolving the Kafka $version broker jars with Maven (~/.m2, else Maven Central)"
    # (-q still ends its output with colour resets; they are dropped.)
    mvn -B -q -f "$KAFKA_SUPPORT/pom.xml" -Dkafka.version="$version" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$root/opt/kafka/libs" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2 \
        || die "Maven could not resolve org.apache.kafka:kafka_2.13:$version and kafka-server (see above)"
    if [[ -d $jdk/jmods ]]; then
        "$jdk/bin/jlink" --add-modules "$KAFKA_JAVA_MODULES" --strip-debug --no-header-files --no-man-pages \
            --output "$root/opt/java" || die "jlink of $jdk failed"
    else
        # A JDK without jmods: copy it, symlinks (Debian's point into /etc) resolved.
        mkdir -p "$root/opt/java"
        tar -C "$jdk" -h --exclude=./jmods --exclude=./lib/src.zip --exclude=./include --exclude=./man \
            --exclude=./docs --exclude=./demo -c . | tar -C "$root/opt/java" -x || die "copying $jdk failed"
    fi
    # The only other program: a POSIX shell for the entrypoint (builtins only).
    install -D -m 0755 "$(readlink -f /bin/sh)" "$root/bin/sh"
    while IFS= read -r -d '' f; do
        elves+=("$f")
    done < <(find "$root/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0)
    copy_linked_libs "$root" "${elves[@]}" "$root/bin/sh"
    install -D -m 0644 "$KAFKA_SUPPORT/server.properties" "$root/opt/kafka/config/server.properties"
    install -D -m 0644 "$KAFKA_SUPPORT/log4j2.properties" "$root/opt/kafka/config/log4j2.properties"
    install -D -m 0755 "$KAFKA_SUPPORT/entrypoint.sh" "$root/usr/local/bin/kafka-local-entrypoint"
    install -d -m 0755 "$root/etc" "$root/root" "$root/var/lib/kafka"
    install -d -m 1777 "$root/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\n' >"$root/etc/group"
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
    log "building $tag from $jdk and the Kafka $version jars ($(du -sh "$root" | cut -f1))"
    tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
        docker import "${KAFKA_CHANGES[@]}" \
            --change "LABEL org.opencontainers.image.version=$version" \
            --change "LABEL dev.omnibus.recipe=$recipe" \
            - "$tag" >/dev/null || die "docker import of $tag failed"
}

# Does 127.0.0.1:$1 speak Kafka? An ApiVersions v0 request (api key 18, correlation id 1, null
# client id); the response starts with its length and then the correlation id 00 00 00 01.
kafka_answers() (
    local reply
    exec 4<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x01\xff\xff' >&4
    reply=$(timeout 5 head -c 8 <&4 | od -An -tx1 | tr -d ' \n')
    [[ ${reply:8:8} == 00000001 ]]
) 2>/dev/null

check_kafka_image() { # image
    local img=$1 cid port started=0 ok=0 i
    log "checking $img (waits for 'Kafka Server started', up to ${KAFKA_TIMEOUT}s)"
    run_check_container -p 127.0.0.1::9092 "$img" || die "cannot run a container of $img"
    cid=$CHECK_CID
    for ((i = 0; i < KAFKA_TIMEOUT * 2; i++)); do
        if docker logs "$cid" 2>&1 | grep -q 'Kafka Server started'; then
            started=1
            break
        fi
        if [[ $(docker inspect --format '{{.State.Running}}' "$cid" 2>/dev/null) != true ]]; then
            break
        fi
        sleep 0.5
    done
    if ((started)); then
        port=$(mapped_port "$cid" 9092/tcp)
        kafka_answers "$port" && ok=1
    fi
    if ((!ok)); then
        docker logs "$cid" 2>&1 | tail -n 30 >&2 || true
        docker rm -f "$cid" >/dev/null 2>&1 || true
        docker rmi -f "$img" "$KAFKA_REPO:latest" >/dev/null 2>&1 || true
        if ((started)); then
            die "$img started but did not answer a Kafka ApiVersions request on 127.0.0.1:${port:-?}"
        fi
        die "$img did not log 'Kafka Server started' within ${KAFKA_TIMEOUT}s"
    fi
    log "check ok: $img started in $((i / 2))s and speaks Kafka on 127.0.0.1:$port"
    docker rm -f "$cid" >/dev/null
}

ensure_kafka_image() {
    local version jdk recipe tag built=0
    version=$(kafka_version)
    [[ -n $version ]] || die "cannot read kafka.version from $REPO_DIR/pom.xml"
    jdk=$(kafka_jdk)
    [[ -x $jdk/bin/java && -r $jdk/release ]] || die "$jdk is not a JDK (no bin/java or release); set OMNIBUS_KAFKA_JDK"
    grep -Eq '^JAVA_VERSION="(1[7-9]|[2-9][0-9])' "$jdk/release" \
        || die "$jdk is older than Java 17, which Kafka $version needs; set OMNIBUS_KAFKA_JDK"
    # The JDK's release file and java binary identify the runtime; the recipe files the rest.
    recipe=$(recipe_hash "$KAFKA_SUPPORT/pom.xml" "$KAFKA_SUPPORT/server.properties" \
        "$KAFKA_SUPPORT/log4j2.properties" "$KAFKA_SUPPORT/entrypoint.sh" "$jdk/release" "$jdk/bin/java" \
        <(printf '%s\n' "${KAFKA_CHANGES[@]}" "$KAFKA_JAVA_MODULES" "$version" "$jdk"))
    tag="$KAFKA_REPO:$version"
    if [[ $(image_label "$tag" dev.omnibus.recipe) == "$recipe" ]]; then
        log "reusing image $tag"
    else
        build_kafka_image "$tag" "$recipe" "$version" "$jdk"
        built=1
    fi
    docker tag "$tag" "$KAFKA_REPO:latest"
    # Like RabbitMQ's, the check (about 10 s) runs after a build or on request.
    if ((built)) || [[ ${OMNIBUS_DOCKER_VERIFY:-} == all ]]; then
        check_kafka_image "$tag"
    fi
    KAFKA_IMAGE=$tag
}

# --- main ----------------------------------------------------------------------

main() {
    local t0=$SECONDS
    [[ -r $SUPPORT_DIR/rabbitmq.conf && -r $SUPPORT_DIR/enabled_plugins && -r $SUPPORT_DIR/kafka/entrypoint.sh ]] \
        || die "support files missing in $SUPPORT_DIR"
    mkdir -p "$STATE_DIR" || die "cannot create $STATE_DIR (set OMNIBUS_DOCKER_DIR)"
    # Serialise concurrent runs: they would race on apt, dockerd, debootstrap and tags.
    exec 9>"$STATE_DIR/lock"
    flock -w 1800 9 || die "another docker-for-tests.sh run holds $STATE_DIR/lock"
    ensure_packages

    choose_engine
    remove_old_smoke_containers
    ensure_nats_image
    ensure_rabbit_image
    ensure_kafka_image
    log "ready in $((SECONDS - t0))s: engine $DOCKER_HOST, images $NATS_IMAGE, $RABBIT_IMAGE and $KAFKA_IMAGE"

    # The last lines on stdout: exactly `export NAME=value`, nothing else.
    {
        printf 'export DOCKER_HOST=%s\n' "$DOCKER_HOST"
        # The Ryuk reaper image cannot be pulled here; fixtures stop their own containers.
        printf 'export TESTCONTAINERS_RYUK_DISABLED=true\n'
        # Without it Testcontainers, seeing it runs "inside a container", pulls an
        # alpine image to find the host's address.
        printf 'export TESTCONTAINERS_HOST_OVERRIDE=localhost\n'
        printf 'export OMNIBUS_RABBITMQ_IMAGE=%s\n' "$RABBIT_IMAGE"
        printf 'export OMNIBUS_NATS_IMAGE=%s\n' "$NATS_IMAGE"
        printf 'export OMNIBUS_KAFKA_IMAGE=%s\n' "$KAFKA_IMAGE"
    } >&3
}

main "$@"
