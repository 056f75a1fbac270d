// SPDX-License-Identifier: MIT
/*
 * xdrv-repod repository suites: publish rules (new, idempotent, 409, token, signature, size,
 * truncation, delegation), concurrent publishes, metadata versions and the whole TUF chain
 * checked after each change, kill -9 at each step of a publish, root rotation, vendors, config,
 * expiry refresh and the static export.
 */
#include "../xtest.h"
#include "../../repo-server/repod.h"
#include "repod_fixture.h"
#include "xdrv/signer.h"
#include "xdrv/tuf.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/abi.h>

static int publish(struct rfx *f, const char *token, const uint8_t *b, size_t n, const char *path,
		   struct repo_publish_result *res, char **err)
{
	return repo_publish(f->r, token, b, n, path, res, err);
}

/* ---- publish rules -------------------------------------------------------------------------- */
static void test_publish_new_then_same_bytes_is_idempotent(void)
{
	struct rfx *f = rfx_create(0);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkg);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 0);
	uint64_t ts0 = rfx_version(f, "timestamp"), sn0 = rfx_version(f, "snapshot"),
		 ac0 = rfx_version(f, "acme"), tg0 = rfx_version(f, "targets");
	struct repo_publish_result res;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(publish(f, RFX_ACME_TOKEN, pkg, n, NULL, &res, &err), 0);
	CU_ASSERT_EQUAL(res.status, 201);
	CU_ASSERT_STRING_EQUAL(res.target, "acme/hello-1.0.0.xdrv");
	CU_ASSERT_STRING_EQUAL(res.name, "hello");
	CU_ASSERT_EQUAL(rfx_version(f, "timestamp"), ts0 + 1);
	CU_ASSERT_EQUAL(rfx_version(f, "snapshot"), sn0 + 1);
	CU_ASSERT_EQUAL(rfx_version(f, "acme"), ac0 + 1);
	CU_ASSERT_EQUAL(rfx_version(f, "targets"), tg0); /* delegations unchanged */
	CU_ASSERT_EQUAL(res.targets_version, ac0 + 1);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 1);
	/* same bytes again: 200, nothing re-signed */
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, n, NULL, &res, &err), 0);
	CU_ASSERT_EQUAL(res.status, 200);
	CU_ASSERT_EQUAL(rfx_version(f, "timestamp"), ts0 + 1);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 1);
	free(err);
	free(pkg);
	rfx_destroy(f);
}

static void test_publish_same_version_other_bytes_is_409(void)
{
	struct rfx *f = rfx_create(0);
	size_t n, n2;
	uint8_t *pkg = rfx_pkg("hello", &n), *other = rfx_pkg_resigned("hello", &n2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	struct repo_publish_result res;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(publish(f, RFX_ACME_TOKEN, pkg, n, NULL, &res, NULL), 0);
	uint64_t ts = rfx_version(f, "timestamp");
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, other, n2, NULL, &res, &err), -EEXIST);
	CU_ASSERT_EQUAL(repo_status_for(-EEXIST), 409);
	CU_ASSERT_TRUE(err && strstr(err, "publish: hello 1.0.0 exists with different contents"));
	CU_ASSERT_EQUAL(rfx_version(f, "timestamp"), ts);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 1);
	free(err);
	free(pkg);
	free(other);
	rfx_destroy(f);
}

static void test_publish_rejects_wrong_and_missing_token(void)
{
	struct rfx *f = rfx_create(0);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct repo_publish_result res;
	char *err = NULL;
	CU_ASSERT_EQUAL(publish(f, "acme-token-0123456789abcdeX", pkg, n, NULL, &res, &err),
			-EACCES);
	CU_ASSERT_STRING_EQUAL(err, "publish: missing or wrong token");
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(publish(f, NULL, pkg, n, NULL, &res, &err), -EACCES);
	CU_ASSERT_STRING_EQUAL(err, "publish: missing or wrong token");
	CU_ASSERT_EQUAL(repo_status_for(-EACCES), 401);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 0);
	free(err);
	free(pkg);
	rfx_destroy(f);
}

static void test_publish_rejects_modified_package(void)
{
	struct rfx *f = rfx_create(0);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkg);
	pkg[600] ^= 1; /* inside the payload */
	struct repo_publish_result res;
	char *err = NULL;
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, n, NULL, &res, &err), -EBADMSG);
	CU_ASSERT_TRUE(err && strstr(err, "publish: package signature: payload digest mismatch"));
	CU_ASSERT_EQUAL(rfx_check_chain(f), 0);
	free(err);
	free(pkg);
	rfx_destroy(f);
}

