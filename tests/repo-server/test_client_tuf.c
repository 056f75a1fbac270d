// SPDX-License-Identifier: MIT
/*
 * The TUF client workflow (repo-server/client_tuf.c) against a repository signed at test time
 * (client_fixture.c) and read through file:// URLs: the normal path, root rotation, and each
 * attack class of the specification, rejected with its own message.
 */
#include "../xtest.h"
#include "client_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HAS(err, s) CU_ASSERT_PTR_NOT_NULL((err) ? strstr((err), (s)) : NULL)

static void expect(int rc, int want, const char *err, const char *msg)
{
	CU_ASSERT_EQUAL(rc, want);
	HAS(err, msg);
	if (rc != want || !err || !strstr(err, msg))
		fprintf(stderr, "  got rc=%d err=%s, want %d \"%s\"\n", rc, err ? err : "(null)",
			want, msg);
}

static void test_update_lists_delegated_target(void)
{
	struct cfx *f = cfx_create(NULL);
	struct repo_target *t = NULL;
	size_t n = 0;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(cfx_update(f, &t, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	if (n == 1) {
		CU_ASSERT_STRING_EQUAL(t[0].name, "hello");
		CU_ASSERT_STRING_EQUAL(t[0].version, "1.0.0");
		CU_ASSERT_STRING_EQUAL(t[0].vendor, "acme");
		CU_ASSERT_EQUAL(t[0].length, 3000);
	}
	/* the trusted copies are on disk */
	CU_ASSERT_EQUAL(xtest_sh("test -s '%s/repos/test/timestamp.json' && test -s "
				 "'%s/repos/test/deleg.acme.json'",
				 f->store, f->store),
			0);
	/* and a second update with nothing new succeeds too */
	CU_ASSERT_EQUAL(cfx_update(f, NULL, NULL, &err), 0);
	free(err);
	free(t);
	cfx_destroy(f);
}

static void test_fetch_target_checks_length_and_hash(void)
{
	struct cfx *f = cfx_create(NULL);
	struct repo_target *t = NULL;
	size_t n = 0, len = 0;
	uint8_t *buf = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, &t, &n, &err), 0);
	CU_ASSERT_EQUAL(repo_fetch_target(f->s, "test", &t[0], NULL, &buf, &len, &err), 0);
	CU_ASSERT_EQUAL(len, 3000);
	CU_ASSERT(buf && memcmp(buf, f->t[0].bytes, 3000) == 0);
	free(buf);
	buf = NULL;

	/* tampered: same length, one byte changed, under the listed consistent name */
	uint8_t *bad = malloc(3000);
	memcpy(bad, f->t[0].bytes, 3000);
	bad[100] ^= 1;
	cfx_write_target_file(f, 0, bad, 3000);
	expect(repo_fetch_target(f->s, "test", &t[0], NULL, &buf, &len, &err), -EBADMSG, err,
	       "acme/hello-1.0.0.xdrv: sha256 mismatch");
	CU_ASSERT_PTR_NULL(buf);
	free(err);
	err = NULL;

	/* endless data: more bytes than listed are cut off at the listed length */
	uint8_t *big = calloc(1, 1 << 20);
	memcpy(big, f->t[0].bytes, 3000);
	cfx_write_target_file(f, 0, big, 1 << 20);
	expect(repo_fetch_target(f->s, "test", &t[0], NULL, &buf, &len, &err), -EFBIG, err,
	       "longer than the 3000 bytes listed (endless data attack?)");
	CU_ASSERT_PTR_NULL(buf);
	free(err);
	free(big);
	free(bad);
	free(t);
	cfx_destroy(f);
}

static void test_update_rejects_timestamp_rollback(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	f->v_timestamp = 5;
	cfx_write_role(f, "timestamp");
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, NULL, NULL, &err), 0);
	f->v_timestamp = 4; /* an old, validly signed timestamp replayed */
	cfx_write_role(f, "timestamp");
	expect(cfx_update(f, NULL, NULL, &err), -ESTALE, err,
	       "timestamp: version 4 is older than the trusted version 5 (rollback attack?)");
	free(err);
	cfx_destroy(f);
}

