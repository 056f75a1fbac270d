// SPDX-License-Identifier: MIT
/*
 * Tests for repo-server/repod_token.c: the publish token file `vendor add` makes when the one
 * named does not exist: 64 hex digits and a newline, mode 0600 whatever the umask, a new
 * token each time, and never written over an existing file or through a symlink.
 */
#include "../xtest.h"
#include "xdrv/repo_server.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_token_file_is_random_hex_and_0600(void)
{
	const char *a = xtest_path("%s/a.token", xtest_tmpdir());
	const char *b = xtest_path("%s/b.token", xtest_tmpdir());
	char *err = NULL;
	mode_t old = umask(0); /* the file must still be 0600 */
	int rca = repo_token_file_create(a, &err), rcb = repo_token_file_create(b, &err);
	umask(old);
	CU_ASSERT_EQUAL_FATAL(rca, 0);
	CU_ASSERT_EQUAL_FATAL(rcb, 0);
	struct stat st;
	CU_ASSERT_EQUAL_FATAL(stat(a, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	size_t na = 0, nb = 0;
	unsigned char *ta = xtest_read(a, &na), *tb = xtest_read(b, &nb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
	CU_ASSERT_EQUAL(na, 65);
	CU_ASSERT_EQUAL(ta[64], '\n');
	for (size_t i = 0; i < 64 && i < na; i++)
		CU_ASSERT_TRUE(isxdigit(ta[i]) && !isupper(ta[i]));
	CU_ASSERT_NOT_EQUAL(memcmp(ta, tb, 64), 0); /* fresh randomness each time */
	free(ta);
	free(tb);
}

static void test_token_file_never_replaces_or_follows_a_symlink(void)
{
	const char *d = xtest_tmpdir();
	const char *p = xtest_path("%s/keep.token", d);
	const char *victim = xtest_path("%s/victim", d);
	const char *link = xtest_path("%s/link.token", d);
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(xtest_write(p, "mine-0123456789abcdef\n", 22), 0);
	CU_ASSERT_EQUAL(repo_token_file_create(p, &err), -EEXIST);
	CU_ASSERT_TRUE(err && strstr(err, "token file ") && strstr(err, "keep.token: File exists"));
	free(err);
	err = NULL;
	size_t n = 0;
	unsigned char *t = xtest_read(p, &n);
	CU_ASSERT_TRUE(t && n == 22 && memcmp(t, "mine-0123456789abcdef\n", 22) == 0);
	free(t);
	/* a dangling symlink is not followed to create its target */
	CU_ASSERT_EQUAL_FATAL(symlink(victim, link), 0);
	CU_ASSERT_TRUE(repo_token_file_create(link, &err) < 0);
	CU_ASSERT_NOT_EQUAL(access(victim, F_OK), 0);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(repo_token_file_create(xtest_path("%s/none/x.token", d), &err), -ENOENT);
	CU_ASSERT_TRUE(err && strstr(err, "none/x.token: No such file or directory"));
	free(err);
}

XTEST_SUITE(repo_token, NULL, NULL, XTEST(test_token_file_is_random_hex_and_0600),
	    XTEST(test_token_file_never_replaces_or_follows_a_symlink))
