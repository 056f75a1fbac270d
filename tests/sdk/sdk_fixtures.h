/* SPDX-License-Identifier: MIT */
/*
 * Fixtures shared by the SDK suites (tests/sdk/sdk_fixtures.c): a minimal valid driver module
 * as LLVM IR text, to which each test appends the construct it is about; IR parsing; writing
 * fixture IR as bitcode; C driver sources for the build tests; a small in-memory tar writer for
 * hand-made (malicious) archives.
 */
#ifndef XDRV_TESTS_SDK_FIXTURES_H
#define XDRV_TESTS_SDK_FIXTURES_H

#include <llvm-c/Core.h>
#include <stddef.h>
#include <stdint.h>

/* Header lines (data layout, triple, ABI struct types) of every IR fixture. */
extern const char sdkfx_ir_head[];
/* A valid descriptor (name "hello", version "1.0.0", one platform match "ns16550a", no params)
 * with internal @probe and @remove. */
extern const char sdkfx_ir_driver[];
/* The C source of a small valid driver (logs, one u32 parameter, a platform match). */
extern const char sdkfx_c_hello[];

/* Parse head + part1 + part2 (IR snippets; part2 may be NULL) into a module of ctx. Fails the
 * current test (and returns NULL) if the IR does not parse. */
LLVMModuleRef sdkfx_ir(LLVMContextRef ctx, const char *part1, const char *part2);
/* Same, then normalize and write bitcode to dir/name; returns the path (static rotating). */
const char *sdkfx_ir_to_bc(const char *dir, const char *name, const char *ir_body);

/* Count lines of a message. */
size_t sdkfx_lines(const char *s);

/* Tar writer for fixtures. type: 'f' regular, 'l' symlink (data = target), 'h' hardlink
 * (data = target), 'd' directory. */
struct sdkfx_member {
	const char *name;
	char type;
	const void *data;
	size_t len;
};
/* Write members as a pax tar (gzip-compressed when gzip != 0) into a malloc'd buffer. */
uint8_t *sdkfx_tar(const struct sdkfx_member *m, size_t n, int gzip, size_t *len);

/* A manifest JSON for one bitcode member "driver.bc" of the given content; `tweak` (may be
 * NULL) edits the manifest text: every occurrence of tweak[0] is replaced by tweak[1]. */
char *sdkfx_manifest_for(const void *bc, size_t bclen, const char *const tweak[2]);

#endif