static void test_update_rejects_snapshot_rollback(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	f->v_snapshot = 3;
	f->v_timestamp = 2;
	cfx_publish(f);
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, NULL, NULL, &err), 0);
	/* a newer timestamp pointing at an older (validly signed) snapshot */
	f->v_snapshot = 2;
	f->v_timestamp = 3;
	cfx_publish(f);
	expect(cfx_update(f, NULL, NULL, &err), -ESTALE, err,
	       "timestamp: snapshot version 2 is older than the trusted 3 (rollback attack?)");
	free(err);
	cfx_destroy(f);
}

static void test_update_rejects_targets_rollback(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	f->v_targets = 4;
	f->v_acme = 3;
	f->v_snapshot = 2;
	f->v_timestamp = 2;
	cfx_publish(f);
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, NULL, NULL, &err), 0);
	/* new snapshot and timestamp, but the targets go back to version 3 */
	f->v_targets = 3;
	f->v_snapshot = 3;
	f->v_timestamp = 3;
	cfx_publish(f);
	expect(cfx_update(f, NULL, NULL, &err), -ESTALE, err,
	       "snapshot: targets.json version 3 is older than the trusted 4 (rollback attack?)");
	free(err);
	err = NULL;
	/* the same for a vendor's delegated role */
	f->v_targets = 5;
	f->v_acme = 2;
	f->v_snapshot = 4;
	f->v_timestamp = 4;
	cfx_publish(f);
	expect(cfx_update(f, NULL, NULL, &err), -ESTALE, err,
	       "snapshot: acme.json version 2 is older than the trusted 3 (rollback attack?)");
	free(err);
	cfx_destroy(f);
}

static void test_update_rejects_expired_timestamp(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, NULL, NULL, &err), 0);
	/* a mirror keeps serving the last timestamp after it expired: a freeze */
	f->ts_expires = f->now - 60;
	f->v_timestamp = 2;
	cfx_write_role(f, "timestamp");
	expect(cfx_update(f, NULL, NULL, &err), -EKEYEXPIRED, err, "freeze attack?: timestamp");
	HAS(err, "expired");
	free(err);
	cfx_destroy(f);
}

static void test_update_rejects_mix_and_match(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	f->ts_no_hashes = true; /* so that only the version check can catch it */
	/* snapshot version 1 served under the name 2.snapshot.json, timestamp says 2 */
	cfx_write_role(f, "snapshot");
	xtest_sh("cp '%s/metadata/1.snapshot.json' '%s/metadata/2.snapshot.json'", f->dir, f->dir);
	f->v_snapshot = 2;
	f->v_timestamp = 2;
	cfx_write_role(f, "timestamp");
	expect(cfx_update(f, NULL, NULL, &err), -EINVAL, err,
	       "snapshot: version 1 does not match the timestamp's 2 (mix-and-match?)");
	free(err);
	err = NULL;
	/* targets: 2.targets.json holds the validly signed version 1 */
	f->v_snapshot = 3;
	f->v_timestamp = 3;
	f->v_targets = 2;
	xtest_sh("cp '%s/metadata/1.targets.json' '%s/metadata/2.targets.json'", f->dir, f->dir);
	cfx_write_role(f, "snapshot");
	cfx_write_role(f, "timestamp");
	expect(cfx_update(f, NULL, NULL, &err), -EINVAL, err,
	       "targets: version 1 does not match the snapshot's 2 (mix-and-match?)");
	free(err);
	cfx_destroy(f);
}

