# codex-sandbox — flat list of sources and flags (ntpd/bwrap habit).
#
#   make               bin/codex-sandbox, bin/codex-sandbox-init, bin/codex-firewall
#   make check         unit tests (no root, no Docker)
#   make test          the whole suite (real engine, nft, Codex, tmux); needs root
#   make san           ASan+UBSan build in build/san (tests use it with SAN=1)
#   make fuzz          libFuzzer targets, each run FUZZ_SECONDS
#   make mutate        every mutation in tests/mutate/*.txt must fail make check
#   make bench         speed/memory ratios against baselines measured in the same run
#   make setup         install what is missing on Debian and start dockerd
#   make install PREFIX=/usr/local [DESTDIR=...]   (make uninstall: the same, removed)

PREFIX  ?= /usr/local
BUILD   ?= build
BIN     ?= bin
CC      ?= cc
FUZZ_SECONDS ?= 20

# --- build dependencies -------------------------------------------------
# Flags that come from the machine are computed on first use in a recipe,
# then kept (VAR = $(eval VAR := ...)$(VAR)): after `setup` has installed
# the libraries, and only when something is compiled.
PKGS      := libcurl libcjson libnftnl libmnl libseccomp
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null))$(PKG_LIBS)

# -Wformat-truncation (gcc only) flags every bounded snprintf into a PATH_MAX
# buffer; truncation there is handled, not a bug.
NO_TRUNC = $(eval NO_TRUNC := $(shell $(CC) -Werror -Wno-format-truncation -E -x c /dev/null >/dev/null 2>&1 && echo -Wno-format-truncation))$(NO_TRUNC)

# With `setup` among the goals, it runs while this file is read, before any
# rule: every rule and flag (also under -j, also rules that compile a .c
# directly) sees what it installed.  Not under -n.  Without `setup`, a
# machine lacking a build package stops here with one line naming it and
# the command that installs it.
SETUP_FIRST := $(filter setup,$(MAKECMDGOALS))
NO_LIB_GOALS := setup clean uninstall
ifneq ($(SETUP_FIRST),)
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
SETUP_STATUS := $(shell sh images/setup-host.sh >&2; echo $$?)
$(if $(filter 0,$(SETUP_STATUS)),,$(error make setup failed (status $(SETUP_STATUS))))
endif
else ifneq ($(filter-out $(NO_LIB_GOALS),$(or $(MAKECMDGOALS),all)),)
BUILD_MISSING := $(shell sh images/setup-host.sh --check-build)
$(if $(BUILD_MISSING),$(error $(BUILD_MISSING)))
endif
# ------------------------------------------------------------------------
WARN = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
        -Wformat=2 -Wvla -Wno-format-nonliteral $(NO_TRUNC)
OPT  ?= -O2 -g
CS_CFLAGS = -std=gnu11 $(OPT) $(WARN) -I. -D_GNU_SOURCE -fstack-protector-strong \
            -D_FORTIFY_SOURCE=2 -MMD -MP $(PKG_CFLAGS) $(EXTRA_CFLAGS)
CS_LDFLAGS = $(EXTRA_LDFLAGS)

