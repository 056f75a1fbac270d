# SPDX-License-Identifier: MIT
# xdrv — one entry point for building, testing, benchmarking and the demo.
#
#   make            build the libraries, the `xdrv` front end, the sample driver packages
#   make test       install deps, build with sanitizers, run every CUnit suite + e2e + fuzz smoke
#   make demo       install deps, then the end-to-end demo (scripts/demo.sh)
#   make bench      measure verify/JIT time and memory, write docs/BENCHMARKS.md
#   make check      clang-format check, no circles between files, cppcheck, clang-tidy: all errors
#   make fuzz       build the libFuzzer targets and fuzz each for FUZZ_SECONDS
#   make install    PREFIX=/usr/local DESTDIR=: tools, ABI headers, pkg-config, man pages, ...
#   make deb        Debian packages in build/deb/ (make deb-test: install them in a clean chroot)
#
# Sources are found by folder: every component folder's *.c (but main_*.c) builds one static
# library, libxdrv_<component>.a; <folder>/main_<prog>.c builds the program <prog> (cli/main_xdrv.c
# is `xdrv`); tests/<component>/*.c are its CUnit suites. Adding a file needs no change here.

# ---- cross build (issue 6), part 1 of 2: `make ARCH=arm64` builds into build/arm64 ----------
# (here because the program and test link rules below expand CC, LDFLAGS_SAN and SYSLIBS when
# they are defined; `override` keeps the native definitions below from replacing these)
cross_triple = $(if $(filter arm64,$(1)),aarch64-linux-gnu,$(if $(filter ppc64el,$(1)),powerpc64le-linux-gnu,$(if $(filter s390x,$(1)),s390x-linux-gnu)))
ifneq ($(ARCH),)
O ?= build/$(ARCH)
CROSS_TRIPLE := $(call cross_triple,$(ARCH))
# ppc64el and s390x: libraries unpacked into a sysroot (scripts/install-deps-cross says why);
# empty CROSS_SYSROOT: Debian multiarch (arm64)
CROSS_SYSROOT_ppc64el ?= $(CURDIR)/build/sysroot-ppc64el
CROSS_SYSROOT_s390x ?= $(CURDIR)/build/sysroot-s390x
CROSS_SYSROOT := $(CROSS_SYSROOT_$(ARCH))
override CC := clang-19 --target=$(CROSS_TRIPLE) $(if $(CROSS_SYSROOT),--sysroot=$(CROSS_SYSROOT))
override LDFLAGS_SAN := -fuse-ld=lld
override LLVM_LIBS := -lLLVM-19
# the target's libpq5 has no libpq.so link without libpq-dev, which multiarch cannot install
override PQ_LIBS := -l:libpq.so.5
endif
# ---- end of cross build part 1 ---------------------------------------------------------------
O ?= build
comma := ,
SAN ?= 0
CC := clang-19
LLVM_CONFIG := llvm-config-19
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
# Parallel jobs of the builds that `make test`, `demo`, `bench` and the cross builds start.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

LLVM_CFLAGS := -I$(shell $(LLVM_CONFIG) --includedir)
LLVM_LIBS := -L$(shell $(LLVM_CONFIG) --libdir) -lLLVM-19 -Wl,-rpath,$(shell $(LLVM_CONFIG) --libdir)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_BASE := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -g $(WARN) -fPIC
ifeq ($(SAN),1)
CFLAGS_BASE += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	-fsanitize=fuzzer-no-link
LDFLAGS_SAN := -fsanitize=address,undefined
else
CFLAGS_BASE += -O2
endif

# component folder -> library name
# cli/ is the `xdrv` front end and bench/ the bench programs: libraries too (so their tests link
# them), but no other component includes them.
COMPONENTS := common sdk signer loader hypervisor-backends repo-server cli bench
libname = $(if $(filter hypervisor-backends,$(1)),hvb,$(if $(filter repo-server,$(1)),repo,$(1)))
INCLUDES := -Idriver-abi/include $(foreach c,$(COMPONENTS),$(if $(wildcard $(c)/include),-I$(c)/include)) -I$(O)/gen
CFLAGS := $(CFLAGS_BASE) $(INCLUDES) $(LLVM_CFLAGS) \
	-DXDRV_SOURCE_DATE=$(shell git log -1 --format=%ct 2>/dev/null || date +%s) -DXDRV_SRCDIR=\"$(CURDIR)\"