static void test_update_rejects_snapshot_hash_mismatch(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	/* timestamp lists snapshot 1's hash; the file is then replaced by another valid one */
	f->v_acme = 2;
	cfx_write_role(f, "acme");
	cfx_write_role(f, "snapshot"); /* 1.snapshot.json now lists acme 2: other bytes */
	expect(cfx_update(f, NULL, NULL, &err), -EBADMSG, err, "1.snapshot.json: sha256 mismatch");
	free(err);
	cfx_destroy(f);
}

static void test_update_rejects_below_threshold(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	/* root 2 asks for two timestamp keys; the timestamp carries one signature */
	f->ts_threshold = 2;
	f->v_root = 2;
	struct tuf_signer *both[] = {f->root};
	cfx_write_root(f, both, 1);
	expect(cfx_update(f, NULL, NULL, &err), -EPERM, err, "1 valid signature(s), threshold 2");
	free(err);
	err = NULL;
	/* a timestamp signed by a key the root does not list: 0 valid */
	struct tuf_signer *tmp = f->timestamp;
	f->ts_threshold = 1;
	f->v_root = 3;
	cfx_write_root(f, both, 1);
	f->v_timestamp = 2;
	f->timestamp = f->acme; /* a key the root does not list for the timestamp role */
	cfx_write_role(f, "timestamp");
	f->timestamp = tmp;
	expect(cfx_update(f, NULL, NULL, &err), -EPERM, err, "0 valid signature(s), threshold 1");
	free(err);
	cfx_destroy(f);
}

static void test_update_follows_root_rotation(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, NULL, NULL, &err), 0);
	struct tuf_signer *old = f->root, *nw = NULL;
	CU_ASSERT_EQUAL_FATAL(tuf_signer_generate(&nw, &err), 0);
	/* version 2 signed by the new key only: refused */
	f->root = nw;
	f->v_root = 2;
	struct tuf_signer *only_new[] = {nw}, *both[] = {old, nw};
	cfx_write_root(f, only_new, 1);
	expect(cfx_update(f, NULL, NULL, &err), -EPERM, err,
	       "2.root.json: not signed by the trusted root version 1");
	free(err);
	err = NULL;
	/* a root that skips a version (2.root.json says 3) */
	f->v_root = 3;
	cfx_write_root(f, both, 2);
	xtest_sh("mv '%s/metadata/3.root.json' '%s/metadata/2.root.json'", f->dir, f->dir);
	expect(cfx_update(f, NULL, NULL, &err), -EINVAL, err, "2.root.json: version 3, expected 2");
	free(err);
	err = NULL;
	/* properly: signed by old and new */
	f->v_root = 2;
	cfx_write_root(f, both, 2);
	CU_ASSERT_EQUAL(cfx_update(f, NULL, NULL, &err), 0);
	if (err)
		fprintf(stderr, "  %s\n", err);
	CU_ASSERT_EQUAL(xtest_sh("grep -q '\"version\":2' '%s/repos/test/root.json'", f->store), 0);
	free(err);
	tuf_signer_destroy(old);
	cfx_destroy(f);
}

struct warnings {
	int n;
	char last[2048];
};

static void catch_warning(void *ctx, const char *msg)
{
	struct warnings *w = ctx;
	w->n++;
	snprintf(w->last, sizeof w->last, "%s", msg);
}

