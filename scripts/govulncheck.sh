#!/usr/bin/env bash
# Runs govulncheck against the module with the offline vulnerability database
# `make deps` builds from golang.org/x/vulndb (build/vulndb), or GOVULNDB when
# set (file:///path or a URL). A missing database fails, and so does any
# vulnerability found: this check never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${GOVULNDB:-file://$PWD/build/vulndb}
if [[ $db == file://* && ! -s ${db#file://}/index/db.json ]]; then
	echo "govulncheck: no database at ${db#file://} (make deps builds it)" >&2
	exit 1
fi
exec govulncheck -db "$db" ./...
