// SPDX-License-Identifier: MIT
/*
 * Tests for loader/boot_config.c (the boot configuration: defaults, paths, strictness) and
 * loader/boot_floor.c (rollback floors in the HMAC-signed state file: they only go up, survive a
 * reopen, and an edited file is refused).
 */
#include "../xtest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../loader/boot_priv.h"

static int has(const char *err, const char *needle)
{
	int ok = err && strstr(err, needle);
	if (!ok)
		fprintf(stderr, "message: %s (wanted: %s)\n", err ? err : "(none)", needle);
	return ok;
}

static int parse(const char *json, struct boot_config **c, char **e)
{
	return boot_config_parse((const uint8_t *)json, strlen(json), "/cfg", c, e);
}

static void test_boot_config_fills_defaults_and_resolves_paths(void)
{
	struct boot_config *c = NULL;
	CU_ASSERT_EQUAL_FATAL(
		parse("{\"format\":1,\"event_log\":\"l.bin\",\"state_dir\":\"/var/s\","
		      "\"trust\":{\"root\":\"r.pem\",\"time_floor\":\"2026-01-02\"},"
		      "\"drivers\":[{\"package\":\"p.xdrv\",\"device\":\"null\","
		      "\"params\":{\"n\":3,\"b\":true}}]}",
		      &c, NULL),
		0);
	CU_ASSERT_PTR_NULL(c->tpm);
	CU_ASSERT_STRING_EQUAL(c->event_log, "/cfg/l.bin");
	CU_ASSERT_STRING_EQUAL(c->state_dir, "/var/s");
	CU_ASSERT_STRING_EQUAL(c->trust_root, "/cfg/r.pem");
	CU_ASSERT_EQUAL(c->time_floor, 1767312000);
	CU_ASSERT_EQUAL(c->require_signatures, 1);
	CU_ASSERT_EQUAL(c->continue_on_failure, 0);
	CU_ASSERT_EQUAL(c->raise_floors, 1);
	CU_ASSERT_EQUAL(c->opt_level, 2u);
	CU_ASSERT_EQUAL(c->jit_mode, LDR_JIT_EAGER);
	CU_ASSERT_EQUAL(c->jit_timeout_ms, BOOT_JIT_TIMEOUT_MS);
	CU_ASSERT_EQUAL(c->probe_timeout_ms, BOOT_PROBE_TIMEOUT_MS);
	CU_ASSERT_STRING_EQUAL(c->drivers[0].package, "/cfg/p.xdrv");
	CU_ASSERT_STRING_EQUAL(c->drivers[0].backend, "native");
	CU_ASSERT_EQUAL(c->drivers[0].nparams, 2u);
	CU_ASSERT_STRING_EQUAL(c->drivers[0].params[0].value, "3");
	CU_ASSERT_STRING_EQUAL(c->drivers[0].params[1].value, "true");
	boot_config_free(c);
}

static void test_boot_config_rejects_unknown_keys_and_bad_values(void)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
		{"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"policy\":{\"require_signature\":false},\"drivers\":[]}",
		 "policy: unknown key \"require_signature\""},
		{"{\"format\":2}", "format: must be 1"},
		{"{\"format\":1,\"state_dir\":\"s\",\"drivers\":[]}", "event_log: missing"},
		{"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"drivers\":[]}",
		 "trust.root: missing, and policy.require_signatures is true"},
		{"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"policy\":{\"jit\":\"fast\"},\"drivers\":[]}",
		 "policy.jit: \"fast\" is not eager or lazy"},
		{"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"drivers\":[{\"device\":\"null\"}]}",
		 "drivers[0].package: missing"},
		{"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"policy\":{\"min_security_versions\":{\"hello\":-1}},\"drivers\":[]}",
		 "policy.min_security_versions.hello: not a number >= 0"},
		{"{\"format\":1,\"format\":1}", "line 1"},
		{"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"revocation\":{\"crl_required\":true},\"drivers\":[]}",
		 "revocation.crl_required: needs revocation.crl"},
		{"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"policy\":{\"probe_timeout_ms\":0},\"drivers\":[]}",
		 "policy.probe_timeout_ms: not milliseconds 1..3600000"},
		{"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"policy\":{\"probe_timeout_ms\":\"10s\"},\"drivers\":[]}",
		 "policy.probe_timeout_ms: not milliseconds 1..3600000"},
		{"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		 "\"policy\":{\"jit_timeout_ms\":3600001},\"drivers\":[]}",
		 "policy.jit_timeout_ms: not milliseconds 1..3600000"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct boot_config *c = NULL;
		char *e = NULL;
		CU_ASSERT_EQUAL(parse(cases[i].json, &c, &e), -EINVAL);
		CU_ASSERT_PTR_NULL(c);
		CU_ASSERT(has(e, "boot configuration"));
		CU_ASSERT(has(e, cases[i].msg));
		free(e);
	}
}

