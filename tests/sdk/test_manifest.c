// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/manifest.c: a round trip of every field, and one negative test per defect
 * (missing field, wrong type, unknown or duplicate key, out-of-range numbers, huge strings and
 * lists, bad syntax), each asserting the code and the field named in the message.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>

#include "../xtest.h"

/* A complete, valid manifest; tests replace one piece of it. */
static const char good[] =
	"{\n"
	"  \"abi_version\": 1000000,\n"
	"  \"bitcode\": \"driver.bc\",\n"
	"  \"entry\": {\"probe\": \"nic_probe\", \"remove\": \"nic_remove\"},\n"
	"  \"files\": [{\"path\": \"driver.bc\", \"sha256\": "
	"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\", \"size\": 1234}],\n"
	"  \"format\": 1,\n"
	"  \"match\": [{\"bus\": \"pci\", \"vendor\": 4107, \"device\": 34, \"class_code\": "
	"131072, "
	"\"class_mask\": 16776960, \"compatible\": null},\n"
	"            {\"bus\": \"platform\", \"vendor\": 0, \"device\": 0, \"class_code\": 0, "
	"\"class_mask\": 0, \"compatible\": \"ns16550a\"}],\n"
	"  \"name\": \"dp83820\",\n"
	"  \"params\": [{\"name\": \"rx_ring\", \"type\": \"u32\", \"default\": 64, \"min\": 16, "
	"\"max\": 4096, \"desc\": \"receive ring size\"},\n"
	"             {\"name\": \"offset\", \"type\": \"i64\", \"default\": \"-5\", \"min\": "
	"\"-9223372036854775808\", \"max\": \"10\", \"desc\": null},\n"
	"             {\"name\": \"big\", \"type\": \"u64\", \"default\": "
	"\"18446744073709551615\", "
	"\"min\": \"0\", \"max\": \"18446744073709551615\", \"desc\": null},\n"
	"             {\"name\": \"verbose\", \"type\": \"bool\", \"default\": 1, \"min\": 0, "
	"\"max\": "
	"1, \"desc\": null}],\n"
	"  \"profile\": \"xdrv-lp64le-1\",\n"
	"  \"security_version\": 3,\n"
	"  \"version\": \"1.2.3\"\n"
	"}\n";

/* good with the first occurrence of `from` replaced by `to` (static buffer). */
static const char *edit(const char *from, const char *to)
{
	static char *buf;
	free(buf);
	const char *p = strstr(good, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	size_t n = strlen(good) - strlen(from) + strlen(to) + 1;
	buf = malloc(n);
	snprintf(buf, n, "%.*s%s%s", (int)(p - good), good, to, p + strlen(from));
	return buf;
}

static void expect_bad(const char *json, int code, const char *want)
{
	struct sdk_manifest m;
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_manifest_parse(json, strlen(json), &m, &err), code);
	bool found = err && strstr(err, want);
	CU_ASSERT(found);
	if (!found)
		fprintf(stderr, "\nwanted '%s', got: %s\n", want, err ? err : "(nothing)");
	free(err);
}

static void test_manifest_parses_every_field(void)
{
	struct sdk_manifest m;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_parse(good, strlen(good), &m, &err), 0);
	CU_ASSERT_EQUAL(m.format, 1);
	CU_ASSERT_STRING_EQUAL(m.name, "dp83820");
	CU_ASSERT_STRING_EQUAL(m.version, "1.2.3");
	CU_ASSERT_EQUAL(m.security_version, 3);
	CU_ASSERT_EQUAL(m.abi_version, 1000000);
	CU_ASSERT_STRING_EQUAL(m.profile, SDK_PROFILE);
	CU_ASSERT_STRING_EQUAL(m.bitcode, "driver.bc");
	CU_ASSERT_STRING_EQUAL(m.desc.probe, "nic_probe");
	CU_ASSERT_STRING_EQUAL(m.desc.name, "dp83820");
	CU_ASSERT_EQUAL(m.desc.nmatch, 2);
	CU_ASSERT_EQUAL(m.desc.match[0].vendor, 4107);
	CU_ASSERT_PTR_NULL(m.desc.match[0].compatible);
	CU_ASSERT_STRING_EQUAL(m.desc.match[1].compatible, "ns16550a");
	CU_ASSERT_EQUAL(m.desc.nparams, 4);
	CU_ASSERT_EQUAL((int64_t)m.desc.params[1].def, -5);
	CU_ASSERT_EQUAL((int64_t)m.desc.params[1].min, INT64_MIN);
	CU_ASSERT_EQUAL(m.desc.params[2].max, UINT64_MAX);
	CU_ASSERT_EQUAL(m.nfiles, 1);
	CU_ASSERT_EQUAL(m.files[0].size, 1234);
	sdk_manifest_free(&m);
	sdk_manifest_free(NULL);
}

