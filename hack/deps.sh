#!/usr/bin/env bash
# Installs the Debian packages a make target needs, or stops within seconds
# with one line naming what is missing. Arguments are TOOL=PACKAGE pairs.
set -euo pipefail

missing=()
for pair in "$@"; do
	command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
done
((${#missing[@]})) || exit 0

if ! command -v apt-get >/dev/null 2>&1 || [[ $(id -u) != 0 ]]; then
	echo "missing Debian packages: ${missing[*]} (install them, or run make as root to have them installed)" >&2
	exit 1
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1; then
	echo "cannot install Debian packages: ${missing[*]} (apt-get failed)" >&2
	exit 1
fi
for pair in "$@"; do
	if ! command -v "${pair%%=*}" >/dev/null 2>&1; then
		echo "missing ${pair%%=*} after installing ${pair#*=}" >&2
		exit 1
	fi
done
