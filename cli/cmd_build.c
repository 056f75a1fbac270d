// SPDX-License-Identifier: MIT
/*
 * `xdrv build`: compile a driver's (or with --extension, a packet extension's) C sources into
 * one portable, ABI-checked bitcode module (sdk_build). Option parsing and messages only; the work
 * is in sdk/build.c. Compiler and lint diagnostics are printed in the compiler's "file:line:col:
 * error:" form, unprefixed; only xdrv's one-line summary says "xdrv build:".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>

#include "commands.h"
#include "cmd_util.h"

static const char usage[] =
	"usage: xdrv build [-o OUT.bc] [-I DIR]... [-D NAME[=VALUE]]... [-v] [--extension]\n"
	"                  [--patch] [--no-lint] SRC.c...\n"
	"\n"
	"Compile driver sources with " SDK_CLANG " for the portable profile " SDK_PROFILE
	" (triple " SDK_TRIPLE ",\n"
	"freestanding, driver ABI headers only, -O2 with LLVM passes disabled), link them into "
	"one\n"
	"bitcode module, and check it: descriptor, portability and ABI lint. Every problem is\n"
	"reported, one per line, with what to write instead, in the form editors and CI parse:\n"
	"  driver.c:12:5: error: function probe: import not in the xdrv ABI ...: use ...\n"
	"(the place comes from line tables compiled in for the check and stripped from the\n"
	"output; a problem without a place is 'OUT.bc: error: ...'). Compiler messages are\n"
	"passed on as clang prints them; a C library header that is not found gets notes on\n"
	"what a freestanding driver uses instead. The last line, 'xdrv build: ...', sums up.\n"
	"\n"
	"  -o OUT.bc        output file (default: first source's name with .bc, in this folder)\n"
	"  -I DIR           also search DIR for the driver's own headers\n"
	"  -D NAME[=VALUE]  define a macro\n"
	"  -v               print the compiler command lines\n"
	"  --extension      build a packet extension (<xdrv/ext.h>, XDRV_EXTENSION) instead\n"
	"                   of a driver: same profile, static helpers with pointer\n"
	"                   parameters inlined, checked with the extension profile's lint\n"
	"                   (sdk/README.md); pack and sign it like a driver\n"
	"  --patch          build a live patch: replacement functions for a driver (same\n"
	"                   names and types), static helpers and static const data, no\n"
	"                   descriptor; the driver's functions and globals it uses are\n"
	"                   declared extern. Pack it with xdrv pack --patch-for BASE.xdrv\n"
	"                   (sdk/README.md, \"Patch packages\")\n"
	"  --no-lint        testing loaders only: write the bitcode even if the descriptor\n"
	"                   or lint check fails (the problems are printed as warnings)\n"
	"\n"
	"environment: XDRV_ABI_INCLUDE  driver ABI headers (default: ../include/xdrv-driver\n"
	"                               beside this program's folder, or the source tree's\n"
	"                               driver-abi/include when run from its build folder)\n"
	"             XDRV_CLANG        compiler to run (default: " SDK_CLANG ")\n";

/* "dir/uart.c" -> "uart.bc" */
static char *default_output(const char *src)
{
	const char *base = strrchr(src, '/');
	base = base ? base + 1 : src;
	size_t n = strlen(base);
	if (n > 2 && strcmp(base + n - 2, ".c") == 0)
		n -= 2;
	char *out = malloc(n + 4);
	if (out)
		snprintf(out, n + 4, "%.*s.bc", (int)n, base);
	return out;
}

/* sdk_build's message: a summary line, then diagnostics in the compiler's form (clang's own
 * output, lint problems as "file:line:col: error: ..."). The diagnostics go out as they are, so
 * that editors and CI can jump to them; the summary last, as xdrv's own line. Returns 1. */
static int report(const char *err)
{
	const char *nl = err ? strchr(err, '\n') : NULL;
	if (nl)
		fprintf(stderr, "%s\n", nl + 1);
	fprintf(stderr, "xdrv build: %.*s\n", nl ? (int)(nl - err) : (int)strlen(err ? err : ""),
		err ? err : "");
	return 1;
}

int cmd_build(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'}, {"verbose", no_argument, NULL, 'v'},
		{"no-lint", no_argument, NULL, 'L'},	  {"extension", no_argument, NULL, 'X'},
		{"patch", no_argument, NULL, 'P'},	  {NULL, 0, NULL, 0}};
	const char **defs = calloc((size_t)argc, sizeof *defs);
	const char **incs = calloc((size_t)argc, sizeof *incs);
	struct sdk_build_opts o = {.defines = defs, .include_dirs = incs};
	char *out = NULL, *err = NULL;
	int ret = 0, c;
	if (!defs || !incs) {
		ret = cmd_fail("build", "out of memory");
		goto out;
	}
	optind = 0; /* glibc: full re-initialisation */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:I:D:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'I':
			incs[o.ninclude_dirs++] = optarg;
			break;
		case 'D':
			defs[o.ndefines++] = optarg;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'L':
			o.no_lint = 1;
			break;
		case 'X':
			o.extension = 1;
			break;
		case 'P':
			o.patch = 1;
			break;
		default:
			ret = xdrv_cli_option_error("build", longopts, argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		ret = cmd_usage_error("build", "no source files");
		goto out;
	}
	o.sources = (const char *const *)argv + optind;
	o.nsources = (size_t)(argc - optind);
	if (!o.output) {
		out = default_output(o.sources[0]);
		if (!out) {
			ret = cmd_fail("build", "out of memory");
			goto out;
		}
		o.output = out;
	}
	if (sdk_build(&o, &err) != 0)
		ret = report(err);
out:
	free(err);
	free(out);
	free(defs);
	free(incs);
	return ret;
}