static void test_manifest_write_round_trips(void)
{
	struct sdk_manifest m, m2;
	char *err = NULL, *json = NULL, *json2 = NULL;
	size_t len, len2;
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_parse(good, strlen(good), &m, &err), 0);
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_write(&m, &json, &len, &err), 0);
	CU_ASSERT_EQUAL(strlen(json), len);
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_parse(json, len, &m2, &err), 0);
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_write(&m2, &json2, &len2, &err), 0);
	CU_ASSERT_STRING_EQUAL(json, json2); /* deterministic: sorted keys, fixed indent */
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"big\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"18446744073709551615\""));
	CU_ASSERT(strncmp(json, "{\n  \"abi_version\"", 17) == 0);
	free(json);
	free(json2);
	sdk_manifest_free(&m);
	sdk_manifest_free(&m2);
}

static void test_manifest_rejects_missing_field(void)
{
	expect_bad(edit("\"security_version\": 3,", ""), -EINVAL,
		   "manifest: security_version: missing");
	expect_bad(edit("\"remove\": \"nic_remove\"", "\"x\": 1"), -EINVAL,
		   "manifest: entry.x: unknown key");
	expect_bad(edit(", \"desc\": \"receive ring size\"", ""), -EINVAL,
		   "manifest: params[0].desc: missing");
}

static void test_manifest_rejects_wrong_type(void)
{
	expect_bad(edit("\"security_version\": 3", "\"security_version\": \"3\""), -EINVAL,
		   "manifest: security_version: must be an integer");
	expect_bad(edit("\"size\": 1234", "\"size\": 1234.0"), -EINVAL,
		   "manifest: files[0].size: must be an integer");
	expect_bad(edit("\"name\": \"dp83820\"", "\"name\": [\"dp83820\"]"), -EINVAL,
		   "manifest: name: must be a string");
	expect_bad(edit("\"default\": 64", "\"default\": \"64\""), -EINVAL,
		   "manifest: params[0].default: must be an integer");
	expect_bad(edit("\"default\": \"-5\"", "\"default\": -5"), -EINVAL,
		   "manifest: params[1].default: must be a decimal string for type i64");
	expect_bad("[1, 2]", -EINVAL, "manifest: top level: must be an object");
}

static void test_manifest_rejects_unknown_key(void)
{
	expect_bad(edit("\"format\": 1,", "\"format\": 1, \"run_as_root\": true,"), -EINVAL,
		   "manifest: run_as_root: unknown key");
	expect_bad(edit("\"size\": 1234", "\"size\": 1234, \"mode\": 4095"), -EINVAL,
		   "manifest: files[0].mode: unknown key");
}

static void test_manifest_rejects_duplicate_key(void)
{
	expect_bad(edit("\"format\": 1,", "\"format\": 1, \"format\": 1,"), -EINVAL,
		   "duplicate object key");
}

static void test_manifest_rejects_out_of_range(void)
{
	expect_bad(edit("\"default\": 64", "\"default\": 9000"), -EINVAL,
		   "manifest: params[0].default: 9000 out of range 16..4096");
	expect_bad(edit("\"security_version\": 3", "\"security_version\": 9007199254740992"),
		   -EINVAL, "manifest: security_version: 9007199254740992 out of range");
	expect_bad(edit("\"abi_version\": 1000000", "\"abi_version\": 5"), -EINVAL,
		   "manifest: abi_version: 5 out of range 1000000..999999999");
	expect_bad(edit("\"format\": 1", "\"format\": 2"), -EINVAL,
		   "manifest: format: 2 out of range 1..1");
	expect_bad(edit("\"vendor\": 4107", "\"vendor\": 4294967296"), -EINVAL,
		   "manifest: match[0].vendor: 4294967296 out of range 0..4294967295");
	expect_bad(edit("\"max\": 4096", "\"max\": 8"), -EINVAL,
		   "manifest: params[0].max: 8 is below min 16");
	expect_bad(edit("\"default\": 1, \"min\": 0", "\"default\": 2, \"min\": 0"), -EINVAL,
		   "manifest: params[3].default: 2 out of range 0..1 for type bool");
	expect_bad(edit("\"default\": \"18446744073709551615\"",
			"\"default\": \"18446744073709551616\""),
		   -EINVAL, "manifest: params[2].default: '18446744073709551616' is not a u64");
	expect_bad(edit("\"security_version\": 3", "\"security_version\": 99999999999999999999999"),
		   -EINVAL, "manifest: line");
}

static void test_manifest_rejects_bad_strings(void)
{
	expect_bad(edit("\"name\": \"dp83820\"", "\"name\": \"../../etc\""), -EINVAL,
		   "manifest: name: must be a driver name");
	expect_bad(edit("\"version\": \"1.2.3\"", "\"version\": \"1.2\""), -EINVAL,
		   "manifest: version: must be MAJOR.MINOR.PATCH");
	expect_bad(edit("\"profile\": \"xdrv-lp64le-1\"", "\"profile\": \"x86_64\""), -EINVAL,
		   "manifest: profile: must be \"xdrv-lp64le-1\"");
	expect_bad(edit("\"path\": \"driver.bc\"", "\"path\": \"/etc/passwd\""), -EINVAL,
		   "manifest: files[0].path: must be a relative member name");
	expect_bad(edit("0123456789abcdef0123", "0123456789ABCDEF0123"), -EINVAL,
		   "manifest: files[0].sha256: must be 64 lower-case hex digits");
	expect_bad(edit("\"bitcode\": \"driver.bc\"", "\"bitcode\": \"other.bc\""), -EINVAL,
		   "manifest: bitcode: 'other.bc' is not listed in files");
	expect_bad(edit("\"desc\": \"receive ring size\"", "\"desc\": \"line\\nbreak\""), -EINVAL,
		   "manifest: params[0].desc: must be printable ASCII on one line");
	expect_bad(edit("\"bus\": \"pci\"", "\"bus\": \"usb\""), -EINVAL,
		   "manifest: match[0].bus: must be \"pci\" or \"platform\"");
	expect_bad(edit("\"name\": \"dp83820\"", "\"name\": \"dp\\u0000x\""), -EINVAL,
		   "manifest: line");
}