static void test_publish_rejects_truncated_package(void)
{
	struct rfx *f = rfx_create(0);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkg);
	struct repo_publish_result res;
	char *err = NULL;
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, n - 100, NULL, &res, &err), -EBADMSG);
	CU_ASSERT_TRUE(err && strstr(err, "publish: package signature: not signed"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, 10, NULL, &res, &err), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(err);
	CU_ASSERT_EQUAL(repo_status_for(-EBADMSG), 400);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 0);
	free(err);
	free(pkg);
	rfx_destroy(f);
}

static void test_publish_rejects_package_under_other_root(void)
{
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	const char *pki = xtest_tmpdir();
	struct sig_pki_opts o = {.out_dir = pki, .vendor = "mallory"};
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_pki_create(&o, &err), 0);
	const char *out = xtest_path("%s/evil.xdrv", pki);
	char in[1024], cert[1024], key[1024], chain[1024];
	snprintf(in, sizeof(in), "%s/pkg/hello.unsigned.xdrv", xtest_build_dir());
	snprintf(cert, sizeof(cert), "%s/signer.pem", pki);
	snprintf(key, sizeof(key), "%s/signer.key", pki);
	snprintf(chain, sizeof(chain), "%s/vendor.pem", pki);
	char outp[1024];
	snprintf(outp, sizeof(outp), "%s", out);
	CU_ASSERT_EQUAL_FATAL(sig_sign_file(in, outp, cert, key, chain, &err), 0);
	size_t n;
	uint8_t *pkg = xtest_read(outp, &n);
	struct repo_publish_result res;
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, n, NULL, &res, &err), -EPERM);
	CU_ASSERT_TRUE(err && strstr(err, "publish: package signature: certificate chain"));
	CU_ASSERT_EQUAL(rfx_check_chain(f), 0);
	free(err);
	free(pkg);
	rfx_destroy(f);
}

static void test_publish_rejects_oversized(void)
{
	struct rfx *f = rfx_create(4096);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_FATAL(n > 4096);
	struct repo_publish_result res;
	char *err = NULL;
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, n, NULL, &res, &err), -EFBIG);
	CU_ASSERT_TRUE(err && strstr(err, "exceeds the limit 4096"));
	CU_ASSERT_EQUAL(repo_status_for(-EFBIG), 413);
	free(err);
	free(pkg);
	rfx_destroy(f);
}

static void test_publish_rejects_path_outside_delegation(void)
{
	struct rfx *f = rfx_create(0);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct repo_publish_result res;
	char *err = NULL;
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, n, "beta/hello-1.0.0.xdrv", &res, &err),
			-EPERM);
	CU_ASSERT_STRING_EQUAL(err, "publish: target path beta/hello-1.0.0.xdrv is outside the"
				    " delegation of vendor acme (acme/*)");
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, n, "acme/sub/hello-1.0.0.xdrv", &res, &err),
			-EPERM);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, n, "acme/other-1.0.0.xdrv", &res, &err),
			-EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, "must end in /hello-1.0.0.xdrv"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, pkg, n, "acme/hello-1.0.0.xdrv", &res, &err), 0);
	CU_ASSERT_EQUAL(res.status, 201);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 1);
	free(err);
	free(pkg);
	rfx_destroy(f);
}

static void test_publish_rejects_name_of_other_vendor(void)
{
	struct rfx *f = rfx_create(0);
	size_t n, n2;
	uint8_t *pkg = rfx_pkg("hello", &n), *other = rfx_pkg_resigned("hello", &n2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct repo_publish_result res;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(publish(f, RFX_ACME_TOKEN, pkg, n, NULL, &res, NULL), 0);
	CU_ASSERT_EQUAL(publish(f, RFX_BETA_TOKEN, pkg, n, NULL, &res, &err), -EPERM);
	CU_ASSERT_STRING_EQUAL(err, "publish: hello belongs to vendor acme");
	CU_ASSERT_EQUAL(repo_status_for(-EPERM), 403);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(publish(f, RFX_BETA_TOKEN, other, n2, NULL, &res, &err), -EEXIST);
	free(err);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 1);
	free(pkg);
	free(other);
	rfx_destroy(f);
}

static void test_publish_two_packages_versions_increase(void)
{
	struct rfx *f = rfx_create(0);
	size_t n, n2;
	uint8_t *a = rfx_pkg("hello", &n), *b = rfx_pkg("uart16550", &n2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	struct repo_publish_result res;
	uint64_t prev = rfx_version(f, "timestamp");
	CU_ASSERT_EQUAL(publish(f, RFX_ACME_TOKEN, a, n, NULL, &res, NULL), 0);
	CU_ASSERT_TRUE(rfx_version(f, "timestamp") > prev);
	prev = rfx_version(f, "timestamp");
	CU_ASSERT_EQUAL(publish(f, RFX_BETA_TOKEN, b, n2, NULL, &res, NULL), 0);
	CU_ASSERT_STRING_EQUAL(res.target, "beta/uart16550-" /* version from the manifest */
					   "1.0.0.xdrv");
	CU_ASSERT_TRUE(rfx_version(f, "timestamp") > prev);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 2);
	/* every old version stays served (consistent snapshots) */
	uint8_t *buf;
	size_t len;
	CU_ASSERT_EQUAL(repo_metadata_get(f->r, "1.snapshot.json", &buf, &len, NULL), 0);
	free(buf);
	char *json = NULL;
	CU_ASSERT_EQUAL(repo_packages_json(f->r, "UART", &json, NULL), 0);
	CU_ASSERT_TRUE(json && strstr(json, "\"uart16550\"") && !strstr(json, "\"hello\""));
	free(json);
	free(a);
	free(b);
	rfx_destroy(f);
}

