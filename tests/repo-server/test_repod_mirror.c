// SPDX-License-Identifier: MIT
/*
 * The static mirror (repo-server/repod_mirror.c) on the SQLite store: a first pass writes the
 * whole tree, later passes only what is new (files already there keep their inode), a pass with
 * nothing new reads and writes nothing, a stopped or failed pass leaves the previous timestamp
 * and is followed by a full pass, a second writer is refused, temporaries of a killed writer
 * are removed, and a full pass puts back a file someone changed. After each step the folder is
 * checked as a client walks it: timestamp.json -> the snapshot it names (length, sha256) -> the
 * version file of every role the snapshot lists -> every target those roles list (length,
 * sha256). PostgreSQL and concurrent publishes: tests/e2e/repod_mirror.sh.
 */
#include "../xtest.h"
#include "repod_fixture.h"
#include "xdrv/util.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static json_t *load_signed(const char *dir, const char *file, const json_t *want)
{
	size_t len;
	unsigned char *b = xtest_read(xtest_path("%s/metadata/%s", dir, file), &len);
	json_t *env = NULL;
	if (!b) {
		fprintf(stderr, "mirror check: %s: missing\n", file);
		return NULL;
	}
	/* what the referring file says about it: length and sha256, when it says them */
	const json_t *l = want ? json_object_get(want, "length") : NULL;
	const char *h =
		want ? json_string_value(json_object_get(json_object_get(want, "hashes"), "sha256"))
		     : NULL;
	unsigned char md[32];
	char hex[65];
	SHA256(b, len, md);
	xdrv_hex(md, 32, hex);
	if ((l && (size_t)json_integer_value(l) != len) || (h && strcmp(h, hex) != 0))
		fprintf(stderr, "mirror check: %s: length or sha256 differs from its listing\n",
			file);
	else
		env = json_loadb((const char *)b, len, 0, NULL);
	free(b);
	json_t *s = env ? json_incref(json_object_get(env, "signed")) : NULL;
	json_decref(env);
	return s;
}

/* The walk of a client through the folder. The number of targets, or -1 (printed). */
static int consistent(const char *dir)
{
	int n = 0;
	json_t *ts = load_signed(dir, "timestamp.json", NULL), *snap = NULL;
	const json_t *sm =
		ts ? json_object_get(json_object_get(ts, "meta"), "snapshot.json") : NULL;
	char f[300];
	if (sm) {
		snprintf(f, sizeof(f), "%lld.snapshot.json",
			 (long long)json_integer_value(json_object_get(sm, "version")));
		snap = load_signed(dir, f, sm);
	}
	if (!snap)
		n = -1;
	const char *key;
	json_t *val;
	json_object_foreach(snap ? json_object_get(snap, "meta") : NULL, key, val)
	{
		snprintf(f, sizeof(f), "%lld.%s",
			 (long long)json_integer_value(json_object_get(val, "version")), key);
		json_t *role = load_signed(dir, f, val);
		const char *tk;
		json_t *tv;
		if (!role)
			n = -1;
		json_object_foreach(role ? json_object_get(role, "targets") : NULL, tk, tv)
		{
			const char *sha = json_string_value(
				json_object_get(json_object_get(tv, "hashes"), "sha256"));
			const char *slash = strchr(tk, '/');
			size_t len = 0;
			unsigned char md[32], *b = NULL;
			char hex[65];
			if (sha && slash)
				b = xtest_read(xtest_path("%s/targets/%.*s/%s.%s", dir,
							  (int)(slash - tk), tk, sha, slash + 1),
					       &len);
			if (b)
				SHA256(b, len, md), xdrv_hex(md, 32, hex);
			if (!b || strcmp(hex, sha) != 0 ||
			    (size_t)json_integer_value(json_object_get(tv, "length")) != len) {
				fprintf(stderr, "mirror check: target %s: missing or altered\n",
					tk);
				n = -1;
			} else if (n >= 0) {
				n++;
			}
			free(b);
		}
		json_decref(role);
	}
	json_decref(snap);
	json_decref(ts);
	return n;
}

static ino_t inode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static int publish(struct rfx *f, const char *name, char sha[65])
{
	size_t n;
	uint8_t *pkg = rfx_pkg(name, &n);
	struct repo_publish_result res;
	int rc = pkg ? repo_publish(f->r, RFX_ACME_TOKEN, pkg, n, NULL, &res, NULL) : -ENOENT;
	if (rc == 0 && sha)
		snprintf(sha, 65, "%s", res.sha256);
	free(pkg);
	return rc;
}

/* timestamp.json of the folder is the store's current one */
static bool current(struct rfx *f, const char *dir)
{
	uint8_t *b = NULL;
	size_t len = 0, mlen = 0;
	unsigned char *m = xtest_read(xtest_path("%s/metadata/timestamp.json", dir), &mlen);
	bool same = repo_metadata_get(f->r, "timestamp.json", &b, &len, NULL) == 0 && m &&
		    mlen == len && memcmp(m, b, len) == 0;
	free(b);
	free(m);
	return same;
}

