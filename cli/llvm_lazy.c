// SPDX-License-Identifier: MIT
/*
 * LLVM on first use (issue 13: commands that never compile do not pay for loading LLVM).
 *
 * libLLVM is the biggest library xdrv uses: mapping and relocating it (some 335 000 relocations)
 * and running its static constructors was more than half of the start-up of every command,
 * `xdrv --help` included. So the `xdrv` program is linked without it. The build generates
 * (scripts/gen-llvm-lazy, from `llvm-nm -u` of the libraries and the LLVM-C headers) one hidden
 * function per LLVM-C function the libraries call, with the same name and prototype; each calls
 * the real function through a table, and the first call of any of them comes here: dlopen the
 * library by its soname, which finds it where the dynamic linker found the DT_NEEDED library
 * before (the program's RUNPATH, then the system's paths), and dlsym every name. A missing
 * library or symbol is one clear line and exit status 1, at the first LLVM call instead of at
 * start-up.
 *
 * Which commands load it is decided by what runs, not by a list: `build`, `pack`, `load`, `run`,
 * `boot` and `version` do; `--help`, `verify`, `list`, `search`, `sign`, `abi`, ... do not; and
 * `inspect` only in its forked child, when it parses bitcode. tests/e2e/cli.sh checks both sides
 * with LD_DEBUG. The other programs (xdrv-bench, xdrv-repod, the test binaries) link libLLVM as
 * before; a cross build (make ARCH=...) too.
 *
 * Which library: a native build links its own, lib/xdrv/libxdrv-llvm.so.19 (the Makefile's
 * LLVM_PRIVATE), from LLVM's static archives of only the components xdrv uses, exporting only the
 * functions stubbed here and binding everything else inside itself. It is looked for first beside
 * the program, DIR/bin/xdrv -> DIR/lib/xdrv/ (the build folder and an installed tree alike, moved
 * or not), then by soname on the library path, then Debian's libLLVM by its soname (the same
 * LLVM version and C API, only slower to load). For the commands that compile this is most of
 * their start-up: Debian's libLLVM, loaded after start-up, comes last in the global scope, so each
 * of its 22 000 symbol relocations was looked up in every library loaded before it (some 60),
 * and its 311 000 relative relocations (every target's) and 664 constructors ran; the private
 * one has 3 800, packed ones and 378. dlopen took 75-120 ms here, the
 * private library 30-45 ms, and the dp83820's first call at the fast tier went from 134-162 ms
 * to 48-64 ms (docs/BENCHMARKS.md "Tiers"). A build without static archives (or LLVM_PRIVATE=0,
 * or a cross build's stubs) loads Debian's libLLVM by its soname, as before.
 */
#include "llvm_lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The private library as installed beside the program: DIR/bin/xdrv, DIR/lib/xdrv/SONAME. */
static void *open_beside(const char *soname)
{
	char exe[4096], path[4096 + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	int len = snprintf(path, sizeof path, "%s/../lib/xdrv/%s", exe, soname);
	if (len < 0 || (size_t)len >= sizeof path || access(path, R_OK) != 0)
		return NULL;
	return dlopen(path, RTLD_LAZY | RTLD_GLOBAL);
}

void xdrv_llvm_lazy_load(const char *sonames, const char *const *names, void (**fns)(void),
			 size_t n)
{
	/* lazy binding and the global scope, as for the DT_NEEDED library before; each soname of
	 * the list in turn: beside the program, then on the library path */
	char list[512], errs[1024] = "";
	snprintf(list, sizeof list, "%s", sonames);
	void *h = NULL;
	const char *soname = sonames;
	char *save = NULL;
	for (char *s = strtok_r(list, " ", &save); s && !h; s = strtok_r(NULL, " ", &save)) {
		soname = s;
		h = open_beside(s);
		if (!h)
			h = dlopen(s, RTLD_LAZY | RTLD_GLOBAL);
		if (!h) {
			const char *e = dlerror();
			size_t len = strlen(errs);
			snprintf(errs + len, sizeof errs - len, "%s%s", len ? "; " : "", e ? e : s);
		}
	}
	if (!h) {
		fprintf(stderr, "xdrv: cannot load LLVM, which this command needs: %s\n", errs);
		exit(1);
	}
	size_t missing = 0;
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(h, names[i]);
		if (!p) {
			if (missing++ < 8)
				fprintf(stderr, "xdrv: %s: no symbol %s (another LLVM version?)\n",
					soname, names[i]);
			continue;
		}
		/* POSIX guarantees that dlsym's object pointer converts to a function pointer */
		memcpy(&fns[i], &p, sizeof fns[i]);
	}
	if (missing) {
		fprintf(stderr, "xdrv: %zu LLVM function(s) missing from %s\n", missing, soname);
		exit(1);
	}
}
