#!/usr/bin/env bash
# `make image`: forewarn's image, built with podman from a wheelhouse made here, so the build
# itself needs no network. The base is BASE_IMAGE (an official slim Python by default); where
# no registry can be reached, a Debian 12 base made here with mmdebstrap, which it says.
# Prints the image's name. IMAGE names it (default localhost/forewarn:<version>).
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF="$PWD/deploy/containers.conf"
PYTHON=${PYTHON:-.venv/bin/python}
VERSION=$("$PYTHON" -c 'from importlib.metadata import version; print(version("forewarn"))')
IMAGE=${IMAGE:-localhost/forewarn:$VERSION}
BASE_IMAGE=${BASE_IMAGE:-docker.io/library/python:3.11-slim}
LOCAL_BASE=localhost/forewarn-base:bookworm
for tool in podman runc mmdebstrap; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing: \`make container-tools\` installs it" >&2; exit 1; }
done

context=.image
rm -rf "$context" && mkdir -p "$context"
"$PYTHON" -m pip wheel --quiet --wheel-dir "$context/wheelhouse" . 2> >(grep -v "^WARNING: Location" >&2)

if ! podman image exists "$BASE_IMAGE" && ! podman pull --quiet "$BASE_IMAGE" >/dev/null 2>&1; then
    echo "note: $BASE_IMAGE cannot be pulled here: building on a local Debian 12 base, $LOCAL_BASE" >&2
    if ! podman image exists "$LOCAL_BASE"; then
        mmdebstrap --quiet --variant=apt --include=python3,python3-venv,ca-certificates bookworm "$context/rootfs.tar"
        podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            "$context/rootfs.tar" "$LOCAL_BASE" >/dev/null
        rm -f "$context/rootfs.tar"
    fi
    BASE_IMAGE=$LOCAL_BASE
fi
podman build --quiet --format docker --file deploy/Containerfile --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --tag "$IMAGE" "$context" >/dev/null
echo "$IMAGE"
