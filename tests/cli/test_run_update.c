// SPDX-License-Identifier: MIT
/*
 * Tests for cli/run/update.c's run_update_check, the checks of `xdrv update` that the in-process
 * run and a driver domain's supervisor share: an unverified package, another driver and a lower
 * security_version are refused naming the problem and the package; the same or a higher
 * security_version passes; a --floors folder without a floor store is refused, not created.
 */
#include "../xtest.h"

#include "../../cli/run/update.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xdrv/sdk.h>
#include <xdrv/signer.h>

static const uint8_t pkg[] = "PACKAGE-BYTES";

static struct sdk_manifest man(const char *name, const char *version, uint64_t secver)
{
	struct sdk_manifest m;
	memset(&m, 0, sizeof m);
	m.name = (char *)name;
	m.version = (char *)version;
	m.security_version = secver;
	return m;
}

/* run_update_check(old, new) refused with rc, its message holding want; 0 when want is NULL */
static void check(const struct sdk_manifest *mo, const struct sdk_manifest *mn,
		  const struct sig_info *si, const char *floors, int rc, const char *want)
{
	char *err = NULL;
	int got = run_update_check(NULL, floors, mo, mn, si, pkg, sizeof pkg, "/x/new.xdrv", &err);
	CU_ASSERT_EQUAL(got, rc);
	if (want) {
		CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, want) : NULL);
		if (!err || !strstr(err, want))
			fprintf(stderr, "got '%s', wanted '%s'\n", err ? err : "(none)", want);
	} else {
		CU_ASSERT_PTR_NULL(err);
	}
	free(err);
}

static void test_refusals_name_the_problem(void)
{
	struct sig_info si;
	memset(&si, 0, sizeof si);
	struct sdk_manifest old = man("dp83820", "1.0.1", 2);
	struct sdk_manifest same = man("dp83820", "1.0.1", 2), up = man("dp83820", "1.0.2", 3);
	struct sdk_manifest down = man("dp83820", "1.0.0", 1), other = man("e1000", "1.0.2", 3);
	check(&old, &up, NULL, NULL, -EPERM,
	      "/x/new.xdrv: not verified: live update takes a signed package");
	check(&old, &other, &si, NULL, -EINVAL,
	      "/x/new.xdrv: is driver e1000, the run's driver is dp83820");
	check(&old, &down, &si, NULL, -EKEYREVOKED,
	      "/x/new.xdrv: security_version 1 is below the running dp83820 1.0.1's 2 "
	      "(security_version only goes up)");
	check(&old, &same, &si, NULL, 0, NULL);
	check(&old, &up, &si, NULL, 0, NULL);
	struct sdk_manifest noname = man(NULL, "1.0.2", 3);
	check(&old, &noname, &si, NULL, -EINVAL, "no manifest to compare");
}

static void test_a_floors_folder_without_a_store_is_refused(void)
{
	struct sig_info si;
	memset(&si, 0, sizeof si);
	struct sdk_manifest old = man("dp83820", "1.0.0", 1), up = man("dp83820", "1.0.1", 2);
	char dir[] = "/tmp/xdrv-test-floors-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	char *err = NULL;
	int rc = run_update_check(NULL, dir, &old, &up, &si, pkg, sizeof pkg, "/x/new.xdrv", &err);
	CU_ASSERT(rc < 0);
	CU_ASSERT_PTR_NOT_NULL(err ? strstr(err, "/x/new.xdrv: rollback") : NULL);
	free(err);
	/* nothing was created there */
	char path[128];
	snprintf(path, sizeof path, "%s/floors.state", dir);
	struct stat st;
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

XTEST_SUITE(cli_run_update, NULL, NULL, XTEST(test_refusals_name_the_problem),
	    XTEST(test_a_floors_folder_without_a_store_is_refused))
