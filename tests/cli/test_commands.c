// SPDX-License-Identifier: MIT
/*
 * Tests for sdk/cmd_build.c, sdk/cmd_pack.c and sdk/cmd_inspect.c through the real `xdrv`
 * binary of the build folder under test (XDRV_BUILD): the commands' contract (--help exits 0,
 * usage errors 2, failures 1 with "xdrv NAME:" on stderr), build -> pack -> inspect of a small
 * driver, inspect's JSON, and the signature states when the signer's commands are there.
 * Skipped (with a note) when the binary has not been built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../xtest.h"
#include "../sdk/sdk_fixtures.h"

static const char *xdrv(void)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s/bin/xdrv", xtest_build_dir());
	if (access(path, X_OK) != 0) {
		/* not a skip: make test builds the front end first, so its absence is a failure */
		fprintf(stderr, "\n%s not built\n", path);
		CU_FAIL("xdrv front end not built");
		return NULL;
	}
	if (path[0] != '/') {
		char cwd[512];
		char rel[1024];
		snprintf(rel, sizeof rel, "%s", path);
		if (getcwd(cwd, sizeof cwd))
			snprintf(path, sizeof path, "%s/%s", cwd, rel);
	}
	return path;
}

static void test_commands_follow_the_cli_contract(void)
{
	const char *x = xdrv();
	if (!x)
		return;
	const char *names[] = {"build", "pack", "inspect"};
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(xtest_sh("'%s' %s --help | grep -q '^usage: xdrv %s'", x, names[i],
					 names[i]),
				0);
		CU_ASSERT_EQUAL(xtest_sh("'%s' %s --no-such-option x 2>/dev/null", x, names[i]), 2);
		CU_ASSERT_EQUAL(xtest_sh("'%s' %s 2>/dev/null", x, names[i]), 2);
	}
	CU_ASSERT_EQUAL(xtest_sh("'%s' pack /nonexistent.bc 2>&1 | grep -q '^xdrv pack: '", x), 0);
	CU_ASSERT_EQUAL(xtest_sh("'%s' pack /nonexistent.bc 2>/dev/null", x), 1);
}

static void test_build_pack_inspect_round_trip(void)
{
	const char *x = xdrv();
	if (!x)
		return;
	const char *dir = xtest_tmpdir();
	CU_ASSERT_EQUAL_FATAL(
		xtest_write(xtest_path("%s/hello.c", dir), sdkfx_c_hello, strlen(sdkfx_c_hello)),
		0);
	/* default output names: hello.bc, then hello-1.0.0.xdrv, in the current folder */
	CU_ASSERT_EQUAL_FATAL(xtest_sh("cd '%s' && '%s' build hello.c && '%s' pack --version "
				       "1.0.0 --security-version 4 hello.bc",
				       dir, x, x),
			      0);
	/* an unsigned package: the outer structure only, and how to see more */
	CU_ASSERT_EQUAL(
		xtest_sh("cd '%s' && '%s' inspect hello-1.0.0.xdrv > u.txt && grep -q "
			 "'^signature   unsigned' u.txt && grep -q -- --allow-unsigned u.txt "
			 "&& ! grep -q '^imports' u.txt && ! grep -q '^params' u.txt",
			 dir, x),
		0);
	CU_ASSERT_EQUAL(
		xtest_sh("cd '%s' && '%s' inspect --allow-unsigned hello-1.0.0.xdrv > out.txt", dir,
			 x),
		0);
	CU_ASSERT_EQUAL(
		xtest_sh("cd '%s' && grep -q '^signature   unsigned' out.txt && grep -q "
			 "'^params      greet_count u32 = 1 (1..16)' out.txt && grep -q "
			 "'^imports     xdrv_log (ABI 1.0.0)' out.txt && grep -q '^lint        "
			 "ok' out.txt && grep -q 'hello_probe .*instructions' out.txt",
			 dir),
		0);
	/* --json: one object; checked with grep so that no JSON tool is needed */
	CU_ASSERT_EQUAL(
		xtest_sh("cd '%s' && '%s' inspect --allow-unsigned --json hello-1.0.0.xdrv > "
			 "o.json && "
			 "grep -q '\"security_version\": 4' o.json && grep -q "
			 "'\"problems\": \\[\\]' o.json && grep -q '\"lint\": \\[\\]' o.json",
			 dir, x),
		0);
	/* bare bitcode works too */
	CU_ASSERT_EQUAL(xtest_sh("cd '%s' && '%s' inspect hello.bc | grep -q '^driver      hello "
				 "1.0.0'",
				 dir, x),
			0);
	/* a version that contradicts the descriptor is refused */
	CU_ASSERT_EQUAL(xtest_sh("cd '%s' && '%s' pack --version 9.9.9 -o x.xdrv hello.bc "
				 "2>/dev/null",
				 dir, x),
			1);
}

