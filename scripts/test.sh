#!/usr/bin/env bash
# Installs what the tests need and runs every test: the Swift unit tests, then the end-to-end suite
# (boto3 and the aws CLI from PyPI, in .venv-test) against a real nimbus process.
#
#   scripts/test.sh              everything
#   scripts/test.sh --unit       Swift unit tests only
#   scripts/test.sh --e2e [ARGS] end-to-end tests only (ARGS go to pytest)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=all
if [ "${1:-}" = "--unit" ]; then mode=unit; shift; fi
if [ "${1:-}" = "--e2e" ]; then mode=e2e; shift; fi

if [ "$mode" != e2e ]; then
    echo "==> swift test"
    swift test
fi

if [ "$mode" != unit ]; then
    echo "==> swift build (the nimbus binary the end-to-end tests start)"
    swift build --product nimbus
    bin="$(swift build --product nimbus --show-bin-path)/nimbus"

    echo "==> end-to-end test requirements (.venv-test)"
    if [ ! -x .venv-test/bin/python ]; then
        python3 -m venv .venv-test
    fi
    .venv-test/bin/python -m pip install --quiet --disable-pip-version-check -r Tests/EndToEnd/requirements.txt

    echo "==> pytest Tests/EndToEnd"
    NIMBUS_BIN="$bin" .venv-test/bin/python -m pytest Tests/EndToEnd -q "$@"
fi
