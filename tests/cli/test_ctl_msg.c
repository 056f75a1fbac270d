// SPDX-License-Identifier: MIT
/*
 * Tests for cli/run/ctl_msg.c, the attach message a driver domain's supervisor sends its running
 * driver host (`xdrv ext attach` into a driver domain): a good one is read back field by field;
 * every truncation, a byte more, and each malformed field (operation, position, hook, policy,
 * table count, a table name that is empty, unterminated or holds a bad byte, an entry count
 * beyond the message, a record length that disagrees) is refused with -EBADMSG naming it, and
 * nothing is left allocated. The same for the swap message (`xdrv param set`, `xdrv patch` into
 * a driver domain): kind, change length and bytes, record length, reserved field, every
 * truncation, a byte more, any byte flipped.
 */
#include "../xtest.h"

#include "../../cli/run/ctl_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/ext.h>
#include <xdrv/loader.h>
#include <xdrv/net_ext.h>

static const uint8_t rec[] = "RECORD-BYTES";

static uint8_t *good_msg(size_t *n)
{
	struct run_ext_spec s;
	memset(&s, 0, sizeof s);
	s.hook = XDRV_EXT_HOOK_TX;
	s.policy = LDR_NET_EXT_DROP;
	static uint64_t k0[] = {0x0a000002, 7}, v0[] = {1, 99};
	strcpy(s.tables[0].name, "deny");
	s.tables[0].keys = k0;
	s.tables[0].vals = v0;
	s.tables[0].n = 2;
	strcpy(s.tables[1].name, "empty");
	s.ntables = 2;
	uint8_t *m = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(
		run_ctl_attach_write(42, RUN_CTL_OP_ATTACH, 3, &s, rec, sizeof rec, &m, n, &err),
		0);
	free(err);
	return m;
}

static void refused(const uint8_t *m, size_t n, const char *what)
{
	struct run_ctl_attach a;
	char *err = NULL;
	CU_ASSERT_EQUAL(run_ctl_attach_parse(m, n, &a, &err), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, what) : NULL);
	if (!err || !strstr(err, what))
		fprintf(stderr, "got '%s', wanted '%s'\n", err ? err : "(none)", what);
	CU_ASSERT_EQUAL(a.spec.ntables, 0);
	free(err);
}

