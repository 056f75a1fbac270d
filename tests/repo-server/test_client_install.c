// SPDX-License-Identifier: MIT
/*
 * The install step (repo-server/client_cli.c) with a real signed sample package served by a
 * TUF repository built at test time: TUF-approved bytes are installed only if their package
 * signature verifies against the host's root and their manifest matches the metadata.
 * Also resume of a partial download (client_http.c).
 */
#include <xdrv/repo_client.h>
#include "../xtest.h"
#include "client_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *pkg(void)
{
	return xtest_path("%s/pkg/hello.xdrv", xtest_build_dir());
}
static const char *root_pem(void)
{
	return xtest_path("%s/pki/root.pem", xtest_build_dir());
}

static void test_install_verifies_and_records_package(void)
{
	struct cfx *f = cfx_create(pkg());
	struct repo_target *t = NULL;
	struct repo_installed rec, got;
	size_t n = 0, len = 0;
	uint8_t *buf = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, &t, &n, &err), 0);
	const struct repo_target *p = repo_cli_pick(t, n, "hello", NULL, "test", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(repo_fetch_target(f->s, "test", p, NULL, &buf, &len, &err), 0);
	CU_ASSERT_EQUAL(
		repo_cli_install_bytes(f->s, "test", p, root_pem(), 0, buf, len, &rec, &err), 0);
	if (err)
		fprintf(stderr, "  %s\n", err);
	CU_ASSERT_EQUAL(repo_store_get(f->s, "hello", &got, &err), 0);
	CU_ASSERT_STRING_EQUAL(got.version, "1.0.0");
	CU_ASSERT_STRING_EQUAL(got.digest, p->sha256);
	CU_ASSERT_EQUAL(xtest_sh("cmp -s '%s' '%s'", got.path, pkg()), 0);
	CU_ASSERT_PTR_NULL(repo_cli_pick(t, n, "hello", "9.9.9", "test", &err));
	CU_ASSERT(err && strstr(err, "hello@9.9.9: not in repository test"));
	free(err);
	free(buf);
	free(t);
	cfx_destroy(f);
}

