#!/usr/bin/env bash
# Builds replwatch's container images, and local stand-ins for the public images docker-compose.yml uses when
# they cannot be pulled (no image registry reachable: air-gapped sites, and CI here).
#
#   deploy/images/build.sh                 # everything docker-compose.yml needs
#   deploy/images/build.sh --services      # only replwatch/collector, processor, alerter and lake
#   deploy/images/build.sh --public        # only the public images (or their stand-ins): no jars needed
#   deploy/images/build.sh --list          # the image names, one per line
#
# Service images: replwatch/<service>:<project version> and :latest, from the Maven build's jars (run first when
# they are missing: `mvn -B -q -DskipTests package`), one shared Dockerfile (service/Dockerfile).
# Public images (postgres, apache/kafka, the Apicurio registry, prom/prometheus, the JRE base): kept when present;
# pulled when a registry answers; otherwise built from Debian's packages and Maven Central under the same name
# and labelled io.replwatch.stand-in, on a Debian base made with debootstrap (localhost/debian:bookworm).
# REPLWATCH_STANDINS=never fails instead of building stand-ins; =always builds them without trying a pull.
# A stand-in already built is rebuilt through Docker's layer cache (seconds when nothing changed).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STAGE="${REPLWATCH_IMAGE_STAGE:-$ROOT/target/images}"
STANDINS="${REPLWATCH_STANDINS:-auto}"
# Debian's docker.io client builds without BuildKit; a newer client beside it may expect BuildKit.
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export DOCKER_BUILDKIT=0

pom_value() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$ROOT/pom.xml" | head -1; }
VERSION=$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml")
KAFKA_VERSION=$(pom_value kafka.version)
APICURIO_VERSION=$(pom_value apicurio.version)
PROMETHEUS_VERSION=v2.42.0

# The public images docker-compose.yml names (ComposeFileTest checks they agree) and their stand-ins' directories.
JRE_IMAGE=eclipse-temurin:17-jre
PUBLIC_IMAGES=(
  "$JRE_IMAGE jre"
  "postgres:15 postgres"
  "apache/kafka:$KAFKA_VERSION kafka"
  "apicurio/apicurio-registry-mem:$APICURIO_VERSION registry"
  "prom/prometheus:$PROMETHEUS_VERSION prometheus"
)
SERVICES=(
  "collector io.replwatch.collector.CollectorMain 9187"
  "processor io.replwatch.processor.ProcessorMain 9188"
  "alerter io.replwatch.alerter.AlerterMain 9189"
  "lake io.replwatch.lake.LakeMain 9191"
)

log() { echo "images: $*" >&2; }

list() {
  for p in "${PUBLIC_IMAGES[@]}"; do echo "${p%% *}"; done
  for s in "${SERVICES[@]}"; do echo "replwatch/${s%% *}:$VERSION"; done
}

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
is_stand_in() { [ -n "$("$DOCKER" image inspect -f '{{index .Config.Labels "io.replwatch.stand-in"}}' "$1" 2>/dev/null)" ]; }

debian_base() {
  image_exists localhost/debian:bookworm && return 0
  command -v debootstrap >/dev/null || { log "debootstrap is needed to make the Debian base (apt-get install debootstrap)"; exit 1; }
  local mirror rootfs
  # The machine's own mirror (deb822 "URIs:" or one-line "deb" entries; comments, such as a snapshot note, are not
  # sources), else Debian's redirector.
  mirror=$(grep -hE '^[[:space:]]*(URIs:|deb[[:space:]])' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
    | grep -oE 'https?://[^ ]*debian/?' | grep -v security | head -1 || true)
  rootfs=$(mktemp -d)
  log "making localhost/debian:bookworm with debootstrap from ${mirror:-http://deb.debian.org/debian} (about a minute)"
  debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; exit 1; }
  tar -C "$rootfs" -c . | "$DOCKER" import -c 'CMD ["bash"]' - localhost/debian:bookworm >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
}

stage_kafka() {
  local ctx="$1"
  if [ ! -f "$ctx/libs/.version-$KAFKA_VERSION" ]; then
    rm -rf "$ctx/libs"
    log "copying the Kafka $KAFKA_VERSION broker jars from Maven"
    mvn -B -q -Dstyle.color=never -f "$HERE/standins/kafka/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$ctx/libs" >&2
    touch "$ctx/libs/.version-$KAFKA_VERSION"
  fi
}