# Layers, bottom up (REQUIREMENTS §2): common/ <- firewall/ <- runner/core/
# <- runner/docker/, runner/e2b/ <- the face (runner/main.c, runner/cmd_*.c).
COMMON_SRCS := $(wildcard common/*.c)
RUNNER_SRCS := $(wildcard runner/core/*.c runner/docker/*.c runner/e2b/*.c) \
               $(filter-out runner/main.c,$(wildcard runner/*.c))
FW_SRCS     := $(filter-out firewall/main.c,$(wildcard firewall/*.c))
INIT_SRCS   := $(wildcard runner/init/*.c) common/error.c common/buf.c
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)

COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
RUNNER_OBJS := $(RUNNER_SRCS:%.c=$(BUILD)/%.o)
FW_OBJS     := $(FW_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# The init runs as PID 1 inside any base image: static, so it needs nothing
# from the image.  The sanitizer build cannot be static.
INIT_LDFLAGS := $(if $(findstring sanitize,$(EXTRA_CFLAGS)),,-static)

all: $(BIN)/codex-sandbox $(BIN)/codex-sandbox-init $(BIN)/codex-firewall

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CS_CFLAGS) -c $< -o $@

$(BUILD)/librunner.a: $(RUNNER_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libcommon.a: $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libfw.a: $(FW_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

LIBS_ALL = $(BUILD)/librunner.a $(BUILD)/libfw.a $(BUILD)/libcommon.a

$(BIN)/codex-sandbox: $(BUILD)/runner/main.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(CS_CFLAGS) $(CS_LDFLAGS) -o $@ $< $(LIBS_ALL) $(PKG_LIBS) -lpthread

# The firewall needs nothing from the runner.
$(BIN)/codex-firewall: $(BUILD)/firewall/main.o $(BUILD)/libfw.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CS_CFLAGS) $(CS_LDFLAGS) -o $@ $< $(BUILD)/libfw.a $(BUILD)/libcommon.a $(PKG_LIBS)

$(BIN)/codex-sandbox-init: $(INIT_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(CS_CFLAGS) $(CS_LDFLAGS) $(INIT_LDFLAGS) -o $@ $^ -lseccomp

$(BUILD)/tests/%: tests/unit/%.c $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(CS_CFLAGS) $(CS_LDFLAGS) -Itests/unit -o $@ $< $(LIBS_ALL) $(PKG_LIBS) -lpthread

# The init's pieces are not in librunner.a (PID 1 is a separate static
# binary): their unit test links them directly.  The syscall prober for
# tests/attacks is static so it runs in any image.
INIT_LIB_OBJS := $(filter-out $(BUILD)/runner/init/init.o,$(INIT_SRCS:%.c=$(BUILD)/%.o))
$(BUILD)/tests/test_filter: tests/unit/test_filter.c $(INIT_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CS_CFLAGS) $(CS_LDFLAGS) -Itests/unit -o $@ $< $(INIT_LIB_OBJS) -lseccomp

$(BUILD)/attacks/try-syscall: tests/attacks/try-syscall.c
	@mkdir -p $(dir $@)
	$(CC) $(CS_CFLAGS) $(CS_LDFLAGS) $(INIT_LDFLAGS) -o $@ $<

unit-bins: $(UNIT_BINS) $(BUILD)/attacks/try-syscall

check: all unit-bins
	tests/run.sh --unit-only --build $(BUILD)

test: all unit-bins
	tests/run.sh --build $(BUILD)

san:
	$(MAKE) BUILD=build/san BIN=build/san/bin OPT="-O1 -g -fno-omit-frame-pointer" \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" all unit-bins

# libFuzzer: everything rebuilt with clang and coverage instrumentation.
FUZZ_BUILD := build/fuzz
fuzz-bins:
	$(MAKE) CC=clang BUILD=$(FUZZ_BUILD) BIN=$(FUZZ_BUILD)/bin OPT="-O1 -g" \
		EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
		$(FUZZ_BUILD)/librunner.a $(FUZZ_BUILD)/libfw.a $(FUZZ_BUILD)/libcommon.a
	@mkdir -p $(FUZZ_BUILD)/fuzzers
	for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); \
		clang -std=gnu11 -O1 -g -I. -D_GNU_SOURCE $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
			-o $(FUZZ_BUILD)/fuzzers/$$n $$f $(FUZZ_BUILD)/librunner.a $(FUZZ_BUILD)/libfw.a \
			$(FUZZ_BUILD)/libcommon.a $(PKG_LIBS) -lpthread || exit 1; \
	done

fuzz: fuzz-bins
	tests/fuzz/run.sh $(FUZZ_BUILD)/fuzzers $(FUZZ_SECONDS)

# Each mutation runs in a scratch copy of the tree (tests/mutate/README.md).
mutate: all unit-bins
	tests/mutate/run.sh

bench: all
	tests/bench/run.sh

# Done while the Makefile was read (above).
setup:
	@:

# --- install / uninstall ---------------------------------------------------
# INSTALLED is the one list both use: uninstall removes exactly what install
# put there (under DESTDIR, for packaging).  The man page and completions are
# generated from `codex-sandbox --help`, so they cannot disagree with it.
LIBEXECDIR  = $(PREFIX)/lib/codex-sandbox
DATADIR     = $(PREFIX)/share/codex-sandbox
MAN1DIR     = $(PREFIX)/share/man/man1
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/site-functions
IMAGE_SCRIPTS := $(notdir $(wildcard images/*.sh))
INIT_HOOKS    := $(notdir $(wildcard init-hooks/*.sh))
INSTALLED = $(PREFIX)/bin/codex-sandbox $(LIBEXECDIR)/codex-sandbox-init $(LIBEXECDIR)/codex-firewall \
            $(DATADIR)/Dockerfile.codex-sandbox $(IMAGE_SCRIPTS:%=$(DATADIR)/images/%) \
            $(INIT_HOOKS:%=$(DATADIR)/init-hooks/%) $(MAN1DIR)/codex-sandbox.1 \
            $(BASHCOMPDIR)/codex-sandbox $(ZSHCOMPDIR)/_codex-sandbox
DOCS := $(BUILD)/doc/codex-sandbox.1 $(BUILD)/doc/codex-sandbox.bash $(BUILD)/doc/_codex-sandbox

$(BUILD)/doc/codex-sandbox.1: $(BIN)/codex-sandbox docs/gen-man.sh docs/codex-sandbox.1.in
	@mkdir -p $(dir $@)
	docs/gen-man.sh $(BIN)/codex-sandbox > $@.tmp && mv $@.tmp $@
$(BUILD)/doc/codex-sandbox.bash: $(BIN)/codex-sandbox completions/gen.sh
	@mkdir -p $(dir $@)
	completions/gen.sh bash $(BIN)/codex-sandbox > $@.tmp && mv $@.tmp $@
$(BUILD)/doc/_codex-sandbox: $(BIN)/codex-sandbox completions/gen.sh
	@mkdir -p $(dir $@)
	completions/gen.sh zsh $(BIN)/codex-sandbox > $@.tmp && mv $@.tmp $@

docs: $(DOCS)

install: all docs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/images \
		$(DESTDIR)$(DATADIR)/init-hooks $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(BIN)/codex-sandbox $(DESTDIR)$(PREFIX)/bin/codex-sandbox
	install -m 0755 $(BIN)/codex-sandbox-init $(BIN)/codex-firewall $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 Dockerfile.codex-sandbox $(DESTDIR)$(DATADIR)/
	install -m 0755 $(IMAGE_SCRIPTS:%=images/%) $(DESTDIR)$(DATADIR)/images/
	install -m 0755 $(INIT_HOOKS:%=init-hooks/%) $(DESTDIR)$(DATADIR)/init-hooks/
	install -m 0644 $(BUILD)/doc/codex-sandbox.1 $(DESTDIR)$(MAN1DIR)/codex-sandbox.1
	install -m 0644 $(BUILD)/doc/codex-sandbox.bash $(DESTDIR)$(BASHCOMPDIR)/codex-sandbox
	install -m 0644 $(BUILD)/doc/_codex-sandbox $(DESTDIR)$(ZSHCOMPDIR)/_codex-sandbox

# Our own directories go too; shared ones (bin, man1, ...) stay.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(DATADIR)/images $(DESTDIR)$(DATADIR)/init-hooks $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true
# ---------------------------------------------------------------------------

clean:
	rm -rf build bin

.PHONY: all unit-bins check test san fuzz-bins fuzz mutate bench setup docs install uninstall clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
