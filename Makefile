# A fresh machine needs two commands: `make demo` and `make test`. Everything else installs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .tools/sam
LINT_VENV := .tools/lint
AWSCLI_VENV := .tools/awscli
AXE := .tools/axe/node_modules/axe-core/axe.min.js
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
SITE ?= site
# sam build needs the runtime's Python (python3.13) on PATH; pyenv provides it on these machines.
PYTHON313_BIN ?= $(shell pyenv prefix 3.13 2>/dev/null | head -n 1 | sed 's|$$|/bin|')

.PHONY: demo dev test lint build install soak bench bench-full clean

$(BIN)/pressrun: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[local,dev]'
	touch $@

# The SAM CLI pins its own boto3, so it lives in its own environment; its version is pinned with the
# workflow's (.github/workflows/deploy.yml, SAM_CLI_VERSION), so CI builds with what `make` tests.
SAM_CLI_VERSION := 1.170.0
$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet 'aws-sam-cli==$(SAM_CLI_VERSION)'

# Template and workflow linters (zizmor is a Rust binary shipped as a PyPI wheel), kept out of the
# project's venv; pinned so that a new release cannot fail `make lint` unannounced.
$(LINT_VENV)/bin/checkov:
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install --quiet --upgrade pip
	$(LINT_VENV)/bin/pip install --quiet 'check-jsonschema==0.39.0' 'zizmor==1.32.0' 'checkov==3.3.30'

# The AWS CLI pins its own botocore too; the `pressrun dev` test drives it as a developer would.
$(AWSCLI_VENV)/bin/aws:
	$(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/pip install --quiet --upgrade pip
	$(AWSCLI_VENV)/bin/pip install --quiet awscli

# axe-core, which tests/clients runs in Chromium, from the npm registry at the version the lock pins.
$(AXE): tests/clients/browser/package.json tests/clients/browser/package-lock.json
	mkdir -p .tools/axe
	cp tests/clients/browser/package.json tests/clients/browser/package-lock.json .tools/axe/
	npm ci --prefix .tools/axe --ignore-scripts --no-audit --no-fund --silent
	touch $@

install: $(BIN)/pressrun

demo: install
	$(BIN)/pressrun publish --site $(SITE) samples/
	@echo
	@echo "See it as readers will: $(BIN)/pressrun serve $(SITE), then open http://127.0.0.1:8000/"

# The stack live on localhost: a moto server for the AWS CLI, and the site, updated as uploads arrive.
dev: install
	$(BIN)/pressrun dev --site $(SITE)

lint: install $(SAM_VENV)/bin/sam $(LINT_VENV)/bin/checkov
	$(BIN)/ruff check shared functions tests infra/smoke_test.py
	$(BIN)/ruff format --check shared functions tests infra/smoke_test.py
	$(BIN)/mypy shared/pressrun
	$(BIN)/mypy --strict infra/smoke_test.py
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --region us-east-1
	$(LINT_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download
	$(LINT_VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(LINT_VENV)/bin/zizmor --offline --min-severity medium .github/workflows

build: $(SAM_VENV)/bin/sam
	@test -x "$(PYTHON313_BIN)/python3.13" || { echo "sam build needs python3.13 (pyenv install 3.13)"; exit 1; }
	PATH="$(PYTHON313_BIN):$$PATH" $(SAM) build --build-dir .aws-sam/build

# The suite on every core, and on two at least (each test is isolated: its own tmp_path, free ports,
# its own moto). xdist's default scheduling hands each worker runs of neighbouring tests, so a module's
# expensive fixture is mostly built once (with --dist loadgroup, three were built twice in one run).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -gt 2 ] && echo "$$n" || echo 2)

test: lint build $(AWSCLI_VENV)/bin/aws $(AXE)
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=15

# Benchmarks (bench/README.md): a few minutes, or about an hour for the full run; the figures and the
# commands behind them land in docs/performance.md and docs/cost.md.
bench: install
	bash bench/setup.sh
	$(BIN)/python bench/run.py --quick

bench-full: install
	bash bench/setup.sh
	$(BIN)/python bench/run.py --full

# The fault-injection run at full size: 1,000 uploads with a tenth of the AWS calls failing; the
# delivery simulation's property test with twenty times the examples of `make test`; and the emulated
# stack's burst of corrections at 100 stories (`make test` corrects a month's 28).
soak: install
	PRESSRUN_SOAK_UPLOADS=1000 $(BIN)/pytest -q tests/e2e/test_delivery.py
	PRESSRUN_SIMULATION_EXAMPLES=20000 $(BIN)/pytest -q tests/simulation/test_convergence.py
	PRESSRUN_BURST_CORRECTIONS=100 $(BIN)/pytest -q tests/integration/test_emulated_costs.py -k burst

clean:
	rm -rf $(VENV) .tools .aws-sam $(SITE) .pytest_cache .mypy_cache .ruff_cache test-artifacts