static void test_a_good_message_is_read_back(void)
{
	size_t n = 0;
	uint8_t *m = good_msg(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(run_ctl_attach_is(m, n));
	struct run_ctl_attach a;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(run_ctl_attach_parse(m, n, &a, &err), 0);
	CU_ASSERT_EQUAL(a.seq, 42u);
	CU_ASSERT_EQUAL(a.op, RUN_CTL_OP_ATTACH);
	CU_ASSERT_EQUAL(a.where, 3u);
	CU_ASSERT_EQUAL(a.hook, XDRV_EXT_HOOK_TX);
	CU_ASSERT_EQUAL(a.spec.hook, XDRV_EXT_HOOK_TX);
	CU_ASSERT_EQUAL(a.policy, LDR_NET_EXT_DROP);
	CU_ASSERT_EQUAL_FATAL(a.spec.ntables, 2);
	CU_ASSERT_STRING_EQUAL(a.spec.tables[0].name, "deny");
	CU_ASSERT_EQUAL(a.spec.tables[0].n, 2);
	CU_ASSERT_EQUAL(a.spec.tables[0].keys[0], 0x0a000002u);
	CU_ASSERT_EQUAL(a.spec.tables[0].vals[1], 99u);
	CU_ASSERT_STRING_EQUAL(a.spec.tables[1].name, "empty");
	CU_ASSERT_EQUAL(a.spec.tables[1].n, 0);
	CU_ASSERT_EQUAL(a.record_len, sizeof rec);
	CU_ASSERT_EQUAL(memcmp(a.record, rec, sizeof rec), 0);
	run_ctl_attach_free(&a);
	free(m);
	free(err);
}

static void test_truncated_or_longer_messages_are_refused(void)
{
	size_t n = 0;
	uint8_t *m = good_msg(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (size_t k = 0; k < n; k++) {
		struct run_ctl_attach a;
		CU_ASSERT_EQUAL(run_ctl_attach_parse(m, k, &a, NULL), -EBADMSG);
		CU_ASSERT_EQUAL(a.spec.ntables, 0);
	}
	uint8_t *more = calloc(1, n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(more);
	memcpy(more, m, n);
	/* the record takes what follows the tables: a byte more is a longer record than said */
	refused(more, n + 1, "record length disagrees");
	free(more);
	free(m);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A copy of the good message with the u32 at `off` set to v, checked refused naming `what`. */
static void field(size_t off, uint32_t v, const char *what)
{
	size_t n = 0;
	uint8_t *m = good_msg(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	put32(m + off, v);
	refused(m, n, what);
	free(m);
}

static void test_each_malformed_field_is_refused_naming_it(void)
{
	field(0, 0x4e524458, "bad magic");
	field(12, 7, "unknown operation");
	field(16, LDR_NET_EXT_CHAIN_MAX + 1, "position out of range");
	field(20, 3, "hook is neither rx nor tx");
	field(24, 2, "policy is neither pass nor drop");
	field(28, RUN_EXT_TABLES_MAX + 1, "too many tables");
	field(28, 3, "table header truncated");
	field(32, 5, "record length disagrees");
	field(32, 0, "record length disagrees");
	field(36, 1, "reserved field not zero");
	field(40, 0, "table name empty");		      /* "deny" -> "" */
	field(40, 0x3a796e65, "table name holds a bad byte"); /* ':' */
	field(40 + 28, 0x41414141, "table name holds a bad byte");
	field(40 + 32, 0xffffffffu, "table entries truncated or too many");
	field(40 + 32, 1000, "table entries truncated or too many");
	field(40 + 36, 1, "table reserved field not zero");
	/* replace: id 0 is none */
	size_t n = 0;
	uint8_t *m = good_msg(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	put32(m + 12, RUN_CTL_OP_REPLACE);
	put32(m + 16, 0);
	refused(m, n, "attachment id 0");
	put32(m + 16, 9);
	struct run_ctl_attach a;
	CU_ASSERT_EQUAL(run_ctl_attach_parse(m, n, &a, NULL), 0);
	CU_ASSERT_EQUAL(a.where, 9u);
	run_ctl_attach_free(&a);
	/* a flipped byte anywhere: refused or read, never more */
	for (size_t k = 0; k < n; k++) {
		m[k] ^= 0xa5;
		int rc = run_ctl_attach_parse(m, n, &a, NULL);
		m[k] ^= 0xa5;
		CU_ASSERT(rc == 0 || rc == -EBADMSG);
		if (rc == 0)
			run_ctl_attach_free(&a);
	}
	free(m);
}

static void test_a_message_too_large_is_not_written(void)
{
	struct run_ext_spec s;
	memset(&s, 0, sizeof s);
	s.hook = XDRV_EXT_HOOK_RX;
	uint8_t *m = NULL;
	size_t n = 0;
	char *err = NULL;
	static uint8_t big[RUN_CTL_ATTACH_MAX];
	CU_ASSERT_EQUAL(
		run_ctl_attach_write(1, RUN_CTL_OP_ATTACH, 0, &s, big, sizeof big, &m, &n, &err),
		-E2BIG);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "running driver host") : NULL);
	free(err);
}

static uint8_t *good_swap(size_t *n)
{
	uint8_t *m = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(run_ctl_swap_write(7, LDR_SWAP_PATCH, "live patch x 1.0", rec, sizeof rec,
					   &m, n, &err),
			0);
	free(err);
	return m;
}

static void swap_refused(const uint8_t *m, size_t n, const char *what)
{
	struct run_ctl_swap sw;
	char *err = NULL;
	CU_ASSERT_EQUAL(run_ctl_swap_parse(m, n, &sw, &err), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, what) : NULL);
	if (!err || !strstr(err, what))
		fprintf(stderr, "got '%s', wanted '%s'\n", err ? err : "(none)", what);
	CU_ASSERT_PTR_NULL(sw.record);
	free(err);
}

static void swap_field(size_t off, uint32_t v, const char *what)
{
	size_t n = 0;
	uint8_t *m = good_swap(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	put32(m + off, v);
	swap_refused(m, n, what);
	free(m);
}

static void test_a_swap_message_is_read_back_and_garbled_ones_refused(void)
{
	size_t n = 0;
	uint8_t *m = good_swap(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(run_ctl_swap_is(m, n));
	CU_ASSERT(!run_ctl_attach_is(m, n));
	struct run_ctl_swap sw;
	CU_ASSERT_EQUAL_FATAL(run_ctl_swap_parse(m, n, &sw, NULL), 0);
	CU_ASSERT_EQUAL(sw.seq, 7u);
	CU_ASSERT_EQUAL(sw.what, LDR_SWAP_PATCH);
	CU_ASSERT_STRING_EQUAL(sw.change, "live patch x 1.0");
	CU_ASSERT_EQUAL(sw.record_len, sizeof rec);
	CU_ASSERT_EQUAL(memcmp(sw.record, rec, sizeof rec), 0);
	/* tier 2 (--tier auto) and an update (xdrv update) are read back with their kind */
	const uint32_t kinds[] = {LDR_SWAP_TIER2, RUN_CTL_SWAP_UPDATE};
	for (size_t k = 0; k < 2; k++) {
		uint8_t *km = NULL;
		size_t kn = 0;
		CU_ASSERT_EQUAL_FATAL(run_ctl_swap_write(9, kinds[k], "tier 2 (O2)", rec,
							 sizeof rec, &km, &kn, NULL),
				      0);
		CU_ASSERT_EQUAL(run_ctl_swap_parse(km, kn, &sw, NULL), 0);
		CU_ASSERT_EQUAL(sw.what, kinds[k]);
		CU_ASSERT_EQUAL(sw.seq, 9u);
		free(km);
	}
	/* every truncation, and a byte more */
	for (size_t k = 0; k < n; k++) {
		CU_ASSERT_EQUAL(run_ctl_swap_parse(m, k, &sw, NULL), -EBADMSG);
		CU_ASSERT_PTR_NULL(sw.record);
	}
	uint8_t *more = calloc(1, n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(more);
	memcpy(more, m, n);
	swap_refused(more, n + 1, "record length disagrees");
	free(more);
	/* each field */
	swap_field(0, 0x4e524458, "bad magic");
	swap_field(12, LDR_SWAP_NONE, "unknown kind of swap");
	swap_field(12, 99, "unknown kind of swap");
	swap_field(12, RUN_CTL_SWAP_UPDATE + 1, "unknown kind of swap");
	swap_field(16, 0, "change length out of range");
	swap_field(16, RUN_CTL_CHANGE_MAX, "change length out of range");
	swap_field(16, 0xffffffffu, "change length out of range");
	swap_field(16, 15, "record length disagrees"); /* a byte of the change to the record */
	swap_field(20, 0, "record length disagrees");
	swap_field(20, sizeof rec + 1, "record length disagrees");
	swap_field(20, 0xffffffffu, "record length disagrees");
	swap_field(24, 1, "reserved field not zero");
	swap_field(28, 0x0a697665, "not printable"); /* "live" -> "evi\n" */
	/* a flipped byte anywhere: refused or read, never more */
	for (size_t k = 0; k < n; k++) {
		m[k] ^= 0xa5;
		int rc = run_ctl_swap_parse(m, n, &sw, NULL);
		m[k] ^= 0xa5;
		CU_ASSERT(rc == 0 || rc == -EBADMSG);
	}
	free(m);
	/* what the writer will not write */
	char *err = NULL, longc[RUN_CTL_CHANGE_MAX + 1];
	memset(longc, 'x', RUN_CTL_CHANGE_MAX);
	longc[RUN_CTL_CHANGE_MAX] = 0;
	CU_ASSERT_EQUAL(run_ctl_swap_write(1, LDR_SWAP_PARAM, longc, rec, sizeof rec, &m, &n, &err),
			-EINVAL);
	CU_ASSERT_EQUAL(
		run_ctl_swap_write(1, LDR_SWAP_PARAM, "a\nb", rec, sizeof rec, &m, &n, &err),
		-EINVAL);
	CU_ASSERT_EQUAL(run_ctl_swap_write(1, LDR_SWAP_NONE, "x", rec, sizeof rec, &m, &n, &err),
			-EINVAL);
	static uint8_t big[RUN_CTL_ATTACH_MAX];
	CU_ASSERT_EQUAL(run_ctl_swap_write(1, LDR_SWAP_PARAM, "x", big, sizeof big, &m, &n, &err),
			-E2BIG);
	CU_ASSERT_PTR_NULL(m);
	free(err);
}

XTEST_SUITE(cli_ctl_msg, NULL, NULL, XTEST(test_a_good_message_is_read_back),
	    XTEST(test_truncated_or_longer_messages_are_refused),
	    XTEST(test_each_malformed_field_is_refused_naming_it),
	    XTEST(test_a_message_too_large_is_not_written),
	    XTEST(test_a_swap_message_is_read_back_and_garbled_ones_refused))
