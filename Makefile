# daneroll - keep DANE TLSA records and SMTP certificates in step.
#
#   make            build ./daneroll
#   make check      install missing Debian packages (as root), run the tests
#   make check-asan the whole suite against an AddressSanitizer + UBSan build
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (clang)
#   make fuzz-smoke every libFuzzer target for a few seconds (CI)
#   make lint       no function in src/ over 100 lines (CI)
#   make install    the program, hooks, man pages, systemd units, docs and
#                   examples, /etc/daneroll and /var/lib/daneroll; PREFIX,
#                   DESTDIR, BINDIR, LIBEXECDIR, MANDIR, SYSCONFDIR, DOCDIR,
#                   UNITDIR honoured
#   make deb        a Debian package (debian/) in build-deb/
#   make deb-test   that package built, linted, installed, removed and purged
#                   on a fresh Debian 12 chroot (root; tests/pkg/deb-fresh.sh)
#   make demo       a full rollover in a self-contained local world

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/daneroll
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/daneroll
SYSCONFDIR ?= /etc
# Where systemd looks for units: PREFIX/lib/systemd/system, except for
# PREFIX=/usr, whose units Debian 12 keeps in /lib (also /usr/lib where
# /usr is merged).
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),,$(PREFIX))/lib/systemd/system
# state_dir's default (include/conf.h); not moved by PREFIX.
STATEDIR    = /var/lib/daneroll
DESTDIR    ?=

CC         ?= cc
PKG_CONFIG ?= pkg-config
PKGS        = openssl libcurl ldns jansson sqlite3 inih libseccomp
VERSION     = 0.1.0

WARN     = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -fno-common -fstack-protector-strong
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 $(WARN) $(WERROR)
CPPFLAGS += -D_GNU_SOURCE -Iinclude -DDANEROLL_VERSION='"$(VERSION)"' \
            -DDANEROLL_SYSCONFDIR='"$(SYSCONFDIR)"'
BUILD   ?= build

# pkg-config is consulted only for targets that compile, so that
# `make check` can first install what is missing on a fresh machine.
# libcurl is not linked: src/curl_lazy.c loads it when a publisher needs
# HTTP, sparing every other process its 29 libraries' start-up.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(filter-out libcurl,$(PKGS)) \
               2>/dev/null) -ldl

