// SPDX-License-Identifier: MIT
/*
 * LLVM on first use (issue 13: commands that never compile do not pay for loading LLVM).
 *
 * libLLVM is the biggest library xdrv uses: mapping and relocating it (some 380 000 relocations)
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
 * The price, for the commands that do compile: loaded after start-up, libLLVM comes last in the
 * global scope, so each of its symbol relocations is looked up in every library loaded before it
 * (some 60) and loading takes a few ms longer than at start-up (docs/BENCHMARKS.md). RTLD_DEEPBIND
 * would look in libLLVM's own scope first and remove that, but the sanitizers refuse it (the test
 * build would differ) and it would bypass an LD_PRELOADed allocator or tool: not worth it.
 */
#include "llvm_lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xdrv_llvm_lazy_load(const char *soname, const char *const *names, void (**fns)(void), size_t n)
{
	/* lazy binding and the global scope, as for the DT_NEEDED library before */
	void *h = dlopen(soname, RTLD_LAZY | RTLD_GLOBAL);
	if (!h) {
		const char *e = dlerror();
		fprintf(stderr, "xdrv: cannot load LLVM, which this command needs: %s\n",
			e ? e : soname);
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
