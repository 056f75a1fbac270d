// SPDX-License-Identifier: MIT
/*
 * The local store (repo-server/store.c): repositories, installed versions, and crash safety of
 * an install: a child process dies at each step of repo_store_install, and the parent finds
 * the old version or the new one, never neither, and no stray blob after reopening.
 */
#include "../xtest.h"
#include "xdrv/repo_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char D1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char D2[] = "2222222222222222222222222222222222222222222222222222222222222222";

static struct repo_installed rec(const char *version, const char *digest, uint64_t secver)
{
	struct repo_installed r;
	memset(&r, 0, sizeof r);
	snprintf(r.name, sizeof r.name, "hello");
	snprintf(r.version, sizeof r.version, "%s", version);
	snprintf(r.repo, sizeof r.repo, "main");
	snprintf(r.digest, sizeof r.digest, "%s", digest);
	snprintf(r.signer, sizeof r.signer, "CN=test");
	r.security_version = secver;
	return r;
}

static void test_store_repositories_add_list_remove(void)
{
	struct repo_store *s = NULL;
	char *err = NULL, **names = NULL, **urls = NULL, *url = NULL;
	size_t n = 0;
	const char *dir = xtest_tmpdir();
	CU_ASSERT_EQUAL_FATAL(repo_store_open(dir, &s, &err), 0);
	CU_ASSERT_EQUAL(repo_store_repo_add(s, "main", "http://127.0.0.1:1/", (const uint8_t *)"{}",
					    2, &err),
			0);
	CU_ASSERT_EQUAL(repo_store_repo_add(s, "main", "http://x/", (const uint8_t *)"{}", 2, &err),
			-EEXIST);
	CU_ASSERT(err && strstr(err, "repository main: already configured"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(repo_store_repo_add(s, "../x", "http://x/", (const uint8_t *)"{}", 2, &err),
			-EINVAL);
	CU_ASSERT(err && strstr(err, "repository name '../x'"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(repo_store_repo_add(s, "ftp", "ftp://x/", (const uint8_t *)"{}", 2, &err),
			-EINVAL);
	CU_ASSERT(err && strstr(err, "want http://, https:// or file://"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(repo_store_repo_list(s, &names, &urls, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	repo_strv_free(names, n);
	repo_strv_free(urls, n);
	CU_ASSERT_EQUAL(repo_store_repo_url(s, "main", &url, &err), 0);
	free(url);
	CU_ASSERT_EQUAL(repo_store_repo_remove(s, "main", &err), 0);
	CU_ASSERT_EQUAL(repo_store_repo_url(s, "main", &url, &err), -ENOENT);
	CU_ASSERT(err && strstr(err, "repository main: not configured"));
	CU_ASSERT_NOT_EQUAL(xtest_sh("test -e '%s/repos/main'", dir), 0);
	free(err);
	repo_store_close(s);
}

static void test_store_install_switches_and_removes(void)
{
	struct repo_store *s = NULL;
	struct repo_installed r1 = rec("1.0.0", D1, 1), r2 = rec("1.1.0", D2, 2), got;
	char *err = NULL;
	const char *dir = xtest_tmpdir();
	CU_ASSERT_EQUAL_FATAL(repo_store_open(dir, &s, &err), 0);
	CU_ASSERT_EQUAL(repo_store_install(s, &r1, (const uint8_t *)"one", 3, &err), 0);
	CU_ASSERT_EQUAL(repo_store_install(s, &r2, (const uint8_t *)"two", 3, &err), 0);
	CU_ASSERT_EQUAL(repo_store_get(s, "hello", &got, &err), 0);
	CU_ASSERT_STRING_EQUAL(got.version, "1.1.0");
	CU_ASSERT_EQUAL(got.size, 3);
	CU_ASSERT_EQUAL(xtest_sh("test -f '%s' && ! test -e '%s/blobs/%s.xdrv'", got.path, dir, D1),
			0);
	CU_ASSERT_EQUAL(repo_store_remove(s, "hello", &err), 0);
	CU_ASSERT_EQUAL(repo_store_get(s, "hello", &got, &err), -ENOENT);
	CU_ASSERT(err && strstr(err, "hello: not installed"));
	CU_ASSERT_NOT_EQUAL(xtest_sh("test -e '%s/blobs/%s.xdrv'", dir, D2), 0);
	free(err);
	repo_store_close(s);
}

static void crash_now(const char *point)
{
	const char *want = getenv("XDRV_TEST_CRASH_AT");
	if (want && strcmp(want, point) == 0)
		_exit(77);
}

/* In a child: install version 2 over version 1 and die at `point`. */
static void crash_install_at(const char *dir, const char *point)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct repo_store *s = NULL;
		struct repo_installed r2 = rec("1.1.0", D2, 2);
		setenv("XDRV_TEST_CRASH_AT", point, 1);
		repo_store_crash_hook = crash_now;
		if (repo_store_open(dir, &s, NULL) != 0)
			_exit(1);
		repo_store_install(s, &r2, (const uint8_t *)"two", 3, NULL);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 77);
}

static void test_store_install_crash_leaves_old_or_new(void)
{
	static const struct {
		const char *point, *version;
	} cases[] = {{"blob-written", "1.0.0"}, {"committed", "1.1.0"}};
	for (size_t i = 0; i < 2; i++) {
		struct repo_store *s = NULL;
		struct repo_installed r1 = rec("1.0.0", D1, 1), got;
		char *err = NULL;
		const char *dir = xtest_tmpdir();
		CU_ASSERT_EQUAL_FATAL(repo_store_open(dir, &s, &err), 0);
		CU_ASSERT_EQUAL(repo_store_install(s, &r1, (const uint8_t *)"one", 3, &err), 0);
		repo_store_close(s);
		crash_install_at(dir, cases[i].point);
		/* reopening collects blobs a crash left without a row */
		CU_ASSERT_EQUAL_FATAL(repo_store_open(dir, &s, &err), 0);
		CU_ASSERT_EQUAL(repo_store_get(s, "hello", &got, &err), 0);
		CU_ASSERT_STRING_EQUAL(got.version, cases[i].version);
		CU_ASSERT_EQUAL(xtest_sh("test -f '%s'", got.path), 0);
		CU_ASSERT_EQUAL(xtest_sh("test $(ls '%s/blobs' | wc -l) -le 2", dir), 0);
		if (strcmp(cases[i].version, "1.0.0") == 0)
			CU_ASSERT_NOT_EQUAL(xtest_sh("test -e '%s/blobs/%s.xdrv'", dir, D2), 0);
		free(err);
		repo_store_close(s);
	}
}

static void test_store_open_readonly_creates_nothing(void)
{
	/* `xdrv list` used to create DIR/store.db (and DIR itself) through repo_store_open */
	struct repo_store *s = NULL;
	char *err = NULL;
	const char *top = xtest_tmpdir();
	const char *dir = xtest_path("%s/none/store", top);
	CU_ASSERT_EQUAL(repo_store_open_readonly(dir, &s, &err), -ENOENT);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT(err && strstr(err, "no store at ") && strstr(err, "/none/store"));
	CU_ASSERT_EQUAL(xtest_sh("test -z \"$(ls -A '%s')\"", top), 0); /* not even none/ */
	free(err);
	err = NULL;
	/* an existing store: read, and nothing beside it appears (no -journal, -wal, -shm) */
	struct repo_installed r = rec("1.0.0", D1, 1), got;
	struct repo_installed *v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(repo_store_open(dir, &s, &err), 0);
	CU_ASSERT_EQUAL(repo_store_install(s, &r, (const uint8_t *)"pkg", 3, &err), 0);
	repo_store_close(s);
	s = NULL;
	CU_ASSERT_EQUAL(xtest_sh("cd '%s' && find . | sort > '%s/before'", dir, top), 0);
	CU_ASSERT_EQUAL_FATAL(repo_store_open_readonly(dir, &s, &err), 0);
	CU_ASSERT_EQUAL(repo_store_get(s, "hello", &got, &err), 0);
	CU_ASSERT_STRING_EQUAL(got.version, "1.0.0");
	CU_ASSERT_EQUAL(repo_store_list(s, &v, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(xtest_sh("cd '%s' && find . | sort | cmp -s - '%s/before'", dir, top), 0);
	/* and it cannot write */
	CU_ASSERT(repo_store_remove(s, "hello", &err) < 0);
	repo_store_close(s);
	CU_ASSERT_EQUAL(xtest_sh("cd '%s' && find . | sort | cmp -s - '%s/before'", dir, top), 0);
	free(v);
	free(err);
}

XTEST_SUITE(store, NULL, NULL, XTEST(test_store_repositories_add_list_remove),
	    XTEST(test_store_install_switches_and_removes),
	    XTEST(test_store_install_crash_leaves_old_or_new),
	    XTEST(test_store_open_readonly_creates_nothing))