SRCS     = $(filter-out src/main.c,$(wildcard src/*.c))
OBJS     = $(SRCS:src/%.c=$(BUILD)/%.o) $(BUILD)/schema.o
SCHEMA   = $(sort $(wildcard schema/[0-9]*.sql))
TSRCS    = $(wildcard tests/unit/test_*.c)
TBINS    = $(TSRCS:tests/unit/%.c=$(BUILD)/tests/%)
TSUPPORT = $(BUILD)/tests/t.o $(BUILD)/tests/fakes.o $(BUILD)/tests/dane_judge.o

.PHONY: all deps check check-build check-bins check-unit check-asan check-world \
        install uninstall deb deb-test demo bench clean pkgcheck fuzz fuzz-smoke \
        fuzz-build fuzz-bins lint

all: pkgcheck daneroll

pkgcheck:
	@$(PKG_CONFIG) --exists $(PKGS) || { \
	  echo "daneroll: missing libraries: run 'make deps' (Debian) or install:" >&2; \
	  for p in $(PKGS); do $(PKG_CONFIG) --exists $$p || echo "  $$p" >&2; done; \
	  exit 1; }

deps:
	sh tests/deps.sh build

$(BUILD)/%.o: src/%.c $(wildcard include/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/schema.c: $(SCHEMA) schema/embed.sh
	@mkdir -p $(@D)
	sh schema/embed.sh $(SCHEMA) > $@

$(BUILD)/schema.o: $(BUILD)/schema.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libdaneroll.a: $(OBJS)
	$(AR) rcs $@ $(OBJS)

daneroll: $(BUILD)/main.o $(BUILD)/libdaneroll.a
	$(CC) $(LDFLAGS) $(CFLAGS) -o $@ $(BUILD)/main.o $(BUILD)/libdaneroll.a $(PKG_LIBS)

$(BUILD)/tests/%.o: tests/unit/%.c $(wildcard tests/unit/*.h) $(wildcard include/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TSUPPORT) $(BUILD)/libdaneroll.a
	$(CC) $(LDFLAGS) $(CFLAGS) -o $@ $< $(TSUPPORT) $(BUILD)/libdaneroll.a $(PKG_LIBS)

# test_model's engine reads a wall clock below the second (fakes.c,
# fake_clock_ms): util_now_ms() is wrapped for it alone.
$(BUILD)/tests/test_model: override LDFLAGS += -Wl,--wrap=util_now_ms

# The test build: daneroll with its test seams (DANEROLL_NOW,
# DANEROLL_TEST_BOOT, DANEROLL_TEST_CRASH_AT; see tests/tools/test_main.c)
# for the tests and benchmarks that fake a clock or a crash. Never
# installed: daneroll reads none of them.
$(BUILD)/daneroll-test: tests/tools/test_main.c $(wildcard include/*.h) \
    $(BUILD)/libdaneroll.a
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(BUILD)/libdaneroll.a $(PKG_LIBS)

# tests/integration/acme.sh's driver of the ACME hook and deploy backends.
$(BUILD)/tests/acme-driver: tests/integration/acme-driver.c $(wildcard include/*.h) \
    $(BUILD)/libdaneroll.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(BUILD)/libdaneroll.a $(PKG_LIBS)

# The README's test command. Installs what is missing, builds, runs
# every unit and integration test and prints "N passed, N failed".
check:
	sh tests/deps.sh world
	$(MAKE) WERROR=$(WERROR) check-build
	sh tests/run.sh $(BUILD)

check-build: pkgcheck daneroll check-bins

# What tests/run.sh runs from BUILD: unit tests, live drivers, acme-driver,
# and daneroll-test, the build with test seams.
check-bins: pkgcheck $(TBINS) $(BUILD)/tests/acme-driver $(BUILD)/daneroll-test

check-unit: pkgcheck $(TBINS)
	sh tests/run.sh --unit-only $(BUILD)

# The whole suite (tests/run.sh --sanitized) against an ASan + UBSan build
# in build-asan/: its unit tests and live drivers, and build-asan/daneroll
# (build-asan/daneroll-test where a script fakes a clock or a crash) for
# every integration script. A sanitizer report fails the test that
# caused it (see tests/run.sh); valgrind.sh skips (make check runs it).
ASAN_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
check-asan:
	sh tests/deps.sh world
	$(MAKE) BUILD=build-asan CC=clang CFLAGS="$(ASAN_CFLAGS)" \
	  LDFLAGS="-fsanitize=address,undefined" WERROR=$(WERROR) \
	  check-bins build-asan/daneroll
	sh tests/run.sh --sanitized build-asan

# The binary in a build directory (check-asan builds build-asan/daneroll).
$(BUILD)/daneroll: $(BUILD)/main.o $(BUILD)/libdaneroll.a
	$(CC) $(LDFLAGS) $(CFLAGS) -o $@ $(BUILD)/main.o $(BUILD)/libdaneroll.a $(PKG_LIBS)

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang into
# build-fuzz/ with ASan + UBSan. Each runs FUZZ_SECONDS over its seeds in
# tests/fuzz/corpus/NAME (read only); what it finds goes to
# build-fuzz/corpus/NAME, a crash to build-fuzz/crash-NAME-*.
FUZZ_SECONDS ?= 10
FUZZ_CC      ?= clang
FUZZ_TARGETS  = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS   = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all

fuzz-build:
	sh tests/deps.sh build
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) \
	  CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link" fuzz-bins

fuzz-bins: pkgcheck $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.c tests/fuzz/fuzz.h \
    $(BUILD)/libdaneroll.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(PKG_CFLAGS) $(CFLAGS) -fsanitize=fuzzer \
	  -o $@ $< tests/fuzz/fuzz.c $(BUILD)/libdaneroll.a $(PKG_LIBS)

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t tests/fuzz/corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
	  build-fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/crash-$$t- \
	    build-fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>build-fuzz/$$t.log || \
	    { tail -n 60 build-fuzz/$$t.log >&2; echo "fuzz: $$t FAILED" >&2; exit 1; }; \
	  grep -E '^stat::number_of_executed_units' build-fuzz/$$t.log | \
	    sed "s/^stat::number_of_executed_units: */fuzz: $$t ok, executions: /"; \
	done

fuzz-smoke:
	$(MAKE) FUZZ_SECONDS=3 fuzz

# No function in src/ over 100 lines (issue 19; STYLE.md), listed by
# tests/tools/long_functions.sh. tests/integration/long_functions.sh
# checks the same.
LINT_SRCS = $(wildcard src/*.c)
lint:
	sh tests/tools/long_functions.sh -n 100 $(LINT_SRCS)

$(BUILD)/bench/%: bench/%.c $(TSUPPORT) $(BUILD)/libdaneroll.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(PKG_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(TSUPPORT) $(BUILD)/libdaneroll.a $(PKG_LIBS)

bench: pkgcheck daneroll $(BUILD)/daneroll-test $(BUILD)/bench/steady_setup
	sh bench/run.sh

demo:
	sh tests/deps.sh demo
	$(MAKE) daneroll
	bash tests/world/demo.sh

# The sources name the default install's paths (/usr/local/sbin/daneroll,
# /usr/local/libexec/daneroll, /usr/local/share/doc/daneroll,
# /usr/local/lib/systemd/system, /etc/daneroll); every text file installed
# (man pages, hooks, units, docs, examples, the sample configuration)
# names the paths of this install instead.
SUBST = sed -e 's|/usr/local/sbin/daneroll|$(BINDIR)/daneroll|g' \
            -e 's|/usr/local/libexec/daneroll|$(LIBEXECDIR)|g' \
            -e 's|/usr/local/share/doc/daneroll|$(DOCDIR)|g' \
            -e 's|/usr/local/lib/systemd/system|$(UNITDIR)|g' \
            -e 's|/etc/daneroll|$(SYSCONFDIR)/daneroll|g'
# Installed as the documentation, keeping their relative links.
DOCS     = README.md $(wildcard docs/*.md) $(wildcard docs/schema/*.json) \
           hooks/dns/README.md
# The sample configuration: a commented file that config check accepts
# once its TSIG key file exists.
SAMPLE   = examples/daneroll-bind.conf
CONFDIR  = $(SYSCONFDIR)/daneroll

# The configuration and state directories are made 0700 when missing, and
# left as they are otherwise; an existing daneroll.conf is never replaced.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(LIBEXECDIR)/acme $(DESTDIR)$(LIBEXECDIR)/dns \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 daneroll $(DESTDIR)$(BINDIR)/daneroll
	$(SUBST) docs/daneroll.8 > $(DESTDIR)$(MANDIR)/man8/daneroll.8
	$(SUBST) docs/daneroll.conf.5 > $(DESTDIR)$(MANDIR)/man5/daneroll.conf.5
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/daneroll.8 $(DESTDIR)$(MANDIR)/man5/daneroll.conf.5
	for f in hooks/acme/* hooks/dns/*; do \
	  case $$f in *.md) continue ;; */common.sh) m=0644 ;; *) m=0755 ;; esac; \
	  [ -f "$$f" ] || continue; \
	  d=$(DESTDIR)$(LIBEXECDIR)/$${f#hooks/}; \
	  $(SUBST) "$$f" > "$$d" && chmod $$m "$$d" || exit 1; \
	done
	for f in examples/systemd/*.service examples/systemd/*.timer; do \
	  d=$(DESTDIR)$(UNITDIR)/$${f##*/}; \
	  $(SUBST) "$$f" > "$$d" && chmod 0644 "$$d" || exit 1; \
	done
	for f in $(DOCS) $$(find examples -type f); do \
	  d=$(DESTDIR)$(DOCDIR)/$$f; \
	  install -d "$${d%/*}" && $(SUBST) "$$f" > "$$d" && chmod 0644 "$$d" || exit 1; \
	done
	[ -d $(DESTDIR)$(CONFDIR) ] || install -d -m 0700 $(DESTDIR)$(CONFDIR)
	[ -d $(DESTDIR)$(STATEDIR) ] || install -d -m 0700 $(DESTDIR)$(STATEDIR)
	@if [ -e $(DESTDIR)$(CONFDIR)/daneroll.conf ]; then \
	  echo "$(DESTDIR)$(CONFDIR)/daneroll.conf exists: kept"; \
	else \
	  echo "sample configuration $(DESTDIR)$(CONFDIR)/daneroll.conf"; \
	  { printf '%s\n' \
	    "# A sample to edit (from $(SAMPLE:examples/%=%); other setups are in" \
	    "# $(DOCDIR)/examples/). Replace its host, publisher and" \
	    "# hook with yours, run \"daneroll config check\", then start the timer:" \
	    "#   systemctl enable --now daneroll.timer" \
	    "#"; \
	    $(SUBST) $(SAMPLE); } > $(DESTDIR)$(CONFDIR)/daneroll.conf && \
	  chmod 0644 $(DESTDIR)$(CONFDIR)/daneroll.conf || exit 1; \
	fi

# Leaves the configuration and the state (keys, database) where they are.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/daneroll $(DESTDIR)$(MANDIR)/man8/daneroll.8 \
	  $(DESTDIR)$(MANDIR)/man5/daneroll.conf.5
	for f in examples/systemd/*.service examples/systemd/*.timer; do \
	  rm -f $(DESTDIR)$(UNITDIR)/$${f##*/}; done
	rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DOCDIR)

# dpkg-buildpackage starts with debian/rules clean (make clean) and leaves
# the package in the parent directory; it is moved to build-deb/.
DEBDIR = build-deb
deb:
	dpkg-buildpackage -us -uc -b -J2
	rm -rf $(DEBDIR) && mkdir -p $(DEBDIR)
	for f in ../daneroll_$(VERSION)_* ../daneroll-dbgsym_$(VERSION)_*; do \
	  [ ! -e "$$f" ] || mv "$$f" $(DEBDIR)/ || exit 1; done
	@ls $(DEBDIR)/*.deb

deb-test:
	sh tests/pkg/deb-fresh.sh

clean:
	rm -rf build build-asan build-fuzz daneroll
