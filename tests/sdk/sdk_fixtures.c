// SPDX-License-Identifier: MIT
/*
 * Fixtures for the SDK suites (see sdk_fixtures.h). Not a suite itself: it only provides the
 * IR, C sources and archive builders the suites share.
 */
#include "sdk_fixtures.h"

#include <archive.h>
#include <archive_entry.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/IRReader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>

#include "../../sdk/sdk_private.h"
#include "../xtest.h"

const char sdkfx_ir_head[] =
	"target datalayout = \"" SDK_DATALAYOUT "\"\n"
	"target triple = \"" SDK_TRIPLE "\"\n"
	"%struct.xdrv_match = type { i32, i32, i32, i32, i32, i32, ptr }\n"
	"%struct.xdrv_param = type { ptr, i32, i32, i64, i64, i64, ptr, ptr }\n"
	"%struct.xdrv_driver = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, ptr, [8 x ptr] "
	"}\n";

const char sdkfx_ir_driver[] =
	"@.name = private constant [6 x i8] c\"hello\\00\"\n"
	"@.ver = private constant [6 x i8] c\"1.0.0\\00\"\n"
	"@.compat = private constant [9 x i8] c\"ns16550a\\00\"\n"
	"@match = internal constant [2 x %struct.xdrv_match] [%struct.xdrv_match { i32 2, i32 0, "
	"i32 0, i32 0, i32 0, i32 0, ptr @.compat }, %struct.xdrv_match zeroinitializer]\n"
	"@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 128, i32 "
	"0, ptr @.name, ptr @.ver, ptr @match, ptr null, ptr @probe, ptr @remove, [8 x ptr] "
	"zeroinitializer }\n"
	"define internal i32 @probe(ptr %d) {\n  ret i32 0\n}\n"
	"define internal void @remove(ptr %d) {\n  ret void\n}\n";

const char sdkfx_c_hello[] =
	"#include <xdrv/abi.h>\n"
	"XDRV_PARAM(uint32_t, greet_count);\n"
	"static const struct xdrv_param params[] = {\n"
	"\tXDRV_PARAM_ENTRY(XDRV_PARAM_U32, greet_count, 1, 1, 16, \"how many times to greet\"),\n"
	"\tXDRV_PARAM_END,\n"
	"};\n"
	"static const struct xdrv_match match[] = {\n"
	"\t{.bus = XDRV_BUS_PLATFORM, .compatible = \"xdrv,hello\"},\n"
	"\t{.bus = 0},\n"
	"};\n"
	"static int32_t hello_probe(xdrv_device_t *dev)\n"
	"{\n"
	"\tstruct xdrv_msg m;\n"
	"\tfor (uint32_t i = 0; i < xdrv_param_greet_count; i++) {\n"
	"\t\txdrv_msg_init(&m);\n"
	"\t\txdrv_msg_str(&m, \"hello #\");\n"
	"\t\txdrv_msg_u64(&m, i);\n"
	"\t\txdrv_msg_log(&m, XDRV_LOG_INFO);\n"
	"\t}\n"
	"\t(void)dev;\n"
	"\treturn XDRV_OK;\n"
	"}\n"
	"static void hello_remove(xdrv_device_t *dev)\n"
	"{\n"
	"\t(void)dev;\n"
	"\txdrv_log(XDRV_LOG_INFO, \"bye\");\n"
	"}\n"
	"XDRV_DRIVER(.name = \"hello\", .version = \"1.0.0\", .match = match, .params = params,\n"
	"\t    .probe = hello_probe, .remove = hello_remove);\n";

