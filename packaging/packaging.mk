# SPDX-License-Identifier: MIT
# Packaging for Debian users (issue 9), included by the top Makefile:
#
#   make install [PREFIX=/usr/local] [DESTDIR=]   xdrv, xdrv-repod, xdrv's private LLVM library,
#        the driver ABI headers, xdrv-driver.pc, driver.mk for driver authors, man pages, bash
#        completion, systemd unit
#   make uninstall [PREFIX=...] [DESTDIR=]        remove exactly what install put there
#   make deb                                      build/deb/*.deb (xdrv, xdrv-repod, xdrv-driver-dev)
#   make deb-test                                 install the .debs in a clean bookworm chroot
#                                                 and run them (tests/packaging/deb_chroot.sh)
#
# The installed tree is relocatable: `xdrv build` finds PREFIX/include/xdrv-driver from its own
# path (sdk_abi_include_find), and xdrv-driver.pc derives its prefix from its own folder.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc
PKGCONFIGDIR ?= $(DATADIR)/pkgconfig
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# xdrv's private LLVM library (Makefile: LLVM_PRIVATE): where xdrv looks, ../lib/xdrv from its own
# folder (cli/llvm_lazy.c), so it follows BINDIR
XDRV_LIBDIR = $(patsubst %/,%,$(dir $(BINDIR)))/lib/xdrv
# the one version number: common/include/xdrv/version.h (what --version prints)
XDRV_VERSION ?= $(shell sed -n 's/^\#define XDRV_VERSION "\(.*\)"/\1/p' common/include/xdrv/version.h)

# what xdrv build passes to clang besides the target and -O2 (sdk/build.c: profile_flags);
# tests/e2e/install.sh checks this list against `xdrv build -v`. Profile, triple and ABI version
# are read from the headers, only when a recipe needs them (=, not :=).
XDRV_FREESTANDING_CFLAGS := -std=gnu11 -ffreestanding -nostdlibinc -fsigned-char -fno-common \
	-fno-stack-protector -fno-asynchronous-unwind-tables -ffp-contract=off
XDRV_PROFILE = $(shell sed -n 's/^\#define SDK_PROFILE[ \t]*"\(.*\)".*/\1/p' sdk/include/xdrv/sdk.h)
XDRV_TARGET = $(shell sed -n 's/^\#define SDK_TRIPLE[ \t]*"\(.*\)".*/\1/p' sdk/include/xdrv/sdk.h)
XDRV_ABI_VERSION_STR = $(shell sed -n 's/^\#define XDRV_ABI_VERSION_\(MAJOR\|MINOR\|PATCH\)[ \t]*\([0-9]*\)u.*/\2/p' \
	driver-abi/include/xdrv/abi.h | paste -sd.)

