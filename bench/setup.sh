#!/usr/bin/env bash
# Installs what the benchmarks compare against and draw with, each in its own environment, never in
# the project's .venv: Hugo (Debian's package) and matplotlib (bench/.venv-plot). With `lambda`, also
# the Lambda-like environment that coldstart.py and memory.py use (bench/.venv-lambda: exactly the
# layer's requirements plus aws-xray-sdk, on python3.13 like the functions when it is there).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"

if ! command -v hugo >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q hugo
fi

venv() {  # venv DIR PYTHON CHECK PACKAGES...
    local dir="$1" python="$2" check="$3"
    shift 3
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" >/dev/null 2>&1; then
        return
    fi
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/pip" install --quiet --upgrade pip
    "$dir/bin/pip" install --quiet "$@"
}

venv .venv-plot "$PYTHON" "import matplotlib" "matplotlib==3.11.2"
echo "bench setup: hugo $(hugo version | cut -d' ' -f2), matplotlib $(.venv-plot/bin/python -c 'import matplotlib; print(matplotlib.__version__)')"

if [ "${1:-}" = "lambda" ]; then
    # The functions run on python3.13; pyenv provides it on these machines (the Makefile's build uses it too).
    LAMBDA_PYTHON="$PYTHON"
    if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv prefix 3.13 2>/dev/null | head -n 1)/bin/python3.13" ]; then
        LAMBDA_PYTHON="$(pyenv prefix 3.13 | head -n 1)/bin/python3.13"
    fi
    venv .venv-lambda "$LAMBDA_PYTHON" "import aws_lambda_powertools, pydantic_settings, aws_xray_sdk, boto3" \
        -r ../shared/requirements.txt "aws-xray-sdk==2.15.0"
    echo "bench setup: lambda env $(.venv-lambda/bin/python --version)"
fi