/* ---- concurrency ---------------------------------------------------------------------------- */
struct racer {
	struct rfx *f;
	uint8_t *pkg;
	size_t len;
	int rc, status;
	pthread_barrier_t *bar;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct repo_publish_result res;
	char *err = NULL;
	pthread_barrier_wait(r->bar);
	r->rc = repo_publish(r->f->r, RFX_ACME_TOKEN, r->pkg, r->len, NULL, &res, &err);
	r->status = r->rc ? repo_status_for(r->rc) : res.status;
	free(err);
	return NULL;
}

static void test_concurrent_publishes_exactly_one_wins(void)
{
	enum { N = 6 };
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct racer rs[N];
	pthread_t th[N];
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, N);
	for (int i = 0; i < N; i++) {
		rs[i] = (struct racer){.f = f, .bar = &bar};
		rs[i].pkg = rfx_pkg_resigned("hello", &rs[i].len); /* all different bytes */
		CU_ASSERT_PTR_NOT_NULL_FATAL(rs[i].pkg);
	}
	for (int i = 0; i < N; i++)
		pthread_create(&th[i], NULL, race, &rs[i]);
	int won = 0, lost = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		won += rs[i].status == 201;
		lost += rs[i].status == 409;
		free(rs[i].pkg);
	}
	pthread_barrier_destroy(&bar);
	CU_ASSERT_EQUAL(won, 1);
	CU_ASSERT_EQUAL(lost, N - 1);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 1);
	rfx_destroy(f);
}

static void test_concurrent_publishes_of_same_bytes_one_201_rest_200(void)
{
	enum { N = 6 };
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	struct racer rs[N];
	pthread_t th[N];
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, N);
	for (int i = 0; i < N; i++) {
		rs[i] = (struct racer){.f = f, .bar = &bar, .pkg = pkg, .len = n};
		pthread_create(&th[i], NULL, race, &rs[i]);
	}
	int created = 0, same = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		created += rs[i].status == 201;
		same += rs[i].status == 200;
	}
	pthread_barrier_destroy(&bar);
	CU_ASSERT_EQUAL(created, 1);
	CU_ASSERT_EQUAL(same, N - 1);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 1);
	free(pkg);
	rfx_destroy(f);
}

/* ---- crashes -------------------------------------------------------------------------------- */
static size_t count_blobs(struct rfx *f)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "test $(ls %s/blobs/sha256 | wc -l) -eq 0", f->cfg.data_dir);
	size_t n = 0;
	for (size_t want = 0; want < 4; want++) {
		snprintf(cmd, sizeof(cmd), "test $(ls %s/blobs/sha256 | wc -l) -eq %zu",
			 f->cfg.data_dir, want);
		if (xtest_sh("%s", cmd) == 0)
			n = want;
	}
	return n;
}

/* Publish in a child that SIGKILLs itself at `point`; then the parent "restarts". */
static void crash_at(const char *point)
{
	struct rfx *f = rfx_create(0);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pkg);
	uint64_t ts = rfx_version(f, "timestamp"), ac = rfx_version(f, "acme");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("XDRV_REPOD_CRASH_AT", point, 1);
		struct repo_publish_result res;
		repo_publish(f->r, RFX_ACME_TOKEN, pkg, n, NULL, &res, NULL);
		_exit(3); /* not reached when the crash point is hit */
	}
	int st = 0;
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CU_ASSERT_EQUAL(count_blobs(f), 1); /* the blob was written before the crash */
	CU_ASSERT_EQUAL_FATAL(rfx_reopen(f), 0);
	CU_ASSERT_EQUAL(count_blobs(f), 0); /* unreferenced: removed at start */
	CU_ASSERT_EQUAL(rfx_version(f, "acme"), ac);
	CU_ASSERT_TRUE(rfx_version(f, "timestamp") >= ts);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 0);
	char *json = NULL;
	CU_ASSERT_EQUAL(repo_packages_json(f->r, NULL, &json, NULL), 0);
	CU_ASSERT_TRUE(json && !strstr(json, "hello"));
	free(json);
	/* and the publish works afterwards */
	struct repo_publish_result res;
	CU_ASSERT_EQUAL(repo_publish(f->r, RFX_ACME_TOKEN, pkg, n, NULL, &res, NULL), 0);
	CU_ASSERT_EQUAL(res.status, 201);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 1);
	free(pkg);
	rfx_destroy(f);
}

