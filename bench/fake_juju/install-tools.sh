#!/bin/sh
# install-tools.sh DIR: puts the fake hook tools (bench/fake_juju/hook-tool
# under each tool's name) in DIR, for PATH. They need FAKE_JUJU_STATE (a
# directory holding state.json, read with jq, or answers/), JUJU_UNIT_NAME,
# and FAKE_JUJU_LOG to record the calls.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
for t in is-leader config-get goal-state juju-log relation-ids relation-list relation-get \
         relation-set status-set status-get application-version-set resource-get; do
  ln -sf "$here/hook-tool" "$1/$t"
done