static void test_update_ignores_targets_outside_delegation(void)
{
	/* Vendor acme's metadata lists two targets under core/, a path delegated to vendor core
	 * only. Before: the whole update failed ("acme: lists target core/... outside its
	 * delegated paths") for every vendor. Now those two entries are ignored with one
	 * warning (escaped: the paths carry escape sequences), and everything else works. */
	struct cfx *f = cfx_create(NULL);
	struct repo_target *t = NULL;
	size_t n = 0;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	const uint8_t b[] = "evil bytes", c[] = "core's own";
	f->with_core = true;
	cfx_add_target(f, "core/\x1b[31mevil-1.0.0.xdrv", "evil", "1.0.0", b, sizeof b);
	cfx_add_target(f, "core/\x1b[32mevil-2.0.0.xdrv", "evil", "2.0.0", b, sizeof b);
	cfx_add_role_target(f, "core", "core/base-1.0.0.xdrv", "base", "1.0.0", c, sizeof c);
	f->v_acme = f->v_targets = f->v_snapshot = f->v_timestamp = 2;
	CU_ASSERT_EQUAL_FATAL(cfx_publish(f), 0);
	struct warnings w = {0};
	struct repo_update_opts o = {.now = f->now, .warn = catch_warning, .warn_ctx = &w};
	int rc = repo_update(f->s, "test", &o, &t, &n, &err);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(w.n, 1);
	HAS(w.last, "acme: lists 2 target(s) outside its delegated paths (acme/*), e.g. core/");
	HAS(w.last, "\\x1b[3");
	HAS(w.last, "ignored, not trusted");
	CU_ASSERT_PTR_NULL(strchr(w.last, 0x1b));
	/* acme's own target and vendor core's work; the out-of-path entries are not there to be
	 * picked, so they can never be installed through acme */
	const struct repo_target *hello = repo_cli_pick(t, n, "hello", NULL, "test", &err);
	const struct repo_target *base = repo_cli_pick(t, n, "base", NULL, "test", &err);
	CU_ASSERT(hello && strcmp(hello->vendor, "acme") == 0);
	CU_ASSERT(base && strcmp(base->vendor, "core") == 0);
	CU_ASSERT_PTR_NULL(repo_cli_pick(t, n, "evil", NULL, "test", &err));
	HAS(err, "evil: not in repository test");
	uint8_t *buf = NULL;
	size_t len = 0;
	if (base) {
		CU_ASSERT_EQUAL(repo_fetch_target(f->s, "test", base, NULL, &buf, &len, &err), 0);
		CU_ASSERT(len == sizeof c && buf && memcmp(buf, c, len) == 0);
	}
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_PTR_NULL(strstr(t[i].path, "evil"));
	free(buf);
	free(err);
	free(t);
	cfx_destroy(f);
}