# the ABI headers and symbols.def (in driver-abi/ or driver-abi/include/xdrv/: whichever exists)
XDRV_ABI_FILES = $(sort $(wildcard driver-abi/include/xdrv/*.h driver-abi/include/xdrv/*.def \
	driver-abi/symbols.def))
XDRV_MAN_PAGES = $(sort $(wildcard docs/man/*.[1-8]))
XDRV_INSTALL_PROGS := xdrv xdrv-repod
# relative paths written into xdrv-driver.pc (prefix = the .pc file's folder + PC_PREFIX_REL)
pkg_rel = $(shell realpath -m --relative-to=$(1) $(2))

.PHONY: install uninstall deb deb-test
install: $(XDRV) $(O)/bin/xdrv-repod $(LLVM_PRIVATE_LIB)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR)/xdrv-driver/xdrv \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(DATADIR)/xdrv $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)/xdrv-repod/examples \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(addprefix $(O)/bin/,$(XDRV_INSTALL_PROGS)) $(DESTDIR)$(BINDIR)/
	$(if $(LLVM_PRIVATE_LIB),install -d $(DESTDIR)$(XDRV_LIBDIR) && \
		install -m 0644 $(LLVM_PRIVATE_LIB) $(DESTDIR)$(XDRV_LIBDIR)/)
	install -m 0644 $(XDRV_ABI_FILES) $(DESTDIR)$(INCLUDEDIR)/xdrv-driver/xdrv/
	sed -e 's|@PC_PREFIX_REL@|$(call pkg_rel,$(PKGCONFIGDIR),$(PREFIX))|' \
	    -e 's|@PC_BINDIR_REL@|$(call pkg_rel,$(PREFIX),$(BINDIR))|' \
	    -e 's|@PC_INCLUDEDIR_REL@|$(call pkg_rel,$(PREFIX),$(INCLUDEDIR)/xdrv-driver)|' \
	    -e 's|@PC_DATADIR_REL@|$(call pkg_rel,$(PREFIX),$(DATADIR))|' \
	    -e 's|@ABI_VERSION@|$(XDRV_ABI_VERSION_STR)|' -e 's|@PROFILE@|$(XDRV_PROFILE)|' \
	    -e 's|@TARGET@|$(XDRV_TARGET)|' -e 's|@VERSION@|$(XDRV_VERSION)|' \
	    -e 's|@FREESTANDING_CFLAGS@|$(strip $(XDRV_FREESTANDING_CFLAGS))|' \
	    packaging/xdrv-driver.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/xdrv-driver.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/xdrv-driver.pc
	install -m 0644 packaging/driver.mk $(DESTDIR)$(DATADIR)/xdrv/driver.mk
	install -m 0644 packaging/xdrv.bash-completion $(DESTDIR)$(BASHCOMPDIR)/xdrv
	install -m 0644 packaging/xdrv.bash-completion $(DESTDIR)$(BASHCOMPDIR)/xdrv-repod
	sed -e 's|@BINDIR@|$(BINDIR)|' -e 's|@DOCDIR@|$(DOCDIR)/xdrv-repod|' \
		packaging/xdrv-repod.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/xdrv-repod.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/xdrv-repod.service
	install -m 0644 packaging/repod.conf.example $(DESTDIR)$(DOCDIR)/xdrv-repod/examples/repod.conf
	install -m 0644 $(filter %.1,$(XDRV_MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(filter %.8,$(XDRV_MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(XDRV_INSTALL_PROGS))
	rm -f $(DESTDIR)$(XDRV_LIBDIR)/libxdrv-llvm.so.19
	-rmdir $(DESTDIR)$(XDRV_LIBDIR) 2>/dev/null
	rm -rf $(DESTDIR)$(INCLUDEDIR)/xdrv-driver $(DESTDIR)$(DATADIR)/xdrv
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/xdrv-driver.pc $(DESTDIR)$(BASHCOMPDIR)/xdrv \
		$(DESTDIR)$(BASHCOMPDIR)/xdrv-repod $(DESTDIR)$(SYSTEMDUNITDIR)/xdrv-repod.service
	rm -rf $(DESTDIR)$(DOCDIR)/xdrv-repod/examples
	-rmdir $(DESTDIR)$(DOCDIR)/xdrv-repod 2>/dev/null
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(filter %.1,$(XDRV_MAN_PAGES)))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(filter %.8,$(XDRV_MAN_PAGES))))

# ---- Debian packages ------------------------------------------------------------------------
# $(O)/deb/{xdrv,xdrv-repod}_VERSION_ARCH.deb and xdrv-driver-dev_VERSION_all.deb, from a staged
# `make install PREFIX=/usr` (units in /lib/systemd/system, where bookworm's systemd looks);
# packaging/deb/build-debs.sh says what goes where. lintian errors fail the build.
DEB_VERSION ?= $(XDRV_VERSION)-1
DEB_DIR = $(abspath $(O))/deb
deb: $(XDRV) $(O)/bin/xdrv-repod
	rm -rf $(DEB_DIR)/stage $(DEB_DIR)/*.deb
	$(MAKE) --no-print-directory -o $(XDRV) -o $(O)/bin/xdrv-repod install \
		DESTDIR=$(DEB_DIR)/stage PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system >/dev/null
	XDRV_DLOPEN_SONAMES="$(if $(LLVM_PRIVATE_LIB),,$(if $(LLVM_LAZY_PROGS),$(LLVM_SONAME)))" \
		packaging/deb/build-debs.sh $(DEB_DIR)/stage $(DEB_DIR) $(DEB_VERSION)

# the .debs installed into a clean Debian bookworm chroot (debootstrap, cached under
# $(O)/deb-chroot) and run there (tests/packaging/deb_chroot.sh; needs root and the Debian mirror)
deb-test: deb
	tests/packaging/deb_chroot.sh $(O)