stage_registry() {
  local ctx="$1" home="$ROOT/sandbox/target/apicurio"
  if [ ! -d "$home" ]; then
    log "unpacking the Apicurio Registry runner (the sandbox module's build)"
    (cd "$ROOT" && mvn -B -q -Dstyle.color=never -pl sandbox -am -DskipTests package) >&2
  fi
  rm -rf "$ctx/apicurio" && cp -a "$home" "$ctx/apicurio"
}

public_image() {
  local name="$1" dir="$2"
  if image_exists "$name" && ! is_stand_in "$name"; then
    log "$name: present"
    return 0
  fi
  if [ "$STANDINS" != always ] && ! image_exists "$name" && "$DOCKER" pull -q "$name" >/dev/null 2>&1; then
    log "$name: pulled"
    return 0
  fi
  if [ "$STANDINS" = never ]; then
    log "$name cannot be pulled and REPLWATCH_STANDINS=never"
    exit 1
  fi
  debian_base
  local ctx="$STAGE/stand-ins/$dir"
  mkdir -p "$ctx"
  cp -a "$HERE/standins/$dir/." "$ctx/"
  case "$dir" in
    kafka) stage_kafka "$ctx" ;;
    registry) stage_registry "$ctx" ;;
  esac
  log "$name: building the stand-in (deploy/images/standins/$dir)"
  "$DOCKER" build -q -t "$name" --build-arg JRE_IMAGE="$JRE_IMAGE" --build-arg KAFKA_VERSION="$KAFKA_VERSION" \
    --build-arg APICURIO_VERSION="$APICURIO_VERSION" --build-arg PROMETHEUS_VERSION="$PROMETHEUS_VERSION" \
    "$ctx" >/dev/null
}

service_image() {
  local svc="$1" main="$2" port="$3" ctx="$STAGE/$1"
  local cp_file="$ROOT/$svc/target/runtime-classpath.txt"
  local jar
  jar=$(ls "$ROOT/$svc/target/replwatch-$svc-$VERSION.jar" 2>/dev/null || true)
  [ -f "$cp_file" ] && [ -n "$jar" ] || { log "the $svc module is not built: run mvn -B -DskipTests package first"; exit 1; }
  rm -rf "$ctx" && mkdir -p "$ctx/lib" "$ctx/app"
  { tr ':' '\n' <"$cp_file"; echo; } | while read -r f; do [ -n "$f" ] && cp "$f" "$ctx/lib/"; done
  cp "$jar" "$ctx/app/"
  "$DOCKER" build -q -f "$HERE/service/Dockerfile" -t "replwatch/$svc:$VERSION" -t "replwatch/$svc:latest" \
    --build-arg JRE_IMAGE="$JRE_IMAGE" --build-arg SERVICE="$svc" --build-arg MAIN_CLASS="$main" \
    --build-arg PORT="$port" --build-arg VERSION="$VERSION" "$ctx" >/dev/null
  log "replwatch/$svc:$VERSION: built"
}

services_built() {
  for s in "${SERVICES[@]}"; do
    local svc="${s%% *}"
    [ -f "$ROOT/$svc/target/runtime-classpath.txt" ] && [ -f "$ROOT/$svc/target/replwatch-$svc-$VERSION.jar" ] || return 1
  done
}

main() {
  case "${1:-}" in
    --list) list; return 0 ;;
    --services|--public|"") ;;
    *) echo "usage: $0 [--services|--public|--list]" >&2; exit 2 ;;
  esac
  "$DOCKER" info >/dev/null 2>&1 || { log "the Docker daemon does not answer ($DOCKER info)"; exit 1; }
  local started=$SECONDS
  if [ "${1:-}" != --services ]; then
    for p in "${PUBLIC_IMAGES[@]}"; do public_image ${p}; done
  elif ! image_exists "$JRE_IMAGE"; then
    public_image $JRE_IMAGE jre
  fi
  if [ "${1:-}" = --public ]; then
    log "public images done in $((SECONDS - started)) s"
    return 0
  fi
  if ! services_built; then
    log "building the services' jars (mvn -B -q -DskipTests package)"
    (cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests package -pl collector,processor,alerter,lake -am) >&2
  fi
  for s in "${SERVICES[@]}"; do service_image ${s}; done
  # The previous builds of replwatch's images, untagged by these: removed (stand-ins and pulled images are not).
  "$DOCKER" image prune -f --filter label=io.replwatch.service >/dev/null
  log "done in $((SECONDS - started)) s"
}

main "$@"
