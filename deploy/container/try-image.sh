#!/usr/bin/env bash
# Builds the nugget image from the Dockerfile, starts it, pushes and restores a package with the dotnet CLI
# against it, checks its HEALTHCHECK, and stops it with SIGTERM (through tini) to see it stop gracefully.
# Not part of `npm test` (it builds an image: minutes). docs/deployment.md, "Container image".
#   deploy/container/try-image.sh
# NODE_IMAGE picks the base: by default a local one made by debian-node-base.sh from Debian packages (built
# first when missing), for machines that reach no container registry; NODE_IMAGE=node:24-bookworm-slim uses
# the official image. CONTAINER_ENGINE=docker uses docker instead of podman. Needs dotnet (SDK 8 or later).
set -euo pipefail
# podman reads CONTAINERS_CONF in helper processes with other working directories.
[[ -n ${CONTAINERS_CONF:-} ]] && CONTAINERS_CONF=$(realpath "$CONTAINERS_CONF") && export CONTAINERS_CONF
cd "$(dirname "$0")/../.."

engine=${CONTAINER_ENGINE:-podman}
base=${NODE_IMAGE:-localhost/nugget-node-base:24}
image=localhost/nugget:try
name=nugget-try-$$
port=${PORT:-5055}
work=$(mktemp -d)
cleanup() {
  "$engine" rm -f "$name" > /dev/null 2>&1 || true
  "$engine" volume rm -f "$name-data" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

if [[ $base == localhost/* ]] && ! "$engine" image exists "$base" 2> /dev/null; then
  step "building the base image $base from Debian packages"
  deploy/container/debian-node-base.sh "$base"
fi

step "$engine build (base $base)"
options=(--network=host --build-arg NODE_IMAGE="$base" -t "$image")
[[ $engine == podman ]] && options+=(--format docker) # keeps HEALTHCHECK, which OCI images have no field for
# This machine's CA bundle, for npm behind a TLS-inspecting proxy (a build secret: not stored in the image).
ca=${BUILD_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}
[[ -f $ca ]] && options+=(--secret "id=ca,src=$ca")
"$engine" build "${options[@]}" . > "$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log"; exit 1; }
tail -3 "$work/build.log"

step "start: the API key from a file, the data in a volume"
node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))" > "$work/api-key"
chmod 0644 "$work/api-key" # readable by the image's user (uid 10001) through the read-only bind mount
"$engine" volume create "$name-data" > /dev/null
"$engine" run -d --name "$name" -p "127.0.0.1:$port:5000" \
  -e NUGGET_API_KEY_FILE=/run/secrets/api-key -v "$work/api-key:/run/secrets/api-key:ro" \
  -v "$name-data:/var/lib/nugget" "$image" > /dev/null
for _ in $(seq 1 120); do
  "$engine" logs "$name" 2>&1 | grep -q 'Service index:' && break
  sleep 0.5
done
"$engine" logs "$name" 2>&1 | grep -E 'Service index:|starting nugget' | sed 's/"time":[0-9]*,//'
"$engine" exec "$name" sh -c 'echo "PID 1: $(tr "\0" " " < /proc/1/cmdline)"; id'
url=http://127.0.0.1:$port/v3/index.json

step "dotnet pack, push and restore against $url"
export DOTNET_CLI_HOME=$work/home HOME=$work/home NUGET_PACKAGES=$work/packages NUGET_HTTP_CACHE_PATH=$work/http-cache
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$work/client"
cat > "$work/client/NuGet.Config" << XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="nugget" value="$url" protocolVersion="3" allowInsecureConnections="true" />
  </packageSources>
</configuration>
XML
cd "$work/client"
dotnet new classlib -n Try.Image -o lib > /dev/null
dotnet pack lib -c Release -o out -p:Version=1.0.0 > "$work/pack.log" || { cat "$work/pack.log"; exit 1; }
dotnet nuget push out/Try.Image.1.0.0.nupkg -s nugget -k "$(cat "$work/api-key")"
dotnet new console -n Try.App -o app > /dev/null
dotnet add app package Try.Image --version 1.0.0 > "$work/add.log" || { cat "$work/add.log"; exit 1; }
rm -rf "$NUGET_PACKAGES" "$NUGET_HTTP_CACHE_PATH" app/obj # restore from the feed, not from what `add` fetched
dotnet restore app
ls "$NUGET_PACKAGES/try.image/1.0.0/try.image.1.0.0.nupkg"
cd - > /dev/null

step "HEALTHCHECK"
healthy=yes
if [[ $engine == podman ]]; then
  "$engine" healthcheck run "$name" 2> /dev/null || healthy=no
else
  sleep 35
  [[ $("$engine" inspect --format '{{.State.Health.Status}}' "$name") == healthy ]] || healthy=no
fi
echo "healthy: $healthy"


step "stop: SIGTERM to tini, passed to nugget"
"$engine" stop -t 40 "$name" > /dev/null
"$engine" logs "$name" 2>&1 | grep -E '"msg":"(stopping|stopped)' | sed 's/"time":[0-9]*,//'
code=$("$engine" inspect --format '{{.State.ExitCode}}' "$name")
echo "exit code: $code"
[[ $healthy == yes && $code == 0 ]] || { echo "FAILED: healthy $healthy, exit code $code" >&2; exit 1; }
