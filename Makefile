# gomesos: Apache Mesos in Go on an actor runtime.
GO       ?= go
BIN      := $(CURDIR)/bin
BINARIES := mesos-master mesos-agent mesos-local mesos-execute mesos-executor mesos-trace mesos-sim mesos-resolve
PROTOS   := messages/mesos/mesos.proto messages/mesos/quota.proto messages/scheduler/scheduler.proto messages/mesosinternal/messages.proto messages/mesosinternal/registry.proto
# Packages whose tests exercise concurrency run under the race detector.
RACE_PKGS := ./actors/... ./master/... ./slave/... ./schedulerdriver/... ./executordriver/... ./detector/... ./launcher/... ./isolators/... ./tracing/... ./metrics/... ./internal/... ./cmd/internal/... ./webui/...
TEST_TIMEOUT ?= 15m
NUM_SLAVES ?= 2
PORT ?= 5050
WORK_DIR ?= /tmp/gomesos-local

.PHONY: all build test test-deps unit race vet fmt-check proto run zk bench sim-soak clean

all: build

# With cgo: the binaries that can run an agent link runc's libcontainer
# for --launcher=linux, whose nsenter is C (a C compiler, gcc, is needed).
build:
	@mkdir -p $(BIN)
	CGO_ENABLED=1 $(GO) build -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))

# Everything the tests need on a fresh machine, then every test.
test: test-deps build vet fmt-check
	GOMESOS_BIN_DIR=$(BIN) $(GO) test -timeout $(TEST_TIMEOUT) -count=1 ./...
	GOMESOS_BIN_DIR=$(BIN) $(GO) test -timeout $(TEST_TIMEOUT) -count=1 -race $(RACE_PKGS)

# What the tests need beyond Go, installed as root when missing (without
# them those tests skip, except under CI=true, where they fail):
# Debian's zookeeper package (with Java) for the ZooKeeper tests, which
# start their own servers on loopback (never zookeeperd: it runs a daemon on
# *:2181), and Debian's chromium for the browser tests of the web UI.
test-deps:
	@$(GO) version
	@if [ -r /usr/share/java/zookeeper.jar ] && command -v java >/dev/null; then \
		echo "ZooKeeper: $$(ls /usr/share/java/zookeeper-[0-9]*.jar 2>/dev/null | head -1) is installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's zookeeper package (no daemon is started): apt-get update && apt-get install --no-install-recommends zookeeper"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zookeeper >/dev/null; \
	else \
		echo "ZooKeeper is missing and this is not root: the ZooKeeper tests will skip (as root: apt-get install --no-install-recommends zookeeper)"; \
	fi
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then echo "Installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is missing: run 'make test-deps' as root to install it (the browser tests skip without it)"; fi; }

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Regenerates the committed protobuf code with pinned tools
# (protoc 3.21.12 from Debian's protobuf-compiler, protoc-gen-go from go.mod).
proto:
	@command -v protoc >/dev/null || { echo "Installing Debian's protobuf-compiler (protoc 3.21.12)"; \
		apt-get update -qq && apt-get install -y -qq protobuf-compiler; }
	bash messages/gen.sh

# A local cluster in the foreground: one master and $(NUM_SLAVES) agents.
run: build
	@mkdir -p $(WORK_DIR)
	@echo "Starting mesos-local: master and web UI on http://127.0.0.1:$(PORT)/, $(NUM_SLAVES) agents, work_dir $(WORK_DIR)"
	@echo "Submit a task from another shell:"
	@echo "  bin/mesos-execute --master=127.0.0.1:$(PORT) --name=hello --command='echo hello'"
	$(BIN)/mesos-local --ip=127.0.0.1 --port=$(PORT) --num_slaves=$(NUM_SLAVES) --work_dir=$(WORK_DIR)

# A throwaway ZooKeeper in the foreground on 127.0.0.1:$(ZK_PORT), for
# highly available masters by hand (README); Debian's zookeeper package
# (make test-deps). Ctrl-C stops it; its data stays in $(ZK_DIR).
ZK_PORT ?= 2181
ZK_DIR ?= /tmp/gomesos-zk
zk:
	@test -r /usr/share/java/zookeeper.jar || { echo "ZooKeeper is not installed: run 'make test-deps' as root"; exit 1; }
	@mkdir -p $(ZK_DIR)/data
	@printf '%s\n' tickTime=500 initLimit=10 syncLimit=5 dataDir=$(ZK_DIR)/data clientPort=$(ZK_PORT) \
		clientPortAddress=127.0.0.1 admin.enableServer=false 4lw.commands.whitelist=ruok,srvr,stat,mntr,conf \
		minSessionTimeout=200 maxSessionTimeout=60000 > $(ZK_DIR)/zoo.cfg
	@echo "ZooKeeper on 127.0.0.1:$(ZK_PORT), data in $(ZK_DIR); Ctrl-C stops it"
	exec java -Xms32m -Xmx256m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
		-cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar org.apache.zookeeper.server.quorum.QuorumPeerMain $(ZK_DIR)/zoo.cfg

# Every benchmark recorded in BENCHMARKS.md (about 15 minutes).
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 2s -benchmem ./actors/ ./resources/ ./master/allocator/sorter/
	$(GO) test -run '^$$' -bench 'Allocate|AddAgents|DeclineCycle|Quota' -benchtime 5x -benchmem ./master/allocator/
	$(GO) test -run '^$$' -bench . -benchtime 3x ./tracing/
	GOMESOS_BIN_DIR=$(BIN) $(GO) test -run '^$$' -bench 'BenchmarkLaunch$$' -benchtime 300x ./tests/
	GOMESOS_BIN_DIR=$(BIN) $(GO) test -run '^$$' -bench 'BenchmarkLaunchTracing' -benchtime 4x ./tests/

# Thousands of simulator seeds with every fault (SOAK_SEEDS from SOAK_FROM);
# the first violation stops it and names its seed.
SOAK_FROM ?= 1
SOAK_SEEDS ?= 5000
sim-soak: build
	@out=$$($(BIN)/mesos-sim --seed=$(SOAK_FROM) --count=$(SOAK_SEEDS) --agents=5 --frameworks=3 --tasks=60 --faults=all); rc=$$?; \
		echo "$$out" | tail -1; [ $$rc -eq 0 ] && echo "sim-soak: $(SOAK_SEEDS) seeds from $(SOAK_FROM), invariants ok"

clean:
	rm -rf $(BIN)
