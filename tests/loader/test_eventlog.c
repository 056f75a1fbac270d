// SPDX-License-Identifier: MIT
/*
 * Tests for loader/eventlog.c: the TCG crypto-agile log round-trips, replays to the PCR values
 * a TPM would hold (checked against a hand computation), and the strict parser refuses each
 * defect with a message naming the event: truncation, a tampered digest or datum, a foreign
 * header, trailing bytes, a bad PCR index.
 */
#include "../xtest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/boot.h>

static void sha(const void *d, size_t n, uint8_t out[32])
{
	unsigned int l = 32;
	EVP_Digest(d, n, out, &l, EVP_sha256(), NULL);
}

static int has(const char *err, const char *needle)
{
	int ok = err && strstr(err, needle);
	if (!ok)
		fprintf(stderr, "message: %s (wanted: %s)\n", err ? err : "(none)", needle);
	return ok;
}

/* A log of three events: note (no action), PCR 11 "a", PCR 12 "bb". */
static void make(uint8_t **buf, size_t *len)
{
	struct evl l = {0};
	CU_ASSERT_EQUAL(evl_append_text(&l, 11, EVL_EV_NO_ACTION, "note", NULL), 0);
	CU_ASSERT_EQUAL(evl_append_text(&l, 11, EVL_EV_IPL, "a", NULL), 0);
	CU_ASSERT_EQUAL(evl_append_text(&l, 12, EVL_EV_IPL, "bb", NULL), 0);
	CU_ASSERT_EQUAL(evl_serialize(&l, buf, len, NULL), 0);
	evl_free(&l);
}

static void test_eventlog_round_trips_and_starts_with_spec_id_event(void)
{
	uint8_t *b = NULL;
	size_t n = 0;
	make(&b, &n);
	CU_ASSERT_EQUAL(n, 65u + 3 * 50 + 5 + 2 + 3);
	CU_ASSERT_EQUAL(memcmp(b + 32, "Spec ID Event03", 16), 0);
	struct evl l;
	CU_ASSERT_EQUAL(evl_parse(b, n, &l, NULL), 0);
	CU_ASSERT_EQUAL(l.n, 3u);
	CU_ASSERT_EQUAL(l.ev[1].pcr, 11u);
	CU_ASSERT_STRING_EQUAL((char *)l.ev[2].data, "bb");
	evl_free(&l);
	free(b);
}

static void test_eventlog_replay_extends_like_a_tpm(void)
{
	uint8_t *b = NULL, pcrs[24][32], want[32], cat[64];
	size_t n = 0;
	make(&b, &n);
	struct evl l;
	CU_ASSERT_EQUAL_FATAL(evl_parse(b, n, &l, NULL), 0);
	evl_replay(&l, pcrs);
	memset(cat, 0, 32);
	sha("a", 2, cat + 32); /* the text and its NUL */
	sha(cat, 64, want);
	CU_ASSERT_EQUAL(memcmp(pcrs[11], want, 32), 0); /* the EV_NO_ACTION note is not extended */
	memset(cat, 0, 32);
	sha("bb", 3, cat + 32);
	sha(cat, 64, want);
	CU_ASSERT_EQUAL(memcmp(pcrs[12], want, 32), 0);
	evl_free(&l);
	free(b);
}

static void test_eventlog_rejects_truncation_everywhere(void)
{
	uint8_t *b = NULL;
	size_t n = 0;
	make(&b, &n);
	for (size_t cut = 0; cut < n; cut++) {
		struct evl l;
		char *e = NULL;
		int rc = evl_parse(b, cut, &l, &e);
		/* whole events: note\0 is 55 bytes, a\0 52 */
		if (cut == 65 || cut == 65 + 55 || cut == 65 + 55 + 52) {
			CU_ASSERT_EQUAL(rc, 0); /* whole events: a shorter log, caught by replay */
			evl_free(&l);
		} else {
			if (rc == 0)
				evl_free(&l);
			CU_ASSERT_EQUAL(rc, -EBADMSG);
			CU_ASSERT(e && strstr(e, "truncated"));
		}
		free(e);
	}
	free(b);
}

static void test_eventlog_rejects_tampered_event_data(void)
{
	uint8_t *b = NULL;
	size_t n = 0;
	make(&b, &n);
	b[n - 2] ^= 1; /* "bb" -> "bc" */
	struct evl l;
	char *e = NULL;
	CU_ASSERT_EQUAL(evl_parse(b, n, &l, &e), -EBADMSG);
	CU_ASSERT(has(e, "event log: event 3: digest does not match the event data (tampered)"));
	free(e);
	free(b);
}

static void test_eventlog_rejects_foreign_header_and_trailing_bytes(void)
{
	uint8_t *b = NULL;
	size_t n = 0;
	char *e = NULL;
	struct evl l;
	make(&b, &n);
	b[32 + 14] = '2'; /* "Spec ID Event02" */
	CU_ASSERT_EQUAL(evl_parse(b, n, &l, &e), -EBADMSG);
	CU_ASSERT(has(e, "Spec ID event: signature is not \"Spec ID Event03\""));
	free(e);
	e = NULL;
	b[32 + 14] = '3';
	b[32 + 28] = 0x04; /* algorithm SHA-1 */
	CU_ASSERT_EQUAL(evl_parse(b, n, &l, &e), -EBADMSG);
	CU_ASSERT(has(e, "not SHA-256 only"));
	free(e);
	e = NULL;
	b[32 + 28] = 0x0B;
	uint8_t *longer = calloc(1, n + 7);
	memcpy(longer, b, n);
	CU_ASSERT_EQUAL(evl_parse(longer, n + 7, &l, &e), -EBADMSG);
	CU_ASSERT(has(e, "event log: event 4: truncated header"));
	free(e);
	free(longer);
	free(b);
}

static void test_eventlog_rejects_bad_pcr_and_digest_count(void)
{
	uint8_t *b = NULL;
	size_t n = 0;
	char *e = NULL;
	struct evl l;
	make(&b, &n);
	b[65 + 55] = 24; /* event 2's PCR index */
	CU_ASSERT_EQUAL(evl_parse(b, n, &l, &e), -EBADMSG);
	CU_ASSERT(has(e, "event log: event 2: PCR index out of range 0..23"));
	free(e);
	e = NULL;
	b[65 + 55] = 11;
	b[65 + 55 + 8] = 2; /* two digests */
	CU_ASSERT_EQUAL(evl_parse(b, n, &l, &e), -EBADMSG);
	CU_ASSERT(has(e, "not exactly one SHA-256 digest"));
	free(e);
	free(b);
	CU_ASSERT_EQUAL(evl_append(&l, 24, EVL_EV_IPL, "x", 1, NULL), -EINVAL);
}

XTEST_SUITE(loader_eventlog, NULL, NULL,
	    XTEST(test_eventlog_round_trips_and_starts_with_spec_id_event),
	    XTEST(test_eventlog_replay_extends_like_a_tpm),
	    XTEST(test_eventlog_rejects_truncation_everywhere),
	    XTEST(test_eventlog_rejects_tampered_event_data),
	    XTEST(test_eventlog_rejects_foreign_header_and_trailing_bytes),
	    XTEST(test_eventlog_rejects_bad_pcr_and_digest_count))