SYSLIBS := -ljansson -larchive -lcrypto -lssl $(LLVM_LIBS) -lpthread -ldl -lm
SYSLIBS += -ltss2-esys -ltss2-tctildr -ltss2-mu -ltss2-rc # loader: measured boot (issue 5)
SYSLIBS += -lcurl -lsqlite3 # issue 4 client (repo-server/client_*, store*)
SYSLIBS += -liscsi # issue 3 iSCSI disk backend (hypervisor-backends/disk/iscsi.c)
SYSLIBS += -lmicrohttpd # issue 4 server (xdrv-repod)
PQ_LIBS := -lpq
SYSLIBS += $(PQ_LIBS) # issue 15: xdrv-repod on PostgreSQL (repo-server/repod_db_pg.c)
# issue 11: the xen transport (hypervisor-backends/xen/xt_xen.c), native builds only (a cross
# build has no target libxen: its xen transport fails with a message). Dynamic on purpose:
# Debian's static libxenstore.a lacks its pthread symbols and fails reads after a watch.
# --as-needed: only programs that use the xen transport depend on libxen (xdrv-repod does not).
ifeq ($(ARCH),)
SYSLIBS += -Wl,--push-state,--as-needed -lxenstore -lxenevtchn -lxengnttab -Wl,--pop-state
CFLAGS += -DXDRV_HAVE_LIBXEN
endif
# issue 12: the process sandbox's seccomp filter (common/sandbox.c), native builds only (the
# cross sysroots have no target libseccomp: there xdrv_sandbox_enter fails with a message).
ifeq ($(ARCH),)
SYSLIBS += -Wl,--push-state,--as-needed -lseccomp -Wl,--pop-state
CFLAGS += -DXDRV_HAVE_SECCOMP
endif

# issue 14: the file disk backend's io_uring (hypervisor-backends/disk/file.c), native builds with
# liburing only (a cross build has no target liburing: there the backend stays synchronous).
ifeq ($(ARCH),)
URING_LIBS := $(shell pkg-config --libs liburing 2>/dev/null)
ifneq ($(URING_LIBS),)
SYSLIBS += -Wl,--push-state,--as-needed $(URING_LIBS) -Wl,--pop-state
$(O)/obj/hypervisor-backends/disk/file.o: CFLAGS += -DXDRV_HAVE_LIBURING
endif
endif

srcs_of = $(shell find $(1) -name '*.c' ! -name 'main_*.c' ! -name '*.bpf.c' ! -path '*/include/*' 2>/dev/null | sort)
objs_of = $(patsubst %.c,$(O)/obj/%.o,$(call srcs_of,$(1)))
lib_of = $(O)/lib/libxdrv_$(call libname,$(1)).a

LIBS_ALL := $(foreach c,cli bench repo-server loader sdk signer hypervisor-backends common,$(call lib_of,$(c)))
XDRV := $(O)/bin/xdrv
# Programs: <component>/main_<prog>.c builds $(O)/bin/<prog> linked with every library (only the
# objects a program uses are pulled in); PROG_EXTRA_<prog> adds objects of its own.
PROG_SRCS := $(sort $(shell find $(COMPONENTS) -name 'main_*.c' 2>/dev/null))
PROGS := $(foreach s,$(PROG_SRCS),$(O)/bin/$(patsubst main_%.c,%,$(notdir $(s))))
prog_of = $(patsubst main_%.c,%,$(notdir $(1)))
include bench/bench.mk

.PHONY: all libs test test-build test-run demo bench check check-circles check-cppcheck check-tidy \
	format format-check fuzz clean \
	drivers deps help
all: $(XDRV) $(PROGS) drivers

help:
	@sed -n '2,11p' Makefile | sed 's/^# \{0,1\}//'

deps:
	$(Q)scripts/install-deps

libs: $(LIBS_ALL)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The git commit for `--version` (common/version.c). Only that object gets the -D, and it
# depends on a stamp file rewritten only when the commit changes: a new commit recompiles one
# small file and relinks, instead of every object seeing a new CFLAGS value.
GIT_COMMIT := $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
$(O)/gen/git-commit.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(GIT_COMMIT)' | cmp -s - $@ || echo '$(GIT_COMMIT)' > $@
$(O)/obj/common/version.o: $(O)/gen/git-commit.stamp
$(O)/obj/common/version.o: CFLAGS += -DXDRV_GIT_COMMIT=\"$(GIT_COMMIT)\"
.PHONY: FORCE
FORCE:

# The ABI's prototypes for the lint (sdk/abi_protos.c): clang-19 compiles sdk/abi_protos.c.in,
# which takes the address of every symbol of symbols.def through <xdrv/abi.h>, for the portable
# triple with the flags of `xdrv build` that shape a declaration (sdk/build.c); its `declare`
# lines (and the target lines, which a test compares with the profile) become C string lines.
# Derived from the headers, so there is no second list to keep in step. Not $(CC): a cross
# build's CC targets the host, and this is the driver's side.
PROFILE_CC := clang-19
PROFILE_TRIPLE = $(shell sed -n 's/^\#define SDK_TRIPLE[ \t]*"\(.*\)".*/\1/p' sdk/include/xdrv/sdk.h)
$(O)/gen/abi_protos.ll: sdk/abi_protos.c.in sdk/include/xdrv/sdk.h $(wildcard driver-abi/include/xdrv/*.h) \
		driver-abi/include/xdrv/symbols.def
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  PROTOS  $@")
	$(Q)$(PROFILE_CC) --target=$(PROFILE_TRIPLE) -std=gnu11 -ffreestanding -nostdlibinc -fsigned-char \
		-fno-common -O2 -Xclang -disable-llvm-passes -isystem driver-abi/include -emit-llvm -S \
		-o $@ -x c $<
$(O)/gen/abi_protos.inc: $(O)/gen/abi_protos.ll
	$(Q)sed -n -e '/^target /p' -e 's/ #[0-9][0-9]*$$//' -e '/^declare /p' $< \
		| sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&\\n"/' > $@.tmp && mv $@.tmp $@
$(O)/obj/sdk/abi_protos.o: $(O)/gen/abi_protos.inc
# The same for the extension ABI (issue 16): sdk/ext_protos.c.in through <xdrv/ext.h>.
$(O)/gen/ext_protos.ll: sdk/ext_protos.c.in sdk/include/xdrv/sdk.h $(wildcard driver-abi/include/xdrv/*.h) \
		driver-abi/include/xdrv/ext_symbols.def
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  PROTOS  $@")
	$(Q)$(PROFILE_CC) --target=$(PROFILE_TRIPLE) -std=gnu11 -ffreestanding -nostdlibinc -fsigned-char \
		-fno-common -O2 -Xclang -disable-llvm-passes -isystem driver-abi/include -emit-llvm -S \
		-o $@ -x c $<
$(O)/gen/ext_protos.inc: $(O)/gen/ext_protos.ll
	$(Q)sed -n -e '/^target /p' -e 's/ #[0-9][0-9]*$$//' -e '/^declare /p' $< \
		| sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&\\n"/' > $@.tmp && mv $@.tmp $@
$(O)/obj/sdk/ext_protos.o: $(O)/gen/ext_protos.inc

define LIB_RULE
$(call lib_of,$(1)): $(call objs_of,$(1))
	@mkdir -p $$(dir $$@)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach c,$(COMPONENTS),$(eval $(call LIB_RULE,$(c))))

# `xdrv` loads libLLVM on its first LLVM call, not at start-up (cli/llvm_lazy.c, issue 13): it is
# linked with generated stubs of the LLVM-C functions the libraries call instead of -lLLVM-19,
# and keeps the RUNPATH, where dlopen looks first. Native builds only: a cross build (ARCH=)
# links libLLVM as before.
ifeq ($(ARCH),)
LLVM_LAZY_PROGS := xdrv
endif
# What the stubs load. Native builds with LLVM's static archives (llvm-19-dev has them): a private
# library, $(O)/lib/xdrv/libxdrv-llvm.so.19, linked from the archives of only the components xdrv
# uses and exporting only the LLVM-C functions the stubs name (the rest hidden and bound inside):
# Debian's libLLVM has every target, 311 000 relative relocations, 22 000 symbol ones looked up by
# name in every library loaded before it, and 664 static constructors; this one has the host's
# target, 3 800 symbol relocations, packed relative ones and 378 constructors, and loads
# in less than half the time (docs/BENCHMARKS.md "Tiers"). cli/llvm_lazy.c finds it beside the
# program (../lib/xdrv/, as installed) and falls back to Debian's libLLVM by soname when it is
# not there. LLVM_PRIVATE=0, or no static archives: Debian's libLLVM, as before.
LLVM_PRIVATE ?= 1
LLVM_PRIVATE_COMPONENTS := native orcjit passes bitreader bitwriter irreader linker object
ifeq ($(ARCH)$(filter-out 1,$(LLVM_PRIVATE)),)
LLVM_PRIVATE_ARCHIVES := $(shell $(LLVM_CONFIG) --link-static --libs $(LLVM_PRIVATE_COMPONENTS) 2>/dev/null)
endif
LLVM_SYSTEM_SONAME = $(shell readelf -d $(shell $(LLVM_CONFIG) --libdir)/libLLVM-19.so | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
ifneq ($(LLVM_PRIVATE_ARCHIVES),)
LLVM_PRIVATE_LIB := $(O)/lib/xdrv/libxdrv-llvm.so.19
# the private library, then Debian's (the same C API: slower to load, but it works)
LLVM_SONAME = libxdrv-llvm.so.19 $(LLVM_SYSTEM_SONAME)
$(XDRV): | $(LLVM_PRIVATE_LIB)
# -u pulls in each stubbed function's object, the version script exports exactly those,
# --no-undefined and lld's default --no-undefined-version make a missing one a link error
$(LLVM_PRIVATE_LIB): $(O)/gen/llvm_lazy.syms
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q){ echo '{ global:'; sed 's/$$/;/' $(O)/gen/llvm_lazy.syms; echo 'local: *; };'; } > $(O)/gen/llvm_private.map
	$(Q)$(CC) -shared -fuse-ld=lld -o $@.tmp -Wl,-soname,$(notdir $@) \
		-Wl,--version-script=$(O)/gen/llvm_private.map $(addprefix -Wl$(comma)-u$(comma),$(shell cat $(O)/gen/llvm_lazy.syms)) \
		-Wl,--no-undefined -Wl,-Bsymbolic -Wl,--gc-sections -Wl,-O2 -Wl,-z,pack-relative-relocs \
		-Wl,--as-needed $(shell $(LLVM_CONFIG) --link-static --ldflags) \
		$(LLVM_PRIVATE_ARCHIVES) $(shell $(LLVM_CONFIG) --link-static --system-libs) -lstdc++
	$(Q)mv $@.tmp $@
else
LLVM_SONAME = $(LLVM_SYSTEM_SONAME)
endif
SYSLIBS_LLVM_LAZY := $(filter-out -lLLVM-19,$(SYSLIBS))
prog_syslibs = $(if $(filter $(1),$(LLVM_LAZY_PROGS)),$(SYSLIBS_LLVM_LAZY),$(SYSLIBS))
$(foreach p,$(LLVM_LAZY_PROGS),$(eval PROG_EXTRA_$(p) += $(O)/obj/gen/llvm_lazy.o))
# the stubs follow the libraries (a stamp, so that an unchanged list recompiles nothing)
GEN_LLVM_LAZY = scripts/gen-llvm-lazy $(O)/gen/llvm_lazy.c "$(LLVM_SONAME)" \
	"$(shell $(LLVM_CONFIG) --includedir)" $(LIBS_ALL)
$(O)/gen/llvm_lazy.stamp: $(LIBS_ALL) scripts/gen-llvm-lazy Makefile
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  GEN     $(O)/gen/llvm_lazy.c")
	$(Q)$(GEN_LLVM_LAZY)
	@touch $@
$(O)/gen/llvm_lazy.c $(O)/gen/llvm_lazy.syms: $(O)/gen/llvm_lazy.stamp
	$(Q)[ -f $@ ] || $(GEN_LLVM_LAZY)
# hidden: not exported by -rdynamic, so libLLVM's own calls never bind to a stub
$(O)/obj/gen/llvm_lazy.o: $(O)/gen/llvm_lazy.c cli/llvm_lazy.h
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -Icli -fvisibility=hidden -c $< -o $@

define PROG_RULE
$(O)/bin/$(call prog_of,$(1)): $(patsubst %.c,$(O)/obj/%.o,$(1)) $$(PROG_EXTRA_$(call prog_of,$(1))) $(LIBS_ALL)
	@mkdir -p $$(dir $$@)
	$(if $(Q),@echo "  LD      $$@")
	$(Q)$(CC) $(LDFLAGS_SAN) -rdynamic -o $$@ $$< $$(PROG_EXTRA_$(call prog_of,$(1))) -Wl,--start-group $(LIBS_ALL) -Wl,--end-group $$(call prog_syslibs,$(call prog_of,$(1)))
endef
$(foreach s,$(PROG_SRCS),$(eval $(call PROG_RULE,$(s))))

# ---- sample drivers: built, packed and signed with our own front end -------------------------
DRIVERS := $(notdir $(patsubst %/,%,$(dir $(wildcard sample-drivers/*/driver.mk))))
PKI := $(O)/pki
PKGS := $(foreach d,$(DRIVERS),$(O)/pkg/$(d).xdrv)
drivers: $(PKGS)
.SECONDARY:

$(PKI)/root.pem: | $(XDRV)
	$(Q)$(XDRV) pki --out $(PKI) --quiet

# Each sample-drivers/<name>/driver.mk sets NAME_VERSION, NAME_SECVER and NAME_DESC (one line for
# the manifest, shown by inspect and the repository pages).
$(foreach d,$(DRIVERS),$(eval include sample-drivers/$(d)/driver.mk))

$(O)/drivers/%.bc: $(XDRV) $(wildcard driver-abi/include/xdrv/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BUILD   $@")
	$(Q)$(XDRV) build -o $@ $(wildcard sample-drivers/$*/*.c)
# a driver's bitcode also depends on its own sources (a pattern rule cannot name them)
$(foreach d,$(DRIVERS),$(eval $(O)/drivers/$(d).bc: $(wildcard sample-drivers/$(d)/*.c sample-drivers/$(d)/*.h)))

$(O)/pkg/%.unsigned.xdrv: $(O)/drivers/%.bc sample-drivers/%/driver.mk
	@mkdir -p $(dir $@)
	$(Q)$(XDRV) pack -o $@ --version $($*_VERSION) --security-version $($*_SECVER) $(if $($*_DESC),--description "$($*_DESC)") $<

$(O)/pkg/%.xdrv: $(O)/pkg/%.unsigned.xdrv $(PKI)/root.pem
	$(if $(Q),@echo "  SIGN    $@")
	$(Q)$(XDRV) sign --cert $(PKI)/signer.pem --key $(PKI)/signer.key --chain $(PKI)/vendor.pem -o $@ $<

# The dp83820 driver built against ABI 1.0 as well (-D XDRV_ABI_WANT=1000000: no receive buffer
# pool), so its 1.0 path stays tested (tests/sample-drivers). Not in pkg/: the same name and
# version as the default build, which is what gets published and installed.
PKG_ABI10 := $(O)/pkg-abi10/dp83820.xdrv
drivers: $(PKG_ABI10)
$(O)/pkg-abi10/dp83820.bc: $(XDRV) $(wildcard driver-abi/include/xdrv/*.h) $(wildcard sample-drivers/dp83820/*)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BUILD   $@")
	$(Q)$(XDRV) build -D XDRV_ABI_WANT=1000000 -o $@ $(wildcard sample-drivers/dp83820/*.c)
$(O)/pkg-abi10/dp83820.unsigned.xdrv: $(O)/pkg-abi10/dp83820.bc sample-drivers/dp83820/driver.mk
	$(Q)$(XDRV) pack -o $@ --version $(dp83820_VERSION) --security-version $(dp83820_SECVER) --description "$(dp83820_DESC)" $<
$(PKG_ABI10): $(O)/pkg-abi10/dp83820.unsigned.xdrv $(PKI)/root.pem
	$(if $(Q),@echo "  SIGN    $@")
	$(Q)$(XDRV) sign --cert $(PKI)/signer.pem --key $(PKI)/signer.key --chain $(PKI)/vendor.pem -o $@ $<

# ---- packet extensions (issue 16): samples in extensions/, hostile ones in tests/data/ext/ -----
# Built with `xdrv build --extension`, packed and signed like the sample drivers: samples into
# $(O)/ext/NAME.xdrv, the hostile test extensions into $(O)/ext-test/NAME.xdrv. recurse.c fails
# the extension lint on purpose: it is built and packed with --no-lint (testing loaders only), so
# the loader's own lint of received bitcode is tested to refuse it.
EXTS := $(notdir $(patsubst %/,%,$(dir $(wildcard extensions/*/*.c))))
EXT_PKGS := $(foreach e,$(sort $(EXTS)),$(O)/ext/$(e).xdrv)
EXT_TESTS := $(basename $(notdir $(wildcard tests/data/ext/*.c)))
EXT_TEST_PKGS := $(foreach e,$(EXT_TESTS),$(O)/ext-test/$(e).xdrv)
EXT_NO_LINT := recurse
include extensions/extensions.mk
.PHONY: extensions
extensions: $(EXT_PKGS) $(EXT_TEST_PKGS)
all: extensions
test-build: extensions
$(O)/ext/%.bc: $(XDRV) $(wildcard driver-abi/include/xdrv/*.h) $(wildcard extensions/include/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BUILD   $@")
	$(Q)$(XDRV) build --extension -o $@ $(wildcard extensions/$*/*.c)
$(foreach e,$(EXTS),$(eval $(O)/ext/$(e).bc: $(wildcard extensions/$(e)/*.c extensions/$(e)/*.h)))
$(O)/ext/%.unsigned.xdrv: $(O)/ext/%.bc extensions/extensions.mk
	$(Q)$(XDRV) pack -o $@ --security-version $(ext_$*_SECVER) --description "$(ext_$*_DESC)" $<
$(O)/ext-test/%.bc: tests/data/ext/%.c $(XDRV) $(wildcard driver-abi/include/xdrv/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BUILD   $@")
	$(Q)$(XDRV) build --extension $(if $(filter $*,$(EXT_NO_LINT)),--no-lint) -o $@ $< \
		$(if $(filter $*,$(EXT_NO_LINT)),2>/dev/null)
$(O)/ext-test/%.unsigned.xdrv: $(O)/ext-test/%.bc
	$(Q)$(XDRV) pack $(if $(filter $*,$(EXT_NO_LINT)),--no-lint) -o $@ $<
$(O)/ext/%.xdrv: $(O)/ext/%.unsigned.xdrv $(PKI)/root.pem
	$(if $(Q),@echo "  SIGN    $@")
	$(Q)$(XDRV) sign --cert $(PKI)/signer.pem --key $(PKI)/signer.key --chain $(PKI)/vendor.pem -o $@ $<
$(O)/ext-test/%.xdrv: $(O)/ext-test/%.unsigned.xdrv $(PKI)/root.pem
	$(if $(Q),@echo "  SIGN    $@")
	$(Q)$(XDRV) sign --cert $(PKI)/signer.pem --key $(PKI)/signer.key --chain $(PKI)/vendor.pem -o $@ $<

# ---- live patches (issue 13): samples in tests/data/patch/, built with `xdrv build --patch` ----
# A patch NAME.c for the sample driver BASE is named BASE_*.c and packed against $(O)/pkg/BASE.xdrv
# as $(O)/patch/NAME.xdrv (signed like the drivers). PATCH_BAD ones are refused by pack on purpose
# (tests/loader/test_patch.c packs them to see the refusal): only their bitcode is built.
PATCH_SRCS := $(wildcard tests/data/patch/*.c)
PATCH_BAD := hello_badtype
PATCH_NAMES := $(filter-out $(PATCH_BAD),$(basename $(notdir $(PATCH_SRCS))))
PATCH_PKGS := $(foreach p,$(PATCH_NAMES),$(O)/patch/$(p).xdrv) $(foreach p,$(PATCH_BAD),$(O)/patch/$(p).bc)
PATCH_VERSION := 1.0.1
patch_base = $(firstword $(foreach d,$(DRIVERS),$(if $(filter $(d)_%,$(1)),$(d))))
.PHONY: patches
patches: $(PATCH_PKGS)
all: patches
test-build: patches
$(O)/patch/%.bc: tests/data/patch/%.c $(XDRV) $(wildcard driver-abi/include/xdrv/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BUILD   $@")
	$(Q)$(XDRV) build --patch -o $@ $<
$(O)/patch/%.unsigned.xdrv: $(O)/patch/%.bc $(PKGS)
	$(Q)$(XDRV) pack --patch-for $(O)/pkg/$(call patch_base,$*).xdrv --version $(PATCH_VERSION) -o $@ $<
$(O)/patch/%.xdrv: $(O)/patch/%.unsigned.xdrv $(PKI)/root.pem
	$(if $(Q),@echo "  SIGN    $@")
	$(Q)$(XDRV) sign --cert $(PKI)/signer.pem --key $(PKI)/signer.key --chain $(PKI)/vendor.pem -o $@ $<

# ---- tests -----------------------------------------------------------------------------------
TEST_DIRS := $(foreach c,$(COMPONENTS) sample-drivers,$(if $(wildcard tests/$(c)/*.c),$(c)))
TEST_MAIN := $(O)/obj/tests/cunit_main.o
test_objs = $(patsubst %.c,$(O)/obj/%.o,$(sort $(wildcard tests/$(1)/*.c)))
TEST_BINS := $(foreach t,$(TEST_DIRS),$(O)/tests/test-$(t))

# Libraries each component's own test binary links (so one component's suites build while
# another component is mid-change). The combined xdrv-tests links everything.
TEST_LIBS_common := common
TEST_LIBS_signer := signer common
TEST_LIBS_sdk := sdk common
TEST_LIBS_hypervisor-backends := hypervisor-backends common
TEST_LIBS_loader := loader sdk signer hypervisor-backends common
TEST_LIBS_sample-drivers := $(TEST_LIBS_loader)
TEST_LIBS_repo-server := repo-server $(TEST_LIBS_loader)
TEST_LIBS_cli := cli $(TEST_LIBS_repo-server)
TEST_LIBS_bench := bench $(TEST_LIBS_cli)
test_libs = $(foreach c,$(TEST_LIBS_$(1)),$(call lib_of,$(c)))

# Test helpers a suite borrows from another component's test folder.
TEST_EXTRA_cli := $(O)/obj/tests/sdk/sdk_fixtures.o
define TEST_RULE
$(O)/tests/test-$(1): $(TEST_MAIN) $(call test_objs,$(1)) $(TEST_EXTRA_$(1)) $(call test_libs,$(1))
	@mkdir -p $$(dir $$@)
	$(Q)$(CC) $(LDFLAGS_SAN) -rdynamic -o $$@ $(TEST_MAIN) $(call test_objs,$(1)) $(TEST_EXTRA_$(1)) -Wl,--start-group $(call test_libs,$(1)) -Wl,--end-group $(SYSLIBS) -lcunit
endef
$(foreach t,$(TEST_DIRS),$(eval $(call TEST_RULE,$(t))))

$(O)/tests/xdrv-tests: $(TEST_MAIN) $(foreach t,$(TEST_DIRS),$(call test_objs,$(t))) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_SAN) -rdynamic -o $@ $(filter %.o,$^) -Wl,--start-group $(LIBS_ALL) -Wl,--end-group $(SYSLIBS) -lcunit

TEST_O := build/test
test: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) O=$(TEST_O) SAN=1 test-build
	$(Q)$(MAKE) --no-print-directory O=$(TEST_O) SAN=1 test-run

test-build: $(XDRV) $(PROGS) drivers $(O)/tests/xdrv-tests fuzz-build

test-run: test-build
	$(Q)XDRV_BUILD=$(O) tests/run-all $(O)

# ---- fuzzing ---------------------------------------------------------------------------------
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60
fuzz-build: $(FUZZ_BINS)
$(O)/fuzz/%: tests/fuzz/%.c $(LIBS_ALL)
	@mkdir -p $(dir $@) $(O)/obj/tests/fuzz
	$(if $(Q),@echo "  FUZZ    $@")
	$(Q)$(CC) $(filter-out -fsanitize=address$(comma)undefined -fno-sanitize-recover=undefined -O1 -O2,$(CFLAGS)) -O1 -fsanitize=fuzzer,address,undefined \
		-MMD -MP -MT $@ -MF $(O)/obj/tests/fuzz/$*.fuzz.d \
		-o $@ $< -Wl,--start-group $(LIBS_ALL) -Wl,--end-group $(SYSLIBS)
fuzz:
	$(Q)$(MAKE) --no-print-directory O=$(TEST_O) SAN=1 fuzz-build
	$(Q)for f in $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS)); do \
		mkdir -p $(TEST_O)/corpus/$$f; \
		$(TEST_O)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) $(TEST_O)/corpus/$$f tests/fuzz/corpus/$$f || exit 1; \
	done

# ---- demo, bench, checks ---------------------------------------------------------------------
demo: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all
	$(Q)scripts/demo.sh $(O)

bench: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all
	$(Q)scripts/bench.sh $(O)

C_SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	$(Q)clang-format -i $(C_SOURCES)
format-check:
	$(Q)clang-format --dry-run --Werror $(C_SOURCES)

# No circles between source files, and no library using or including the front end (cli/,
# bench/): scripts/check-circles reads the objects of the normal build with nm (so `check`
# builds them first) and compiles each sample driver folder freestanding, as `xdrv build` does.
# tests/e2e/check_circles.sh shows that it fails on a circle.
CIRCLE_SRCS = $(foreach c,$(COMPONENTS),$(call srcs_of,$(c))) $(PROG_SRCS)
DRIVER_CHECK_CFLAGS := -std=gnu11 -ffreestanding -nostdlibinc -fsigned-char -fno-common -O0 \
	-isystem driver-abi/include
check-circles: $(patsubst %.c,$(O)/obj/%.o,$(CIRCLE_SRCS))
	$(Q)scripts/check-circles --objdir $(O)/obj --top cli --top bench --cc $(CC) \
		--driver-cflags "$(DRIVER_CHECK_CFLAGS)" $(foreach d,$(DRIVERS),--driver sample-drivers/$(d)) \
		$(CIRCLE_SRCS)
	$(Q)tests/e2e/check_circles.sh $(O) >/dev/null

# Every check fails `make check` on any finding: formatting, file circles, cppcheck (warning and
# portability), clang-tidy (.clang-tidy: the checks kept are errors; the ones switched off say
# why). Each runs its files $(JOBS) at a time; `make -j2 check` also runs the four side by side.
# CI (.ci/run) runs it before `make test`, with the test build's objects (O=build/test SAN=1).
TIDY_SRCS = $(filter-out tests/% %.bpf.c,$(filter %.c,$(C_SOURCES)))
check: format-check check-circles check-cppcheck check-tidy
# sdk/abi_protos.c and sdk/ext_protos.c include a generated file
check-cppcheck check-tidy: $(O)/gen/abi_protos.inc $(O)/gen/ext_protos.inc
check-cppcheck:
	$(Q)cppcheck -j$(JOBS) --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem $(INCLUDES) $(filter-out %.bpf.c,$(filter %.c,$(C_SOURCES)))
check-tidy:
	$(Q)scripts/check-tidy $(JOBS) $(TIDY_SRCS) -- \
		$(filter-out -fsanitize% -fno-sanitize%,$(CFLAGS))

clean:
	rm -rf build

# ---- cross build (issue 6), part 2 of 2 --------------------------------------------------------
# make ARCH=arm64|ppc64el|s390x [O=build/ARCH]: the host side (libraries, xdrv, programs; the
# CUnit binary with `cross-tests`) for another architecture, with clang-19 --target and lld
# against the target's Debian libraries (scripts/install-deps-cross: multiarch for arm64, a
# sysroot for ppc64el and s390x). Run with qemu-<arch>-static; see README.
# `make test` builds arm64 and ppc64el first; tests/e2e/cross_arch.sh runs them.
CROSS_ARCHS ?= arm64 ppc64el
CROSS_PREFIX ?= build/
.PHONY: deps-cross cross cross-all cross-tests
cross-all: deps
	$(Q)for a in $(CROSS_ARCHS); do $(MAKE) --no-print-directory -j$(JOBS) ARCH=$$a O=$(CROSS_PREFIX)$$a SAN=0 cross || exit 1; done
test: cross-all
ifneq ($(ARCH),)
$(if $(CROSS_TRIPLE),,$(error ARCH=$(ARCH): not one of arm64 ppc64el s390x))
$(if $(filter 1,$(SAN)),$(error ARCH=$(ARCH): SAN=1 is not supported for cross builds))
CROSS_INC := $(O)/cross-include
CFLAGS := -I$(CROSS_INC) $(CFLAGS)
.DEFAULT_GOAL := cross
cross: deps-cross $(XDRV) $(PROGS)
cross-tests: deps-cross $(O)/tests/xdrv-tests
deps-cross:
	$(Q)XDRV_CROSS_SYSROOT=$(CROSS_SYSROOT) scripts/install-deps-cross $(ARCH)
	@mkdir -p $(O) && echo '$(CROSS_SYSROOT)' > $(O)/cross-sysroot
$(CROSS_INC)/llvm/Config/llvm-config.h: | deps-cross
	$(Q)scripts/cross-llvm-config.sh $(ARCH) $(CROSS_INC)
$(foreach c,$(COMPONENTS),$(call objs_of,$(c))) $(CMD_OBJS) $(TEST_MAIN) \
	$(foreach t,$(TEST_DIRS),$(call test_objs,$(t))) $(patsubst %.c,$(O)/obj/%.o,$(PROG_SRCS)): \
	| $(CROSS_INC)/llvm/Config/llvm-config.h
else
cross cross-tests deps-cross:
	$(error $@: set ARCH (arm64, ppc64el or s390x))
endif
# ---- end of cross build part 2 -----------------------------------------------------------------


include packaging/packaging.mk # make install, uninstall, deb, deb-test (issue 9)
-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