static void test_boot_config_takes_the_watchdogs(void)
{
	struct boot_config *c = NULL;
	CU_ASSERT_EQUAL_FATAL(
		parse("{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":"
		      "\"r\"},\"policy\":{\"jit_timeout_ms\":1,\"probe_timeout_ms\":3600000},"
		      "\"drivers\":[]}",
		      &c, NULL),
		0);
	CU_ASSERT_EQUAL(c->jit_timeout_ms, 1u);
	CU_ASSERT_EQUAL(c->probe_timeout_ms, 3600000u);
	boot_config_free(c);
}

static void test_boot_floors_state_file_only_goes_up_and_survives_reopen(void)
{
	const char *dir = xtest_path("%s/state", xtest_tmpdir());
	struct boot_floors *f = NULL;
	uint64_t v = 9;
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, &f, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_get(f, "hello", &v, NULL), 0);
	CU_ASSERT_EQUAL(v, 0u);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 3, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 2, NULL), 0); /* no-op: floors only rise */
	boot_floors_close(f);
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, &f, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_get(f, "hello", &v, NULL), 0);
	CU_ASSERT_EQUAL(v, 3u);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "bad name", 1, NULL), -EINVAL);
	boot_floors_close(f);
}

static void test_boot_config_crl_required_defaults_to_true(void)
{
	struct boot_config *c = NULL;
	CU_ASSERT_EQUAL_FATAL(parse("{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\","
				    "\"trust\":{\"root\":\"r\"},\"revocation\":{\"crl\":\"c.pem\"},"
				    "\"drivers\":[]}",
				    &c, NULL),
			      0);
	CU_ASSERT_EQUAL(c->crl_required, 1); /* fail closed */
	boot_config_free(c);
	CU_ASSERT_EQUAL_FATAL(parse("{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\","
				    "\"trust\":{\"root\":\"r\"},\"revocation\":{\"crl\":\"c.pem\","
				    "\"crl_required\":false},\"drivers\":[]}",
				    &c, NULL),
			      0);
	CU_ASSERT_EQUAL(c->crl_required, 0);
	boot_config_free(c);
}

/* The highest CRL number shares the state file with the floors, under a name no driver has. */
static void test_boot_floors_keep_the_crl_number(void)
{
	const char *dir = xtest_path("%s/state3", xtest_tmpdir());
	struct boot_floors *f = NULL;
	uint64_t v = 9, hello = 9;
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, &f, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_crl_get(f, &v, NULL), 0);
	CU_ASSERT_EQUAL(v, 0u);
	CU_ASSERT_EQUAL(boot_floors_crl_raise(f, 1765000000, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_crl_raise(f, 5, NULL), 0); /* no-op: only up */
	boot_floors_close(f);
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, &f, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_crl_get(f, &v, NULL), 0);
	CU_ASSERT_EQUAL(v, 1765000000u);
	CU_ASSERT_EQUAL(boot_floors_get(f, "hello", &hello, NULL), 0);
	CU_ASSERT_EQUAL(hello, 0u); /* no driver floor came of it */
	boot_floors_close(f);
}

static void test_boot_floors_refuse_an_edited_state_file(void)
{
	const char *dir = xtest_path("%s/state2", xtest_tmpdir());
	struct boot_floors *f = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, &f, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 2, NULL), 0);
	boot_floors_close(f);
	CU_ASSERT_EQUAL(xtest_sh("sed -i 's/^hello 2$/hello 1/' %s/floors.state", dir), 0);
	CU_ASSERT_EQUAL(boot_floors_open(NULL, dir, &f, &e), -EBADMSG);
	CU_ASSERT(has(e, "floors.state: HMAC does not verify"));
	free(e);
}

XTEST_SUITE(loader_boot_config, NULL, NULL, XTEST(test_boot_config_takes_the_watchdogs),
	    XTEST(test_boot_config_fills_defaults_and_resolves_paths),
	    XTEST(test_boot_config_rejects_unknown_keys_and_bad_values),
	    XTEST(test_boot_floors_state_file_only_goes_up_and_survives_reopen),
	    XTEST(test_boot_floors_refuse_an_edited_state_file),
	    XTEST(test_boot_config_crl_required_defaults_to_true),
	    XTEST(test_boot_floors_keep_the_crl_number))
