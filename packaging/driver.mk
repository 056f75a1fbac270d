# SPDX-License-Identifier: MIT
# xdrv driver.mk: build, pack and sign an xdrv driver from a few lines of Makefile. Installed as
# PREFIX/share/xdrv/driver.mk by `make install` (package xdrv-driver-dev); a driver's Makefile:
#
#   DRIVER  := mynic                # package name (the descriptor's name)
#   VERSION := 1.2.0                # must equal the descriptor's version
#   include $(shell pkg-config --variable=makeinclude xdrv-driver)
#
# Variables (set before the include; only DRIVER and VERSION are required):
#   SRCS              C sources (default: every *.c in this folder)
#   SECURITY_VERSION  security generation written into the manifest (default 0)
#   DRIVER_CPPFLAGS   -I DIR and -D NAME[=VALUE] options for `xdrv build` (nothing else is passed
#                     to the compiler: the profile's flags are fixed by the SDK)
#   SIGN_CERT, SIGN_KEY, SIGN_CHAIN   signer certificate, its key, the vendor CA (for `make sign`)
#   XDRV              the xdrv program (default: PREFIX/bin/xdrv beside this file, else PATH's)
#   OUT               output folder (default: build)
# Targets:
#   all (default)     $(OUT)/$(DRIVER).bc and the unsigned package $(OUT)/$(DRIVER)-$(VERSION).xdrv
#   bc, pack          one of the two
#   sign              $(OUT)/$(DRIVER)-$(VERSION).signed.xdrv
#   inspect           show the (unsigned, your own) package: inspect --allow-unsigned
#   clean             remove $(OUT)
# XDRV_DRIVER_CFLAGS holds `pkg-config --cflags xdrv-driver` (ABI headers + freestanding flags)
# for tools that compile the sources themselves (editors, a native unit-test build).

XDRV_MK_PREFIX := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
XDRV ?= $(if $(wildcard $(XDRV_MK_PREFIX)/bin/xdrv),$(XDRV_MK_PREFIX)/bin/xdrv,xdrv)
PKG_CONFIG ?= pkg-config
XDRV_DRIVER_CFLAGS = $(shell $(PKG_CONFIG) --cflags xdrv-driver)

ifeq ($(strip $(DRIVER)),)
$(error driver.mk: set DRIVER (the driver's package name) before including driver.mk)
endif
SRCS ?= $(sort $(wildcard *.c))
SECURITY_VERSION ?= 0
OUT ?= build
XDRV_BC := $(OUT)/$(DRIVER).bc
XDRV_PKG := $(OUT)/$(DRIVER)-$(VERSION).xdrv
XDRV_SIGNED := $(OUT)/$(DRIVER)-$(VERSION).signed.xdrv

.PHONY: all bc pack sign inspect clean
all: bc pack
bc: $(XDRV_BC)
pack: $(XDRV_PKG)
sign: $(XDRV_SIGNED)

$(XDRV_BC): $(SRCS) $(wildcard *.h)
	@mkdir -p $(OUT)
	$(XDRV) build -o $@ $(DRIVER_CPPFLAGS) $(SRCS)

$(XDRV_PKG): $(XDRV_BC)
	$(if $(strip $(VERSION)),,$(error driver.mk: set VERSION (X.Y.Z, the descriptor's version)))
	$(XDRV) pack -o $@ --version $(VERSION) --security-version $(SECURITY_VERSION) $<

$(XDRV_SIGNED): $(XDRV_PKG)
	$(if $(and $(SIGN_CERT),$(SIGN_KEY),$(SIGN_CHAIN)),,$(error driver.mk: make sign needs SIGN_CERT, SIGN_KEY and SIGN_CHAIN))
	$(XDRV) sign --cert $(SIGN_CERT) --key $(SIGN_KEY) --chain $(SIGN_CHAIN) -o $@ $<

inspect: $(XDRV_PKG)
	$(XDRV) inspect --allow-unsigned $<

clean:
	rm -rf $(OUT)
