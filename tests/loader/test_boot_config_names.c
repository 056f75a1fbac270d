// SPDX-License-Identifier: MIT
/*
 * Drivers named in a boot configuration (loader/boot_config.c, boot_set_package_resolver): the
 * front end's resolver is asked about every drivers[].package with the configuration's "store"
 * and folder; a name it resolves becomes that package file, a value it leaves alone stays a
 * file relative to the folder, and its refusal fails the configuration naming the entry. The
 * real resolver (the install store) is tested through `xdrv boot` in tests/e2e/repo_e2e.sh.
 */
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/util.h>

#include "../../loader/boot_priv.h"

struct seen {
	int calls;
	char store[256], value[256], dir[256];
};

/* "greeter" resolves to an installed file, "missing" is refused, anything else is a file */
static int names(void *ctx, const char *store, const char *value, const char *dir, char **path,
		 char **err)
{
	struct seen *s = ctx;
	s->calls++;
	snprintf(s->store, sizeof s->store, "%s", store ? store : "(null)");
	snprintf(s->value, sizeof s->value, "%s", value);
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	*path = NULL;
	if (strcmp(value, "greeter") == 0)
		*path = strdup("/var/lib/xdrv/blobs/4d15.xdrv");
	else if (strcmp(value, "missing") == 0)
		return xdrv_err(err, -ENOENT, "missing: not installed (store %s)", store);
	return 0;
}

static int parse(const char *pkg, const char *store, struct boot_config **c, char **e)
{
	char json[512];
	snprintf(json, sizeof json,
		 "{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",%s%s%s"
		 "\"trust\":{\"root\":\"r\"},\"drivers\":[{\"package\":\"%s\",\"device\":\"null\"}]"
		 "}",
		 store ? "\"store\":\"" : "", store ? store : "", store ? "\"," : "", pkg);
	return boot_config_parse((const uint8_t *)json, strlen(json), "/cfg", c, e);
}

static void test_boot_config_resolves_installed_driver_names(void)
{
	struct seen s = {0};
	struct boot_config *c = NULL;
	char *e = NULL;
	boot_set_package_resolver(names, &s);
	CU_ASSERT_EQUAL_FATAL(parse("greeter", "host2", &c, &e), 0);
	CU_ASSERT_EQUAL(s.calls, 1);
	CU_ASSERT_STRING_EQUAL(s.store, "/cfg/host2"); /* relative to the configuration */
	CU_ASSERT_STRING_EQUAL(s.value, "greeter");
	CU_ASSERT_STRING_EQUAL(s.dir, "/cfg");
	CU_ASSERT_STRING_EQUAL(c->drivers[0].package, "/var/lib/xdrv/blobs/4d15.xdrv");
	boot_config_free(c);
	c = NULL;
	/* a value the resolver leaves alone is a file, relative to the folder; no store: NULL */
	CU_ASSERT_EQUAL_FATAL(parse("pkg/hello.xdrv", NULL, &c, &e), 0);
	CU_ASSERT_STRING_EQUAL(s.store, "(null)");
	CU_ASSERT_STRING_EQUAL(c->drivers[0].package, "/cfg/pkg/hello.xdrv");
	boot_config_free(c);
	c = NULL;
	/* a name that is not installed stops the configuration, naming the entry */
	CU_ASSERT_EQUAL(parse("missing", "/st", &c, &e), -ENOENT);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT(e && strstr(e, "boot configuration: drivers[0].package: missing: not installed "
				 "(store /st)"));
	free(e);
	e = NULL;
	/* without a resolver every value is a file, as before */
	boot_set_package_resolver(NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(parse("greeter", NULL, &c, &e), 0);
	CU_ASSERT_STRING_EQUAL(c->drivers[0].package, "/cfg/greeter");
	boot_config_free(c);
}

XTEST_SUITE(loader_boot_config_names, NULL, NULL,
	    XTEST(test_boot_config_resolves_installed_driver_names))