static void test_kill9_after_blob_leaves_nothing_visible(void)
{
	crash_at("blob");
}
static void test_kill9_after_insert_leaves_nothing_visible(void)
{
	crash_at("insert");
}
static void test_kill9_after_metadata_before_commit_leaves_nothing_visible(void)
{
	crash_at("meta");
}

/* ---- keys, vendors, config, refresh, export -------------------------------------------------- */
static void test_root_rotation_is_imported_and_chains(void)
{
	struct rfx *f = rfx_create(0);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(repo_keys_rotate_root(f->keys, time(NULL), 365, &err), 0);
	bool changed = false;
	CU_ASSERT_EQUAL_FATAL(repo_refresh(f->r, time(NULL), &changed, &err), 0); /* no restart */
	CU_ASSERT_TRUE(changed);
	CU_ASSERT_EQUAL(rfx_version(f, "root"), 2);
	CU_ASSERT_EQUAL_FATAL(rfx_reopen(f), 0);
	CU_ASSERT_EQUAL(rfx_version(f, "root"), 2);
	uint8_t *b;
	size_t n;
	json_t *env = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_metadata_get(f->r, "2.root.json", &b, &n, NULL), 0);
	CU_ASSERT_EQUAL(tuf_metadata_load(b, n, 0, "2.root.json", &env, NULL), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(env, "signatures")), 2);
	json_decref(env);
	free(b);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 0); /* 1 -> 2 verified by the old and the new key */
	CU_ASSERT_EQUAL(xtest_sh("test -f %s/offline/root.1.key", f->keys), 0);
	free(err);
	rfx_destroy(f);
}

