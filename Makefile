SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

export DOTNET_NOLOGO := 1
export DOTNET_CLI_TELEMETRY_OPTOUT := 1

SOLUTION := CloudShelf.Sync.sln
TEST_PROJECTS := $(wildcard tests/*Tests/*.csproj)
TEST_RESULTS := TestResults
# Inside node_modules so that deleting node_modules also forgets the install.
NPM_STAMP := node_modules/.cloudshelf-npm-ci.stamp
BENCH_ARGS ?=

.PHONY: all deps build test bench clean

all: build

# PostgreSQL server binaries for the throwaway test clusters, dynalite, NuGet packages.
# Each step is skipped when already done, so a prepared machine pays only for `dotnet restore`.
deps:
	@if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then \
	    if [[ $$(id -u) != 0 ]]; then \
	        echo "PostgreSQL server binaries are missing; run 'make deps' as root to install them." >&2; \
	        exit 1; \
	    fi; \
	    apt-get update; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; \
	fi
	@if [[ ! -f node_modules/dynalite/cli.js || package-lock.json -nt $(NPM_STAMP) ]]; then \
	    echo "npm ci: node_modules is missing or older than package-lock.json"; \
	    npm ci --no-audit --no-fund; \
	    touch $(NPM_STAMP); \
	fi
	dotnet restore $(SOLUTION)

build: deps
	dotnet build $(SOLUTION) -c Release --no-restore

# Every project runs even after one fails; test-totals.sh then prints the summary line and
# fails the target when any test failed or any project could not run.
test: build
	@rm -rf $(TEST_RESULTS)
	@mkdir -p $(TEST_RESULTS)
	@for project in $(TEST_PROJECTS); do \
	    name=$$(basename "$$project" .csproj); \
	    code=0; \
	    dotnet test "$$project" -c Release --no-build \
	        --logger "trx;LogFileName=$$name.trx" --results-directory $(TEST_RESULTS) || code=$$?; \
	    echo "$$name $$code" >>$(TEST_RESULTS)/exit-codes; \
	done
	@scripts/test-totals.sh $(TEST_RESULTS)

bench: deps
	dotnet run -c Release --project bench/CloudShelf.Sync.Benchmarks -- $(BENCH_ARGS)

clean:
	rm -rf $(TEST_RESULTS) .artifacts
	find src tests $(wildcard bench) -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