static void test_manifest_rejects_huge_strings_and_lists(void)
{
	size_t n = 100000;
	char *big = malloc(n + 32);
	memcpy(big, "\"name\": \"", 9);
	memset(big + 9, 'a', n);
	memcpy(big + 9 + n, "\"", 2);
	expect_bad(edit("\"name\": \"dp83820\"", big), -EINVAL,
		   "manifest: name: 100000 bytes, over the limit of 63");
	free(big);

	/* 65 parameters */
	size_t cap = 65 * 120 + 64;
	char *ps = malloc(cap);
	size_t o = (size_t)snprintf(ps, cap, "\"params\": [");
	for (int i = 0; i < 65; i++)
		o += (size_t)snprintf(ps + o, cap - o,
				      "%s{\"name\": \"p%d\", \"type\": \"u32\", \"default\": 0, "
				      "\"min\": 0, \"max\": 0, \"desc\": null}",
				      i ? "," : "", i);
	snprintf(ps + o, cap - o, "],");
	const char *start = strstr(good, "\"params\": [");
	const char *end = strstr(good, "\"profile\"");
	size_t gl = strlen(good);
	char *doc = malloc(gl + cap);
	snprintf(doc, gl + cap, "%.*s%s%s", (int)(start - good), good, ps, end);
	expect_bad(doc, -EINVAL, "manifest: params: 65 entries, over the limit of 64");
	free(doc);
	free(ps);

	char *huge = malloc(SDK_MANIFEST_MAX + 2);
	memset(huge, ' ', SDK_MANIFEST_MAX + 1);
	huge[SDK_MANIFEST_MAX + 1] = 0;
	expect_bad(huge, -EFBIG, "manifest: 262145 bytes, over the limit of 262144");
	free(huge);
}

static void test_manifest_rejects_syntax_errors(void)
{
	expect_bad("{\"format\": 1,", -EINVAL, "manifest: line 1");
	expect_bad("", -EINVAL, "manifest:");
	struct sdk_manifest m;
	char *err = NULL;
	CU_ASSERT_EQUAL(sdk_manifest_parse(NULL, 0, &m, &err), -EINVAL);
	free(err);
}

/* The optional description: absent is NULL, present round-trips, and it follows the one-line
 * printable rule (a newline or an escape byte in it is refused, naming the field). */
static void test_manifest_description_is_optional_and_one_printable_line(void)
{
	struct sdk_manifest m;
	char *err = NULL, *json = NULL;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_parse(good, strlen(good), &m, &err), 0);
	CU_ASSERT_PTR_NULL(m.description);
	sdk_manifest_free(&m);
	const char *with =
		edit("\"format\": 1,", "\"format\": 1, \"description\": \"A NIC driver\",");
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_parse(with, strlen(with), &m, &err), 0);
	CU_ASSERT_STRING_EQUAL(m.description, "A NIC driver");
	CU_ASSERT_EQUAL_FATAL(sdk_manifest_write(&m, &json, &len, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"description\": \"A NIC driver\""));
	free(json);
	sdk_manifest_free(&m);
	expect_bad(edit("\"format\": 1,", "\"format\": 1, \"description\": \"a\\nb\","), -EINVAL,
		   "manifest: description: must be printable ASCII (one line)");
	expect_bad(edit("\"format\": 1,", "\"format\": 1, \"description\": \"\\u001b[2J\","),
		   -EINVAL, "manifest: description: must be printable ASCII (one line)");
	expect_bad(edit("\"format\": 1,", "\"format\": 1, \"description\": 5,"), -EINVAL,
		   "manifest: description: must be a string");
}

XTEST_SUITE(sdk_manifest, NULL, NULL, XTEST(test_manifest_parses_every_field),
	    XTEST(test_manifest_description_is_optional_and_one_printable_line),
	    XTEST(test_manifest_write_round_trips), XTEST(test_manifest_rejects_missing_field),
	    XTEST(test_manifest_rejects_wrong_type), XTEST(test_manifest_rejects_unknown_key),
	    XTEST(test_manifest_rejects_duplicate_key), XTEST(test_manifest_rejects_out_of_range),
	    XTEST(test_manifest_rejects_bad_strings),
	    XTEST(test_manifest_rejects_huge_strings_and_lists),
	    XTEST(test_manifest_rejects_syntax_errors))