static void test_root_not_signed_by_previous_root_is_refused(void)
{
	struct rfx *f = rfx_create(0);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	/* an attacker's root 2: rotate with a fresh "old" key the real root never named */
	struct tuf_signer *fake = NULL;
	CU_ASSERT_EQUAL_FATAL(tuf_signer_generate(&fake, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(
		tuf_signer_save(fake, xtest_path("%s/offline/root.key", f->keys), true, NULL), 0);
	tuf_signer_destroy(fake);
	CU_ASSERT_EQUAL_FATAL(repo_keys_rotate_root(f->keys, time(NULL), 365, &err), 0);
	repo_close(f->r);
	f->r = NULL;
	CU_ASSERT_EQUAL(repo_open(&f->cfg, &f->r, &err), -EPERM);
	CU_ASSERT_TRUE(err && strstr(err, "root import: version 2: root: 1 valid signature(s)"
					  ", threshold 1") == NULL);
	CU_ASSERT_TRUE(err && strstr(err, "root import: version 2: root: 0 valid signature(s)"));
	free(err);
	rfx_destroy(f);
}

static void test_vendor_add_rejects_bad_names_and_duplicates(void)
{
	struct rfx *f = rfx_create(0);
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	const char *bad[] = {"Acme", "snapshot", "-x", "a/b", "", "x<script>"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(repo_vendor_add(f->r, bad[i], "0123456789abcdef0", &err), -EINVAL);
		CU_ASSERT_TRUE(err && strstr(err, "name must match"));
		free(err);
		err = NULL;
	}
	CU_ASSERT_EQUAL(repo_vendor_add(f->r, "acme", "0123456789abcdef0", &err), -EEXIST);
	CU_ASSERT_STRING_EQUAL(err, "vendor acme: exists");
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(repo_vendor_add(f->r, "gamma", "short", &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "vendor gamma: token must be 16..4096 bytes");
	free(err);
	/* the token is stored salted and hashed, never in clear */
	CU_ASSERT_NOT_EQUAL(xtest_sh("grep -q %s %s/repod.db %s/repod.db-wal 2>/dev/null",
				     RFX_ACME_TOKEN, f->cfg.data_dir, f->cfg.data_dir),
			    0);
	rfx_destroy(f);
}

static void test_config_file_parses_and_rejects_unknown_keys(void)
{
	const char *d = xtest_tmpdir();
	const char *p = xtest_path("%s/a.conf", d);
	const char *text = "# comment\nlisten = 127.0.0.1\nport = 0\n\ndata_dir = data\n"
			   "keys_dir = /k\ntrust_root = r.pem\ntimestamp_expiry = 600\n";
	struct repo_config c;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, text, strlen(text)), 0);
	CU_ASSERT_EQUAL_FATAL(repo_config_load(p, &c, &err), 0);
	CU_ASSERT_EQUAL(c.port, 0);
	CU_ASSERT_STRING_EQUAL(c.data_dir, xtest_path("%s/data", d));
	CU_ASSERT_STRING_EQUAL(c.keys_dir, "/k");
	CU_ASSERT_EQUAL(c.expiry_timestamp, 600);
	repo_config_free(&c);
	const char *json = "{\"data_dir\":\"/d\",\"keys_dir\":\"/k\",\"trust_root\":\"/r\","
			   "\"port\":9000,\"access_log\":false}";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, json, strlen(json)), 0);
	CU_ASSERT_EQUAL_FATAL(repo_config_load(p, &c, &err), 0);
	CU_ASSERT_EQUAL(c.port, 9000);
	CU_ASSERT_FALSE(c.access_log);
	repo_config_free(&c);
	const char *bad = "data_dir = /d\nport = 70000\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, bad, strlen(bad)), 0);
	CU_ASSERT_EQUAL(repo_config_load(p, &c, &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, ":2: port: \"70000\" is not a number in 0..65535"));
	free(err);
	err = NULL;
	const char *half = "data_dir = /d\nkeys_dir = /k\ntrust_root = /r\ntls_cert = c.pem\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, half, strlen(half)), 0);
	CU_ASSERT_EQUAL(repo_config_load(p, &c, &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, "tls_cert and tls_key go together"));
	free(err);
	err = NULL;
	/* the connection limits: defaults, values, ranges, and the per-client one within the total
	 */
	const char *lim = "data_dir = /d\nkeys_dir = /k\ntrust_root = /r\nmax_connections = 100\n"
			  "max_connections_per_client = 7\nheader_timeout = 5\nbody_timeout = 60\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, lim, strlen(lim)), 0);
	CU_ASSERT_EQUAL_FATAL(repo_config_load(p, &c, &err), 0);
	CU_ASSERT_EQUAL(c.max_connections, 100);
	CU_ASSERT_EQUAL(c.max_connections_per_client, 7);
	CU_ASSERT_EQUAL(c.header_timeout, 5);
	CU_ASSERT_EQUAL(c.body_timeout, 60);
	CU_ASSERT_EQUAL(c.idle_timeout, 30); /* default */
	repo_config_free(&c);
	const char *over = "data_dir = /d\nkeys_dir = /k\ntrust_root = /r\n"
			   "max_connections_per_client = 5000\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, over, strlen(over)), 0);
	CU_ASSERT_EQUAL(repo_config_load(p, &c, &err), -EINVAL);
	CU_ASSERT_TRUE(err &&
		       strstr(err, "max_connections_per_client (5000) exceeds max_connections "
				   "(4096)"));
	free(err);
	err = NULL;
	const char *zero = "header_timeout = 0\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, zero, strlen(zero)), 0);
	CU_ASSERT_EQUAL(repo_config_load(p, &c, &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, ":1: header_timeout: \"0\" is not a number in 1..3600"));
	free(err);
	err = NULL;
	const char *typo2 = "header_timout = 5\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, typo2, strlen(typo2)), 0);
	CU_ASSERT_EQUAL(repo_config_load(p, &c, &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, "(did you mean header_timeout?)"));
	free(err);
	err = NULL;
	const char *unk = "colour = blue\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, unk, strlen(unk)), 0);
	CU_ASSERT_EQUAL(repo_config_load(p, &c, &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, ":1: unknown key colour"));
	CU_ASSERT_TRUE(err && !strstr(err, "did you mean"));
	free(err);
	err = NULL;
	const char *typo = "data_dir = /d\nmax_pakage = 5\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, typo, strlen(typo)), 0);
	CU_ASSERT_EQUAL(repo_config_load(p, &c, &err), -EINVAL);
	CU_ASSERT_TRUE(err &&
		       strstr(err, ":2: unknown key max_pakage (did you mean max_package?)"));
	free(err);
	err = NULL;
	const char *lack = "data_dir = /d\nport = 1\n";
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, lack, strlen(lack)), 0);
	CU_ASSERT_EQUAL(repo_config_load(p, &c, &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, ": missing keys_dir trust_root (required: "));
	free(err);
}