static void test_mirror_pass_writes_only_what_is_new(void)
{
	struct rfx *f = rfx_create(0);
	struct repo_mirror *m = NULL;
	struct repo_mirror_pass st;
	char *err = NULL, sha[65];
	const char *dir = xtest_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(publish(f, "hello", sha), 0);
	CU_ASSERT_EQUAL_FATAL(repo_mirror_open(f->r, dir, NULL, &m, &err), 0);
	CU_ASSERT_EQUAL_FATAL(repo_mirror_sync(m, &st, &err), 0);
	CU_ASSERT_TRUE(st.changed && st.full);
	CU_ASSERT_EQUAL(st.targets, 1);
	CU_ASSERT_EQUAL(st.timestamp_version, rfx_version(f, "timestamp"));
	CU_ASSERT_EQUAL(consistent(dir), 1);
	CU_ASSERT_TRUE(current(f, dir));
	ino_t root1 = inode(xtest_path("%s/metadata/1.root.json", dir)),
	      hello = inode(xtest_path("%s/targets/acme/%s.hello-1.0.0.xdrv", dir, sha)),
	      page = inode(xtest_path("%s/drivers/hello/index.html", dir));
	CU_ASSERT_NOT_EQUAL(root1, 0);
	CU_ASSERT_NOT_EQUAL(hello, 0);
	CU_ASSERT_NOT_EQUAL(page, 0);

	/* nothing new: nothing read beyond the two versions, nothing written */
	CU_ASSERT_EQUAL(repo_mirror_sync(m, &st, &err), 0);
	CU_ASSERT_FALSE(st.changed);
	CU_ASSERT_EQUAL(st.targets + st.metadata + st.pages, 0);

	/* one publish: its package, the vendor role, snapshot and timestamp (versioned and plain),
	 * the index and its driver's page; the files already there are not touched */
	uint64_t acme = rfx_version(f, "acme"), snap = rfx_version(f, "snapshot");
	CU_ASSERT_EQUAL_FATAL(publish(f, "uart16550", NULL), 0);
	CU_ASSERT_EQUAL(repo_mirror_sync(m, &st, &err), 0);
	CU_ASSERT_TRUE(st.changed);
	CU_ASSERT_FALSE(st.full);
	CU_ASSERT_EQUAL(st.targets, 1);
	CU_ASSERT_EQUAL(st.metadata, 5);
	CU_ASSERT_EQUAL(st.pages, 2);
	CU_ASSERT_EQUAL(consistent(dir), 2);
	CU_ASSERT_TRUE(current(f, dir));
	CU_ASSERT_EQUAL(xtest_sh("test -f %s/metadata/%llu.acme.json -a -f "
				 "%s/metadata/%llu.snapshot.json -a -f "
				 "%s/drivers/uart16550/index.html",
				 dir, (unsigned long long)acme + 1, dir,
				 (unsigned long long)snap + 1, dir),
			0);
	CU_ASSERT_EQUAL(inode(xtest_path("%s/metadata/1.root.json", dir)), root1);
	CU_ASSERT_EQUAL(inode(xtest_path("%s/targets/acme/%s.hello-1.0.0.xdrv", dir, sha)), hello);
	CU_ASSERT_EQUAL(inode(xtest_path("%s/drivers/hello/index.html", dir)), page);

	/* a vendor added: a new delegated role, targets, snapshot, timestamp */
	CU_ASSERT_EQUAL(repo_vendor_add(f->r, "gamma", "gamma-token-0123456789abcdef", &err), 0);
	CU_ASSERT_EQUAL(repo_mirror_sync(m, &st, &err), 0);
	CU_ASSERT_TRUE(st.changed && !st.full);
	CU_ASSERT_EQUAL(st.targets, 0);
	CU_ASSERT_EQUAL(
		xtest_sh("test -f %s/metadata/1.gamma.json -a -f %s/metadata/gamma.json", dir, dir),
		0);
	CU_ASSERT_EQUAL(consistent(dir), 2);
	CU_ASSERT_TRUE(current(f, dir));
	if (err)
		fprintf(stderr, "%s\n", err);
	free(err);
	repo_mirror_close(m);
	rfx_destroy(f);
}