static void test_install_rejects_bad_package_signature(void)
{
	/* A compromised repository lists (and correctly hashes) bytes whose package signature
	 * does not verify: TUF accepts them, the host's own check does not. */
	size_t len = 0;
	uint8_t *b = xtest_read(pkg(), &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	b[len / 3] ^= 0x40; /* inside the payload */
	const char *bad = xtest_path("%s/bad.xdrv", xtest_tmpdir());
	xtest_write(bad, b, len);
	free(b);
	struct cfx *f = cfx_create(bad);
	struct repo_target *t = NULL;
	struct repo_installed rec;
	size_t n = 0;
	uint8_t *buf = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, &t, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(repo_fetch_target(f->s, "test", &t[0], NULL, &buf, &len, &err), 0);
	int rc = repo_cli_install_bytes(f->s, "test", &t[0], root_pem(), 0, buf, len, &rec, &err);
	CU_ASSERT(rc < 0);
	CU_ASSERT(err && strstr(err, "target acme/hello-1.0.0.xdrv: signature"));
	CU_ASSERT_EQUAL(repo_store_get(f->s, "hello", &rec, NULL), -ENOENT);
	free(err);
	free(buf);
	free(t);
	cfx_destroy(f);
}

static void test_install_rejects_name_mismatch(void)
{
	/* validly signed hello package listed as "uart" by the repository */
	struct cfx *f = cfx_create(pkg());
	struct repo_target *t = NULL;
	struct repo_installed rec;
	size_t n = 0, len = 0;
	uint8_t *buf = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	snprintf(f->t[0].name, sizeof f->t[0].name, "uart");
	f->v_acme = 2;
	f->v_snapshot = 2;
	f->v_timestamp = 2;
	cfx_publish(f);
	CU_ASSERT_EQUAL_FATAL(cfx_update(f, &t, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(repo_fetch_target(f->s, "test", &t[0], NULL, &buf, &len, &err), 0);
	CU_ASSERT_EQUAL(
		repo_cli_install_bytes(f->s, "test", &t[0], root_pem(), 0, buf, len, &rec, &err),
		-EINVAL);
	CU_ASSERT(err && strstr(err, "package is hello 1.0.0, repository metadata "
				     "says uart 1.0.0"));
	free(err);
	free(buf);
	free(t);
	cfx_destroy(f);
}

static void test_download_resumes_partial_file(void)
{
	const char *dir = xtest_tmpdir();
	uint8_t data[10000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 13);
	xtest_write(xtest_path("%s/src", dir), data, sizeof data);
	/* the first 4000 bytes arrived before an interruption */
	xtest_write(xtest_path("%s/part", dir), data, 4000);
	char *err = NULL, url[600], part[600];
	snprintf(url, sizeof url, "file://%s/src", dir);
	snprintf(part, sizeof part, "%s/part", dir);
	CU_ASSERT_EQUAL(repo_http_download(url, part, sizeof data, NULL, &err), 0);
	CU_ASSERT_EQUAL(xtest_sh("cmp -s '%s/src' '%s/part'", dir, dir), 0);
	/* a missing file is -ENOENT, and a cap below the size is -EFBIG */
	snprintf(url, sizeof url, "file://%s/none", dir);
	CU_ASSERT_EQUAL(repo_http_download(url, part, sizeof data * 2, NULL, &err), -ENOENT);
	free(err);
	err = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	snprintf(url, sizeof url, "file://%s/src", dir);
	CU_ASSERT_EQUAL(repo_http_get(url, 100, NULL, &buf, &len, &err), -EFBIG);
	CU_ASSERT(err && strstr(err, "more than the limit of 100 bytes"));
	free(err);
}

static void test_download_restarts_when_mirror_ignores_range(void)
{
	/* A download cut short left STORE/tmp/<sha256>.part behind; the mirror is
	 * `python3 -m http.server`, which ignores Range and answers 200 with the whole file.
	 * Before: libcurl's "HTTP server doesn't seem to support byte ranges. Cannot resume."
	 * on this and every later attempt. Now: the partial file is dropped and the download
	 * starts over, in the same call; the installed bytes are the package's. */
	struct cfx *f = cfx_create(pkg());
	struct repo_target *t = NULL;
	struct repo_installed rec;
	size_t n = 0, len = 0;
	uint8_t *buf = NULL;
	char url[128], *err = NULL;
	int pid = -1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(cfx_http_start(f, "http.server", url, sizeof url, &pid), 0);
	CU_ASSERT_EQUAL_FATAL(cfx_add_repo(f, "web", url), 0);
	struct repo_update_opts o = {.now = f->now};
	CU_ASSERT_EQUAL_FATAL(repo_update(f->s, "web", &o, &t, &n, &err), 0);
	const struct repo_target *p = repo_cli_pick(t, n, "hello", NULL, "web", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	const char *part = xtest_path("%s/tmp/%s.part", f->store, p->sha256);
	/* the first 1000 bytes, as a cut connection leaves them */
	CU_ASSERT_EQUAL(xtest_write(part, f->t[0].bytes, 1000), 0);
	int rc = repo_fetch_target(f->s, "web", p, NULL, &buf, &len, &err);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CU_ASSERT(len == f->t[0].len && buf && memcmp(buf, f->t[0].bytes, len) == 0);
	CU_ASSERT_EQUAL(access(part, F_OK), -1); /* consumed */
	if (rc == 0)
		CU_ASSERT_EQUAL(
			repo_cli_install_bytes(f->s, "web", p, root_pem(), 0, buf, len, &rec, &err),
			0);
	free(buf);
	buf = NULL;
	/* a partial file that is not even a prefix of the target (bytes from elsewhere): the
	 * same fresh start */
	CU_ASSERT_EQUAL(xtest_write(part, "garbage", 7), 0);
	CU_ASSERT_EQUAL(repo_fetch_target(f->s, "web", p, NULL, &buf, &len, &err), 0);
	CU_ASSERT(len == f->t[0].len && buf && memcmp(buf, f->t[0].bytes, len) == 0);
	cfx_http_stop(pid);
	free(buf);
	free(err);
	free(t);
	cfx_destroy(f);
}

XTEST_SUITE(client_install, NULL, NULL, XTEST(test_install_verifies_and_records_package),
	    XTEST(test_install_rejects_bad_package_signature),
	    XTEST(test_install_rejects_name_mismatch), XTEST(test_download_resumes_partial_file),
	    XTEST(test_download_restarts_when_mirror_ignores_range))