static void test_config_write_round_trips_and_never_replaces_without_force(void)
{
	const char *d = xtest_tmpdir();
	const char *p = xtest_path("%s/w.conf", d);
	struct repo_config c, got;
	char *err = NULL;
	repo_config_defaults(&c);
	c.listen = (char *)"::1";
	c.port = 9123;
	c.trust_root = (char *)"/etc/xdrv/root.pem";
	CU_ASSERT_EQUAL_FATAL(repo_config_write(p, &c, false, &err), 0);
	CU_ASSERT_EQUAL_FATAL(repo_config_load(p, &got, &err), 0);
	CU_ASSERT_STRING_EQUAL(got.listen, "::1");
	CU_ASSERT_EQUAL(got.port, 9123);
	CU_ASSERT_STRING_EQUAL(got.data_dir, xtest_path("%s/data", d));
	CU_ASSERT_STRING_EQUAL(got.keys_dir, xtest_path("%s/keys/online", d));
	CU_ASSERT_STRING_EQUAL(got.trust_root, "/etc/xdrv/root.pem");
	CU_ASSERT_EQUAL(got.max_package, REPO_DEFAULT_MAX_PACKAGE); /* commented-out default */
	CU_ASSERT_TRUE(got.access_log);
	repo_config_free(&got);
	/* every optional key is in the file, commented out, so that it can be found */
	CU_ASSERT_EQUAL(xtest_sh("grep -q '^# max_package = 33554432$' %s && "
				 "grep -q '^# tls_cert = ' %s && grep -q '^# threads = 4$' %s && "
				 "grep -q '^# max_connections_per_client = 32$' %s && "
				 "grep -q '^# header_timeout = 10$' %s",
				 p, p, p, p, p),
			0);
	/* an existing file is kept without force, replaced with it */
	c.port = 1;
	CU_ASSERT_EQUAL(repo_config_write(p, &c, false, &err), -EEXIST);
	CU_ASSERT_TRUE(err && strstr(err, "w.conf exists (not replaced; --force rewrites it)"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_config_load(p, &got, &err), 0);
	CU_ASSERT_EQUAL(got.port, 9123);
	repo_config_free(&got);
	CU_ASSERT_EQUAL(repo_config_write(p, &c, true, &err), 0);
	CU_ASSERT_EQUAL_FATAL(repo_config_load(p, &got, &err), 0);
	CU_ASSERT_EQUAL(got.port, 1);
	repo_config_free(&got);
	/* without a trust root the line is there to fill in, and loading says it is missing */
	const char *q = xtest_path("%s/nt.conf", d);
	c.trust_root = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_config_write(q, &c, false, &err), 0);
	CU_ASSERT_EQUAL(xtest_sh("grep -q '^# trust_root = /path/to/root.pem$' %s", q), 0);
	CU_ASSERT_EQUAL(repo_config_load(q, &got, &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, ": missing trust_root (required"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(repo_config_write(xtest_path("%s/no/such/dir/x.conf", d), &c, false, &err),
			-ENOENT);
	free(err);
}

static void test_refresh_resigns_expiring_timestamp(void)
{
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	bool changed = true;
	uint64_t ts = rfx_version(f, "timestamp"), tg = rfx_version(f, "targets");
	CU_ASSERT_EQUAL(repo_refresh(f->r, time(NULL), &changed, NULL), 0);
	CU_ASSERT_FALSE(changed);
	/* 20 hours later the 1-day timestamp is past half its life */
	CU_ASSERT_EQUAL(repo_refresh(f->r, time(NULL) + 20 * 3600, &changed, NULL), 0);
	CU_ASSERT_TRUE(changed);
	CU_ASSERT_EQUAL(rfx_version(f, "timestamp"), ts + 1);
	CU_ASSERT_EQUAL(rfx_version(f, "targets"), tg);
	/* 60 days later targets and vendor roles are re-signed too */
	CU_ASSERT_EQUAL(repo_refresh(f->r, time(NULL) + 60 * 86400, &changed, NULL), 0);
	CU_ASSERT_EQUAL(rfx_version(f, "targets"), tg + 1);
	CU_ASSERT_EQUAL(rfx_check_chain(f), 0);
	rfx_destroy(f);
}

static void test_export_writes_a_static_mirror_tree(void)
{
	struct rfx *f = rfx_create(0);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct repo_publish_result res;
	CU_ASSERT_EQUAL_FATAL(repo_publish(f->r, RFX_ACME_TOKEN, pkg, n, NULL, &res, NULL), 0);
	const char *out = xtest_tmpdir();
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_export(f->r, out, &err), 0);
	CU_ASSERT_EQUAL(
		xtest_sh("cmp -s %s/metadata/1.root.json %s/online/root/1.root.json", out, f->keys),
		0);
	CU_ASSERT_EQUAL(xtest_sh("test -f %s/metadata/timestamp.json -a -f %s/metadata/%llu."
				 "snapshot.json -a -f %s/metadata/%llu.acme.json -a ! -e "
				 "%s/metadata/1.timestamp.json",
				 out, out, (unsigned long long)rfx_version(f, "snapshot"), out,
				 (unsigned long long)res.targets_version, out),
			0);
	CU_ASSERT_EQUAL(xtest_sh("cmp -s %s/targets/acme/%s.hello-1.0.0.xdrv %s/pkg/hello.xdrv",
				 out, res.sha256, xtest_build_dir()),
			0);
	CU_ASSERT_EQUAL(xtest_sh("grep -q hello %s/index.html", out), 0);
	/* one page per driver (a plain web server answers /drivers/hello with it) and the script */
	CU_ASSERT_EQUAL(
		xtest_sh("grep -q '<h1 id=\"name\">hello' %s/drivers/hello/index.html", out), 0);
	CU_ASSERT_EQUAL(xtest_sh("grep -q button.copy %s/static/repo.js", out), 0);
	free(err);
	free(pkg);
	rfx_destroy(f);
}

/* ---- database, blobs, HTML escaping -------------------------------------------------------- */
static void test_db_is_wal_and_metadata_versions_are_unique(void)
{
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(xtest_path("%s/repod.db", f->cfg.data_dir), &db),
			      SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
			      SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
	CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* a second row for an existing role version is refused by the schema */
	char *m = NULL;
	CU_ASSERT_NOT_EQUAL(sqlite3_exec(db,
					 "INSERT INTO metadata(role, version, expires, body)"
					 " VALUES('timestamp', 1, 0, x'00')",
					 NULL, NULL, &m),
			    SQLITE_OK);
	CU_ASSERT_TRUE(m && strstr(m, "UNIQUE constraint failed"));
	sqlite3_free(m);
	sqlite3_close(db);
	rfx_destroy(f);
}

static void test_blob_put_is_content_addressed_and_gc_removes_leftovers(void)
{
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	const char *sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
	char p[4200];
	CU_ASSERT_EQUAL(repod_blob_put(f->r, sha, (const uint8_t *)"hello", 5, NULL), 0);
	CU_ASSERT_EQUAL(repod_blob_path(f->r, sha, p, sizeof(p)), 0);
	size_t n = 0;
	uint8_t *b = xtest_read(p, &n);
	CU_ASSERT_TRUE(n == 5 && b && memcmp(b, "hello", 5) == 0);
	free(b);
	CU_ASSERT_EQUAL(xtest_sh("test $(ls -a %s | grep -c tmp) -eq 0", f->r->blob_dir), 0);
	/* a crashed write's temporary file and the unreferenced blob go at the next start */
	CU_ASSERT_EQUAL(xtest_write(xtest_path("%s/%s.tmp.ABCDEF", f->r->blob_dir, sha), "he", 2),
			0);
	CU_ASSERT_EQUAL_FATAL(rfx_reopen(f), 0);
	CU_ASSERT_EQUAL(xtest_sh("test -z \"$(ls -A %s)\"", f->r->blob_dir), 0);
	rfx_destroy(f);
}

static void test_index_html_escapes_signer_names(void)
{
	/* a PKI whose vendor organisation is markup: the signer's subject lands in the page */
	char pki[512]; /* xtest_tmpdir's buffer is reused by the next call */
	snprintf(pki, sizeof(pki), "%s", xtest_tmpdir());
	struct sig_pki_opts o = {.out_dir = pki, .vendor = "<b>x&y</b>\"'"};
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(sig_pki_create(&o, &err), 0);
	char in[1024], out[1024], cert[1024], key[1024], chain[1024];
	snprintf(in, sizeof(in), "%s/pkg/hello.unsigned.xdrv", xtest_build_dir());
	snprintf(out, sizeof(out), "%s/markup.xdrv", pki);
	snprintf(cert, sizeof(cert), "%s/signer.pem", pki);
	snprintf(key, sizeof(key), "%s/signer.key", pki);
	snprintf(chain, sizeof(chain), "%s/vendor.pem", pki);
	CU_ASSERT_EQUAL_FATAL(sig_sign_file(in, out, cert, key, chain, &err), 0);
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	free(f->cfg.trust_root);
	f->cfg.trust_root = strdup(xtest_path("%s/root.pem", pki));
	CU_ASSERT_EQUAL_FATAL(rfx_reopen(f), 0);
	size_t n;
	uint8_t *pkg = xtest_read(out, &n);
	struct repo_publish_result res;
	CU_ASSERT_EQUAL_FATAL(repo_publish(f->r, RFX_ACME_TOKEN, pkg, n, NULL, &res, &err), 0);
	char *html = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_index_html(f->r, NULL, &html, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "&lt;b&gt;x&amp;y&lt;/b&gt;"));
	/* the ABI decodes major*1000000 + minor*1000 + patch (the headers' version) */
	char abi[64];
	snprintf(abi, sizeof(abi), "<span class=\"abi\">%u.%u.%u</span>", XDRV_ABI_VERSION_MAJOR,
		 XDRV_ABI_VERSION_MINOR, XDRV_ABI_VERSION_PATCH);
	CU_ASSERT_PTR_NOT_NULL(strstr(html, abi));
	CU_ASSERT_PTR_NULL(strstr(html, "y</b>"));
	CU_ASSERT_PTR_NULL(strstr(html, "<b>x"));
	free(html);
	free(pkg);
	free(err);
	rfx_destroy(f);
}

