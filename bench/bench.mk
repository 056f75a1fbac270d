# SPDX-License-Identifier: MIT
# Included by the top-level Makefile: the native builds the bench compares the JIT against.
# ---- native driver builds for `xdrv bench` (issue 3, throughput vs native) ----------------------
# The NIC and SCSI sample drivers compiled natively from the same C sources, for the JIT-vs-native
# comparison (bench/bench.c): $(O)/native/<drv>.so (dlopen'ed; its ABI imports resolve
# against the xdrv executable's exported xdrv_* functions of xdrv-bench, -rdynamic), and $(O)/native/<drv>.o
# linked into xdrv-bench (never into the shipped xdrv), its descriptor renamed xdrv_driver_<drv> and every other symbol it
# defines made local. Flags: the SDK's portable profile (sdk/build.c) but for the host
# target, -O2 -march=native (the JIT optimizes "default<O2>" for the host CPU and its features).
# Native builds only (not ARCH=...); the bench reports a missing static build instead.
ifeq ($(ARCH),)
NATIVE_DRIVERS := dp83820 virtio_scsi
NATIVE_CFLAGS := -std=gnu11 -ffreestanding -nostdlibinc -fsigned-char -fno-common \
	-fno-stack-protector -fno-asynchronous-unwind-tables -ffp-contract=off -Wall \
	-O2 -march=native -fPIC -isystem driver-abi/include
NATIVE_SOS := $(foreach d,$(NATIVE_DRIVERS),$(O)/native/$(d).so)
NATIVE_STATIC := $(foreach d,$(NATIVE_DRIVERS),$(O)/native/$(d).o)
$(O)/native/%.so: $(wildcard sample-drivers/*/*.[ch]) $(wildcard driver-abi/include/xdrv/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  NATIVE  $@")
	$(Q)printf '{ global: xdrv_driver; local: *; };\n' > $@.map
	$(Q)clang-19 $(NATIVE_CFLAGS) -shared -nostdlib -Wl,--version-script=$@.map -o $@ $(wildcard sample-drivers/$*/*.c)
$(O)/native/%.o: $(wildcard sample-drivers/*/*.[ch]) $(wildcard driver-abi/include/xdrv/*.h)
	@mkdir -p $(dir $@)/$*.objs
	$(if $(Q),@echo "  NATIVE  $@")
	$(Q)for f in $(wildcard sample-drivers/$*/*.c); do \
		clang-19 $(NATIVE_CFLAGS) -c $$f -o $(dir $@)/$*.objs/$$(basename $$f .c).o || exit 1; done
	$(Q)ld.lld-19 -r -o $@.tmp $(dir $@)/$*.objs/*.o
	$(Q)llvm-objcopy-19 --keep-global-symbol=xdrv_driver $@.tmp
	$(Q)llvm-objcopy-19 --redefine-sym xdrv_driver=xdrv_driver_$* $@.tmp $@
	$(Q)rm -f $@.tmp
PROG_EXTRA_xdrv-bench := $(NATIVE_STATIC)
all test-build: $(NATIVE_SOS)
endif
# ---- end of native driver builds -----------------------------------------------------------------
# ---- xdrv-taprelay's io=xdp (issue 14, choosing the wire's I/O): AF_XDP through libxdp --------
# Only the relay links libxdp/libbpf; without them (pkg-config finds none) io=xdp is refused.
# Host builds only: pkg-config names the host's libraries, which a cross build (ARCH=...) cannot
# link, so there the relay is built without io=xdp.
XDP_LIBS := $(if $(CROSS_TRIPLE),,$(shell pkg-config --libs libxdp libbpf 2>/dev/null))
ifneq ($(XDP_LIBS),)
$(O)/obj/bench/main_xdrv-taprelay.o: CFLAGS += -DXDRV_HAVE_LIBXDP $(shell pkg-config --cflags libxdp libbpf)
$(O)/bin/xdrv-taprelay: SYSLIBS += $(XDP_LIBS)
endif
# ---- the eBPF/XDP peer of the filter extension (issue 16): xdrv-xdppeer + its BPF object -------
# Host builds with libbpf only; elsewhere xdrv-xdppeer says the peer is not available.
BPF_LIBS := $(if $(CROSS_TRIPLE),,$(shell pkg-config --libs libbpf 2>/dev/null))
ifneq ($(BPF_LIBS),)
$(O)/obj/bench/main_xdrv-xdppeer.o: CFLAGS += -DXDRV_HAVE_LIBBPF $(shell pkg-config --cflags libbpf)
$(O)/bin/xdrv-xdppeer: SYSLIBS += $(BPF_LIBS)
$(O)/bench/xdp_filter.bpf.o: bench/xdp_filter.bpf.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BPF     $@")
	$(Q)clang-19 -O2 -g -target bpf -I/usr/include/$(shell gcc -dumpmachine) -c $< -o $@
all: $(O)/bench/xdp_filter.bpf.o
endif
