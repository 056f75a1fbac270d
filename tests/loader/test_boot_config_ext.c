// SPDX-License-Identifier: MIT
/*
 * Packet extensions in the boot configuration (loader/boot_config.c, docs/BOOT.md "Packet
 * extensions"): a driver entry's "extensions" and "wire", each refusal naming the entry; and the
 * table files both `xdrv run --ext` and the boot read (loader/ext_table_file.c).
 */
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../loader/boot_priv.h"
#include "xdrv/ext.h"
#include "xdrv/ext_host.h"

static int has(const char *err, const char *needle)
{
	int ok = err && strstr(err, needle);
	if (!ok)
		fprintf(stderr, "message: %s (wanted: %s)\n", err ? err : "(none)", needle);
	return ok;
}

/* A configuration whose one driver entry ends with `tail` (after "device"). */
static int parse_with(const char *tail, struct boot_config **c, char **e)
{
	char json[2048];
	snprintf(json, sizeof json,
		 "{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"drivers\":[{\"package\":\"nic.xdrv\",\"device\":\"dp83820\"%s}]}",
		 tail);
	*c = NULL;
	return boot_config_parse((const uint8_t *)json, strlen(json), "/cfg", c, e);
}

static void test_boot_config_takes_extensions(void)
{
	struct boot_config *c = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL_FATAL(
		parse_with(",\"wire\":\"gen:count=3\",\"extensions\":["
			   "{\"package\":\"filter.xdrv\",\"hook\":\"rx\",\"policy\":\"drop\","
			   "\"tables\":{\"deny\":\"deny.tab\",\"hits\":\"/abs/h.tab\"},"
			   "\"params\":{\"n\":7}},"
			   "{\"package\":\"/x/prio.xdrv\",\"hook\":\"tx\"}]",
			   &c, &e),
		0);
	const struct boot_driver *d = &c->drivers[0];
	CU_ASSERT_STRING_EQUAL(d->wire, "gen:count=3");
	CU_ASSERT_EQUAL_FATAL(d->nexts, 2u);
	CU_ASSERT_STRING_EQUAL(d->exts[0].package, "/cfg/filter.xdrv");
	CU_ASSERT_EQUAL(d->exts[0].hook, XDRV_EXT_HOOK_RX);
	CU_ASSERT_EQUAL(d->exts[0].policy, 1u);
	CU_ASSERT_EQUAL_FATAL(d->exts[0].ntables, 2u);
	CU_ASSERT_STRING_EQUAL(d->exts[0].tables[0].name, "deny");
	CU_ASSERT_STRING_EQUAL(d->exts[0].tables[0].file, "/cfg/deny.tab");
	CU_ASSERT_STRING_EQUAL(d->exts[0].tables[1].file, "/abs/h.tab");
	CU_ASSERT_EQUAL_FATAL(d->exts[0].nparams, 1u);
	CU_ASSERT_STRING_EQUAL(d->exts[0].params[0].name, "n");
	CU_ASSERT_STRING_EQUAL(d->exts[0].params[0].value, "7");
	CU_ASSERT_STRING_EQUAL(d->exts[1].package, "/x/prio.xdrv");
	CU_ASSERT_EQUAL(d->exts[1].hook, XDRV_EXT_HOOK_TX);
	CU_ASSERT_EQUAL(d->exts[1].policy, 0u); /* pass by default */
	CU_ASSERT_EQUAL(d->exts[1].ntables, 0u);
	boot_config_free(c);
	/* none: no extensions, no wire */
	CU_ASSERT_EQUAL_FATAL(parse_with("", &c, NULL), 0);
	CU_ASSERT_EQUAL(c->drivers[0].nexts, 0u);
	CU_ASSERT_PTR_NULL(c->drivers[0].wire);
	boot_config_free(c);
	free(e);
}