static void test_driver_page_shows_the_published_manifest_and_issuer(void)
{
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t n;
	uint8_t *pkg = rfx_pkg("uart16550", &n);
	struct repo_publish_result res;
	CU_ASSERT_EQUAL_FATAL(repo_publish(f->r, RFX_ACME_TOKEN, pkg, n, NULL, &res, NULL), 0);
	char *html = NULL, *err = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_driver_html(f->r, "uart16550", "http://r.example", &html, &err),
			      0);
	/* parameters and match table come from the manifest stored at publish */
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<code>baud</code>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<code>ns16550a</code>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, ">vendor driver CA (xdrv dev vendor)</dd>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "xdrv repo add main http://r.example --root"));
	free(html);
	/* an unknown driver: -ENOENT, and the 404 page to send */
	CU_ASSERT_EQUAL(repo_driver_html(f->r, "nosuch", NULL, &html, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(html);
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "No driver named \xe2\x80\x9cnosuch"));
	CU_ASSERT_TRUE(err && strstr(err, "driver nosuch: not found"));
	free(html);
	free(err);
	free(pkg);
	rfx_destroy(f);
}

static void test_old_database_gains_the_page_columns(void)
{
	/* a database from before the web pages: packages without issuer and manifest; its rows
	 * are still shown, without what they lack */
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	struct repo_publish_result res;
	CU_ASSERT_EQUAL_FATAL(repo_publish(f->r, RFX_ACME_TOKEN, pkg, n, NULL, &res, NULL), 0);
	repo_close(f->r);
	f->r = NULL;
	sqlite3 *db = NULL;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(xtest_path("%s/repod.db", f->cfg.data_dir), &db),
			      SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db,
				     "ALTER TABLE packages DROP COLUMN issuer;"
				     " ALTER TABLE packages DROP COLUMN manifest;",
				     NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_EQUAL_FATAL(rfx_reopen(f), 0);
	char *html = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_driver_html(f->r, "hello", NULL, &html, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<h1 id=\"name\">hello"));
	CU_ASSERT_PTR_NULL(strstr(html, "Issued by"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "No match table recorded"));
	free(html);
	/* and a publish after the upgrade stores them again */
	uint8_t *u = rfx_pkg("uart16550", &n);
	CU_ASSERT_EQUAL_FATAL(repo_publish(f->r, RFX_ACME_TOKEN, u, n, NULL, &res, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(repo_driver_html(f->r, "uart16550", NULL, &html, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "Issued by"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<code>baud</code>"));
	free(html);
	free(u);
	free(pkg);
	rfx_destroy(f);
}

XTEST_SUITE(repo_publish, NULL, NULL, XTEST(test_publish_new_then_same_bytes_is_idempotent),
	    XTEST(test_publish_same_version_other_bytes_is_409),
	    XTEST(test_publish_rejects_wrong_and_missing_token),
	    XTEST(test_publish_rejects_modified_package),
	    XTEST(test_publish_rejects_truncated_package),
	    XTEST(test_publish_rejects_package_under_other_root),
	    XTEST(test_publish_rejects_oversized),
	    XTEST(test_publish_rejects_path_outside_delegation),
	    XTEST(test_publish_rejects_name_of_other_vendor),
	    XTEST(test_publish_two_packages_versions_increase),
	    XTEST(test_concurrent_publishes_exactly_one_wins),
	    XTEST(test_concurrent_publishes_of_same_bytes_one_201_rest_200))

XTEST_SUITE(repo_crash, NULL, NULL, XTEST(test_kill9_after_blob_leaves_nothing_visible),
	    XTEST(test_kill9_after_insert_leaves_nothing_visible),
	    XTEST(test_kill9_after_metadata_before_commit_leaves_nothing_visible))

XTEST_SUITE(repo_db_blob_html, NULL, NULL, XTEST(test_db_is_wal_and_metadata_versions_are_unique),
	    XTEST(test_blob_put_is_content_addressed_and_gc_removes_leftovers),
	    XTEST(test_index_html_escapes_signer_names),
	    XTEST(test_driver_page_shows_the_published_manifest_and_issuer),
	    XTEST(test_old_database_gains_the_page_columns))

XTEST_SUITE(repo_server_admin, NULL, NULL, XTEST(test_root_rotation_is_imported_and_chains),
	    XTEST(test_root_not_signed_by_previous_root_is_refused),
	    XTEST(test_vendor_add_rejects_bad_names_and_duplicates),
	    XTEST(test_config_file_parses_and_rejects_unknown_keys),
	    XTEST(test_config_write_round_trips_and_never_replaces_without_force),
	    XTEST(test_refresh_resigns_expiring_timestamp),
	    XTEST(test_export_writes_a_static_mirror_tree))