LLVMModuleRef sdkfx_ir(LLVMContextRef ctx, const char *part1, const char *part2)
{
	const char *parts[] = {part1, part2};
	size_t cap = sizeof sdkfx_ir_head + 2;
	for (int i = 0; i < 2; i++)
		cap += parts[i] ? strlen(parts[i]) : 0;
	char *text = malloc(cap);
	if (!text)
		return NULL;
	size_t o = strlen(sdkfx_ir_head);
	memcpy(text, sdkfx_ir_head, o);
	for (int i = 0; i < 2; i++) {
		if (!parts[i])
			continue;
		memcpy(text + o, parts[i], strlen(parts[i]));
		o += strlen(parts[i]);
		text[o++] = '\n';
	}
	text[o] = 0;
	LLVMMemoryBufferRef mb =
		LLVMCreateMemoryBufferWithMemoryRangeCopy(text, strlen(text), "fx");
	LLVMModuleRef m = NULL;
	char *msg = NULL;
	if (LLVMParseIRInContext(ctx, mb, &m, &msg)) {
		fprintf(stderr, "fixture IR does not parse: %s\n%s\n", msg ? msg : "?", text);
		CU_FAIL("fixture IR does not parse");
		m = NULL;
	}
	LLVMDisposeMessage(msg);
	free(text);
	return m;
}

const char *sdkfx_ir_to_bc(const char *dir, const char *name, const char *ir_body)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = sdkfx_ir(ctx, ir_body, NULL);
	const char *path = xtest_path("%s/%s", dir, name);
	char *err = NULL;
	if (!m || sdk_normalize(m, &err) != 0 || LLVMWriteBitcodeToFile(m, path) != 0) {
		CU_FAIL("fixture bitcode");
		free(err);
		path = NULL;
	}
	if (m)
		LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
	return path;
}

size_t sdkfx_lines(const char *s)
{
	size_t n = s && *s ? 1 : 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

struct grow {
	uint8_t *p;
	size_t len, cap;
};

static la_ssize_t grow_write(struct archive *a, void *opaque, const void *buf, size_t n)
{
	(void)a;
	struct grow *g = opaque;
	if (g->len + n > g->cap) {
		g->cap = (g->len + n) * 2;
		g->p = realloc(g->p, g->cap);
	}
	memcpy(g->p + g->len, buf, n);
	g->len += n;
	return (la_ssize_t)n;
}

uint8_t *sdkfx_tar(const struct sdkfx_member *m, size_t n, int gzip, size_t *len)
{
	struct grow g = {0};
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open2(a, &g, NULL, grow_write, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_perm(e, 0644);
		switch (m[i].type) {
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, m[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, m[i].data);
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			break;
		default:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)m[i].len);
		}
		archive_write_header(a, e);
		if (m[i].type == 'f' && m[i].len)
			archive_write_data(a, m[i].data, m[i].len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	*len = g.len;
	return g.p;
}

char *sdkfx_manifest_for(const void *bc, size_t bclen, const char *const tweak[2])
{
	struct sdk_match match = {.bus = 2, .compatible = "ns16550a"};
	struct sdk_manifest m = {
		.format = 1,
		.name = "hello",
		.version = "1.0.0",
		.security_version = 1,
		.abi_version = 1000000,
		.profile = SDK_PROFILE,
		.bitcode = "driver.bc",
		.desc = {.probe = "probe", .remove = "remove", .match = &match, .nmatch = 1},
		.files = {{.path = "driver.bc", .size = bclen}},
		.nfiles = 1,
	};
	sdk_sha256_hex(bc, bclen, m.files[0].sha256);
	char *json = NULL, *err = NULL;
	size_t jlen;
	if (sdk_manifest_write(&m, &json, &jlen, &err) != 0) {
		free(err);
		return NULL;
	}
	if (!tweak)
		return json;
	size_t fl = strlen(tweak[0]), tl = strlen(tweak[1]);
	char *out = malloc(jlen * (tl + 1) + 1), *o = out;
	for (const char *p = json; *p;) {
		if (fl && strncmp(p, tweak[0], fl) == 0) {
			memcpy(o, tweak[1], tl);
			o += tl;
			p += fl;
		} else {
			*o++ = *p++;
		}
	}
	*o = 0;
	free(json);
	return out;
}