static void test_mirror_stopped_or_failed_pass_keeps_the_old_timestamp(void)
{
	struct rfx *f = rfx_create(0);
	struct repo_mirror *m = NULL;
	struct repo_mirror_pass st;
	volatile sig_atomic_t stop = 0;
	char *err = NULL;
	const char *dir = xtest_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(repo_mirror_open(f->r, dir, &stop, &m, &err), 0);
	CU_ASSERT_EQUAL_FATAL(repo_mirror_sync(m, &st, &err), 0);
	unsigned char *ts0 = xtest_read(xtest_path("%s/metadata/timestamp.json", dir), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ts0);

	/* asked to stop: the pass ends before its first file */
	CU_ASSERT_EQUAL_FATAL(publish(f, "hello", NULL), 0);
	stop = 1;
	CU_ASSERT_EQUAL(repo_mirror_sync(m, &st, &err), -EINTR);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "stopped before timestamp v") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(xtest_sh("test \"$(cat %s/metadata/timestamp.json)\" = '%s'", dir,
				 (const char *)ts0),
			0);
	CU_ASSERT_EQUAL(consistent(dir), 0);

	/* a file that cannot be written (a folder in its place): the pass fails after the
	 * package, before any metadata that names it changes what clients see */
	stop = 0;
	uint64_t next = rfx_version(f, "acme");
	CU_ASSERT_EQUAL_FATAL(
		xtest_sh("mkdir -p %s/metadata/%llu.acme.json/x", dir, (unsigned long long)next),
		0);
	CU_ASSERT_NOT_EQUAL(repo_mirror_sync(m, &st, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "acme.json") : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(xtest_sh("test \"$(cat %s/metadata/timestamp.json)\" = '%s'", dir,
				 (const char *)ts0),
			0);
	CU_ASSERT_EQUAL(consistent(dir), 0);

	/* the obstacle gone, the next pass compares everything and catches up */
	CU_ASSERT_EQUAL_FATAL(
		xtest_sh("rm -r %s/metadata/%llu.acme.json", dir, (unsigned long long)next), 0);
	CU_ASSERT_EQUAL(repo_mirror_sync(m, &st, &err), 0);
	CU_ASSERT_TRUE(st.changed && st.full);
	CU_ASSERT_EQUAL(st.targets, 0); /* written by the failed pass, whole */
	CU_ASSERT_EQUAL(consistent(dir), 1);
	CU_ASSERT_TRUE(current(f, dir));
	free(ts0);
	free(err);
	repo_mirror_close(m);
	rfx_destroy(f);
}

static void test_mirror_second_writer_is_refused(void)
{
	struct rfx *f = rfx_create(0);
	struct repo_mirror *m = NULL, *m2 = NULL;
	char *err = NULL;
	const char *dir = xtest_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(repo_mirror_open(f->r, dir, NULL, &m, &err), 0);
	CU_ASSERT_EQUAL(repo_mirror_open(f->r, dir, NULL, &m2, &err), -EBUSY);
	CU_ASSERT_PTR_NULL(m2);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "another xdrv-repod export writes this folder")
				   : NULL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(repo_export(f->r, dir, &err), -EBUSY);
	free(err);
	err = NULL;
	repo_mirror_close(m);
	/* released with the first */
	CU_ASSERT_EQUAL(repo_export(f->r, dir, &err), 0);
	free(err);
	rfx_destroy(f);
}

static void test_mirror_drops_temporaries_and_puts_back_changed_files(void)
{
	struct rfx *f = rfx_create(0);
	char *err = NULL;
	const char *dir = xtest_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(publish(f, "hello", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(repo_export(f->r, dir, &err), 0);
	/* what a writer killed mid-file leaves, and a metadata file someone changed */
	CU_ASSERT_EQUAL_FATAL(
		xtest_sh("cd %s && touch metadata/timestamp.json.tmp.Ab12Cd "
			 "targets/acme/x.hello-1.0.0.xdrv.tmp.zzzzzz index.html.tmp.000000 && "
			 "cp metadata/1.root.json keep.json && echo '{}' >metadata/1.root.json && "
			 "echo 'not ours' >notes.tmp.txt",
			 dir),
		0);
	CU_ASSERT_EQUAL(repo_export(f->r, dir, &err), 0);
	CU_ASSERT_EQUAL(
		xtest_sh("test -z \"$(find %s -name '*.tmp.[!.][!.][!.][!.][!.][!.]')\"", dir), 0);
	CU_ASSERT_EQUAL(xtest_sh("test -f %s/notes.tmp.txt", dir), 0);
	CU_ASSERT_EQUAL(xtest_sh("cmp -s %s/metadata/1.root.json %s/keep.json", dir, dir), 0);
	CU_ASSERT_EQUAL(consistent(dir), 1);
	free(err);
	rfx_destroy(f);
}

XTEST_SUITE(repo_mirror, NULL, NULL, XTEST(test_mirror_pass_writes_only_what_is_new),
	    XTEST(test_mirror_stopped_or_failed_pass_keeps_the_old_timestamp),
	    XTEST(test_mirror_second_writer_is_refused),
	    XTEST(test_mirror_drops_temporaries_and_puts_back_changed_files))