static void test_boot_config_refuses_bad_extensions_naming_the_entry(void)
{
	static const struct {
		const char *tail, *msg;
	} cases[] = {
		{",\"extensions\":[{\"package\":\"f.xdrv\",\"hook\":\"rxx\"}]",
		 "drivers[0].extensions[0].hook: \"rxx\" is neither rx nor tx"},
		{",\"extensions\":[{\"package\":\"f.xdrv\",\"hook\":\"rx\"},"
		 "{\"package\":\"g.xdrv\",\"hook\":\"tx\",\"polcy\":\"drop\"}]",
		 "drivers[0].extensions[1]: unknown key \"polcy\""},
		{",\"extensions\":[{\"package\":\"f.xdrv\"}]",
		 "drivers[0].extensions[0].hook: missing"},
		{",\"extensions\":[{\"hook\":\"rx\"}]",
		 "drivers[0].extensions[0].package: missing"},
		{",\"extensions\":[{\"package\":\"f.xdrv\",\"hook\":\"tx\",\"policy\":\"maybe\"}]",
		 "drivers[0].extensions[0].policy: \"maybe\" is neither pass nor drop"},
		{",\"extensions\":[{\"package\":\"f.xdrv\",\"hook\":\"rx\",\"tables\":[\"a\"]}]",
		 "drivers[0].extensions[0].tables: not an object"},
		{",\"extensions\":[{\"package\":\"f.xdrv\",\"hook\":\"rx\",\"tables\":{\"t\":3}}]",
		 "drivers[0].extensions[0].tables.t: not a file name"},
		{",\"extensions\":[{\"package\":\"f.xdrv\",\"hook\":\"rx\",\"params\":{\"p\":[1]}}"
		 "]",
		 "drivers[0].extensions[0].params.p: not a string, integer or boolean"},
		{",\"extensions\":{\"package\":\"f.xdrv\"}", "drivers[0].extensions: not a list"},
		{",\"extensions\":[3]", "drivers[0].extensions[0]: not an object"},
		{",\"wire\":5", "drivers[0].wire: not a non-empty string"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct boot_config *c = NULL;
		char *e = NULL;
		CU_ASSERT_EQUAL(parse_with(cases[i].tail, &c, &e), -EINVAL);
		CU_ASSERT_PTR_NULL(c);
		CU_ASSERT(has(e, cases[i].msg));
		free(e);
	}
	/* more than a chain holds */
	char tail[4096] = ",\"extensions\":[";
	for (unsigned i = 0; i <= BOOT_MAX_EXTS; i++)
		strcat(tail, i ? ",{\"package\":\"f\",\"hook\":\"rx\"}"
			       : "{\"package\":\"f\",\"hook\":\"rx\"}");
	strcat(tail, "]");
	struct boot_config *c = NULL;
	char *e = NULL, json[8192];
	snprintf(json, sizeof json,
		 "{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"drivers\":[{\"package\":\"nic.xdrv\",\"device\":\"dp83820\"%s}]}",
		 tail);
	CU_ASSERT_EQUAL(boot_config_parse((const uint8_t *)json, strlen(json), "/cfg", &c, &e),
			-EINVAL);
	CU_ASSERT(has(e, "drivers[0].extensions: not a list of at most 16 extensions"));
	free(e);
}

static void test_ext_table_file_reads_keys_and_values(void)
{
	const char *p = xtest_path("%s/t.tab", xtest_tmpdir());
	const char *text = "# deny list\n10.0.0.2\n0x0011003500000000 5  # UDP 53\n\n 7\t9\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, text, strlen(text)), 0);
	uint64_t *k = NULL, *v = NULL;
	size_t n = 0;
	char *e = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_ext_table_file_read(p, &k, &v, &n, &e), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3u);
	CU_ASSERT_EQUAL(k[0], 0x0a000002u);
	CU_ASSERT_EQUAL(v[0], 1u); /* VALUE left out */
	CU_ASSERT_EQUAL(k[1], 0x0011003500000000ull);
	CU_ASSERT_EQUAL(v[1], 5u);
	CU_ASSERT_EQUAL(k[2], 7u);
	CU_ASSERT_EQUAL(v[2], 9u);
	free(k);
	free(v);
	/* errors name the file and line */
	const char *bad = "1\n2 3 4\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, bad, strlen(bad)), 0);
	k = v = NULL;
	n = 0;
	CU_ASSERT_EQUAL(ldr_ext_table_file_read(p, &k, &v, &n, &e), -EINVAL);
	CU_ASSERT(has(e, "line 2: want KEY [VALUE]"));
	free(e);
	e = NULL;
	free(k);
	free(v);
	k = v = NULL;
	n = 0;
	const char *neg = "-1\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, neg, strlen(neg)), 0);
	CU_ASSERT_EQUAL(ldr_ext_table_file_read(p, &k, &v, &n, &e), -EINVAL);
	free(e);
	e = NULL;
	free(k);
	free(v);
	k = v = NULL;
	n = 0;
	CU_ASSERT_EQUAL(
		ldr_ext_table_file_read(xtest_path("%s/none.tab", xtest_tmpdir()), &k, &v, &n, &e),
		-ENOENT);
	CU_ASSERT(has(e, "none.tab"));
	free(e);
}

XTEST_SUITE(loader_boot_config_ext, NULL, NULL, XTEST(test_boot_config_takes_extensions),
	    XTEST(test_boot_config_refuses_bad_extensions_naming_the_entry),
	    XTEST(test_ext_table_file_reads_keys_and_values))