static void test_update_treats_403_for_next_root_as_end_of_chain(void)
{
	/* An S3-style mirror answers 403 for the missing 2.root.json. Before: the update failed
	 * ("2.root.json: HTTP 403"); now it is the end of the root chain, as a 404 is, and a
	 * rotation to root 2 is still followed until the 403 for 3.root.json. A 403 for any
	 * other file is still an error. */
	struct cfx *f = cfx_create(NULL);
	char url[128], *err = NULL;
	int pid = -1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(cfx_http_start(f, "s3", url, sizeof url, &pid), 0);
	CU_ASSERT_EQUAL_FATAL(cfx_add_repo(f, "s3", url), 0);
	struct repo_update_opts o = {.now = f->now};
	int rc = repo_update(f->s, "s3", &o, NULL, NULL, &err);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	f->v_root = 2;
	CU_ASSERT_EQUAL(cfx_write_root(f, &f->root, 1), 0);
	CU_ASSERT_EQUAL(repo_update(f->s, "s3", &o, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(xtest_sh("grep -q '\"version\":2' '%s/repos/s3/root.json'", f->store), 0);
	CU_ASSERT_EQUAL(xtest_sh("rm '%s/metadata/timestamp.json'", f->dir), 0);
	expect(repo_update(f->s, "s3", &o, NULL, NULL, &err), -EACCES, err,
	       "timestamp.json: forbidden (HTTP 403)");
	cfx_http_stop(pid);
	free(err);
	cfx_destroy(f);
}

static void test_update_names_the_cap_it_applied(void)
{
	/* The snapshot lists targets.json without a length: the cap is this client's own
	 * (16 MiB), and the message must not say that it was listed. Before: "targets:
	 * longer than the 16777216 bytes listed". */
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t big = (16u << 20) + 1;
	char *junk = malloc(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(junk);
	memset(junk, ' ', big);
	CU_ASSERT_EQUAL(xtest_write(xtest_path("%s/metadata/1.targets.json", f->dir), junk, big),
			0);
	expect(cfx_update(f, NULL, NULL, &err), -EFBIG, err,
	       "targets: longer than this client's cap of 16777216 bytes (no length listed for "
	       "it)");
	CU_ASSERT_PTR_NULL(err ? strstr(err, "listed:") : NULL);
	free(err);
	err = NULL;
	/* the timestamp lists the snapshot's length: that one is named as listed */
	size_t len = 0;
	char *snap = (char *)xtest_read(xtest_path("%s/metadata/1.snapshot.json", f->dir), &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(snap);
	char *longer = malloc(len + 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(longer);
	memcpy(longer, snap, len);
	memset(longer + len, ' ', 100);
	xtest_write(xtest_path("%s/metadata/1.snapshot.json", f->dir), longer, len + 100);
	char want[96];
	snprintf(want, sizeof want, "snapshot: longer than the %zu bytes listed", len);
	expect(cfx_update(f, NULL, NULL, &err), -EFBIG, err, want);
	free(longer);
	free(snap);
	free(junk);
	free(err);
	cfx_destroy(f);
}

static void test_update_rejects_oversized_timestamp(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	char *big = malloc(1 << 20);
	memset(big, ' ', 1 << 20);
	xtest_write(xtest_path("%s/metadata/timestamp.json", f->dir), big, 1 << 20);
	expect(cfx_update(f, NULL, NULL, &err), -EFBIG, err,
	       "timestamp.json: more than the limit of 16384 bytes");
	free(err);
	free(big);
	cfx_destroy(f);
}

static void test_update_rejects_expired_root(void)
{
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	/* the newest root (validly signed by old and new) has expired: a freeze */
	f->v_root = 2;
	f->root_expires = f->now - 10;
	cfx_write_root(f, &f->root, 1);
	expect(cfx_update(f, NULL, NULL, &err), -EKEYEXPIRED, err, "freeze attack?: root");
	HAS(err, "expired");
	free(err);
	cfx_destroy(f);
}

static void test_update_recovers_after_timestamp_key_rotation(void)
{
	/* 5.3.11: the trusted timestamp (version 9) came from a key that was then replaced; the
	 * new root lists a new timestamp key, and its timestamps restart at version 1 */
	struct cfx *f = cfx_create(NULL);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	f->v_timestamp = 9;
	cfx_write_role(f, "timestamp");
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, NULL, NULL, &err), 0);
	struct tuf_signer *old = f->timestamp;
	f->timestamp = f->extra;
	f->extra = old;
	f->v_root = 2;
	cfx_write_root(f, &f->root, 1);
	f->v_timestamp = 1;
	cfx_write_role(f, "timestamp");
	CU_ASSERT_EQUAL(cfx_update(f, NULL, NULL, &err), 0);
	if (err)
		fprintf(stderr, "  %s\n", err);
	free(err);
	cfx_destroy(f);
}

XTEST_SUITE(client_tuf, NULL, NULL, XTEST(test_update_lists_delegated_target),
	    XTEST(test_fetch_target_checks_length_and_hash),
	    XTEST(test_update_rejects_timestamp_rollback),
	    XTEST(test_update_rejects_snapshot_rollback),
	    XTEST(test_update_rejects_targets_rollback),
	    XTEST(test_update_rejects_expired_timestamp), XTEST(test_update_rejects_mix_and_match),
	    XTEST(test_update_rejects_snapshot_hash_mismatch),
	    XTEST(test_update_rejects_below_threshold), XTEST(test_update_follows_root_rotation),
	    XTEST(test_update_ignores_targets_outside_delegation),
	    XTEST(test_update_treats_403_for_next_root_as_end_of_chain),
	    XTEST(test_update_names_the_cap_it_applied),
	    XTEST(test_update_rejects_oversized_timestamp), XTEST(test_update_rejects_expired_root),
	    XTEST(test_update_recovers_after_timestamp_key_rotation))