static void test_inspect_reports_lint_problems_with_exit_1(void)
{
	const char *x = xdrv();
	if (!x)
		return;
	const char *dir = xtest_tmpdir();
	/* built outside the SDK: no profile flag, an inline asm */
	CU_ASSERT_EQUAL_FATAL(
		xtest_sh(
			"printf 'define void @f() {\\n call void asm sideeffect \"nop\", \"\"()\\n "
			"ret void\\n}\\n' | llvm-as-19 -o '%s/raw.bc'",
			dir),
		0);
	CU_ASSERT_EQUAL(
		xtest_sh("'%s' inspect '%s/raw.bc' > '%s/o.txt' 2> '%s/e.txt'", x, dir, dir, dir),
		1);
	CU_ASSERT_EQUAL(
		xtest_sh(
			"grep -q 'function f: inline assembly' '%s/o.txt' && grep -q "
			"'^xdrv inspect: bitcode: target triple .. is not the portable' '%s/e.txt'",
			dir, dir),
		0);
}

static void test_inspect_shows_signature_states(void)
{
	const char *x = xdrv();
	if (!x)
		return;
	const char *dir = xtest_tmpdir();
	CU_ASSERT_EQUAL_FATAL(
		xtest_write(xtest_path("%s/hello.c", dir), sdkfx_c_hello, strlen(sdkfx_c_hello)),
		0);
	if (xtest_sh("cd '%s' && '%s' pki --out pki --quiet >/dev/null 2>&1", dir, x) != 0) {
		CU_FAIL("xdrv pki failed");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(
		xtest_sh("cd '%s' && '%s' build hello.c && '%s' pack -o h.xdrv hello.bc && '%s' "
			 "sign "
			 "--cert pki/signer.pem --key pki/signer.key --chain pki/vendor.pem -o "
			 "s.xdrv h.xdrv",
			 dir, x, x, x),
		0);
	/* no trust root anywhere: the outer structure only */
	CU_ASSERT_EQUAL(xtest_sh("cd '%s' && env -u XDRV_TRUST XDRV_STORE=no-store '%s' inspect "
				 "s.xdrv | grep -q 'signed (not verified: pass --trust ROOT)'",
				 dir, x),
			0);
	/* $XDRV_TRUST is a root as --trust is, named on stderr (issue 15) */
	CU_ASSERT_EQUAL(
		xtest_sh("cd '%s' && XDRV_TRUST=pki/root.pem '%s' inspect s.xdrv 2>e.txt "
			 "| grep -q '^signature   verified against pki/root.pem' && grep -qx "
			 "'trust: pki/root.pem ($XDRV_TRUST)' e.txt",
			 dir, x),
		0);
	CU_ASSERT_EQUAL(xtest_sh("cd '%s' && '%s' inspect --trust pki/root.pem s.xdrv | grep -q "
				 "'^signature   verified against pki/root.pem'",
				 dir, x),
			0);
	/* --trust with an unsigned package: exit 1, the signer's message, nothing parsed */
	CU_ASSERT_EQUAL(xtest_sh("cd '%s' && '%s' inspect --trust pki/root.pem h.xdrv > o.txt "
				 "2> e.txt; test $? = 1 && grep -q '^xdrv inspect: signature: not "
				 "signed' e.txt && ! grep -q '^driver' o.txt",
				 dir, x),
			0);
	/* one payload byte changed after signing: INVALID, exit 1, payload not parsed */
	CU_ASSERT_EQUAL(xtest_sh("cd '%s' && cp s.xdrv t.xdrv && printf X | dd of=t.xdrv bs=1 "
				 "seek=700 conv=notrunc 2>/dev/null && '%s' inspect --trust "
				 "pki/root.pem t.xdrv > o.txt 2>/dev/null; test $? = 1 && grep -q "
				 "INVALID o.txt && ! grep -q '^driver' o.txt",
				 dir, x),
			0);
}

XTEST_SUITE(sdk_commands, NULL, NULL, XTEST(test_commands_follow_the_cli_contract),
	    XTEST(test_build_pack_inspect_round_trip),
	    XTEST(test_inspect_reports_lint_problems_with_exit_1),
	    XTEST(test_inspect_shows_signature_states))
