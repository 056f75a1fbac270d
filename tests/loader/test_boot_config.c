// SPDX-License-Identifier: MIT
/*
 * Tests for loader/boot_config.c (the boot configuration: defaults, paths, strictness) and
 * loader/boot_floor.c (rollback floors in the HMAC-signed state file: they only go up, survive a
 * reopen, and an edited file is refused; the store fails closed once it exists: a deleted state
 * file, generation record or key, or an older copy of the state file put back, is refused until
 * an explicit re-initialization, and a crash between the two writes is not mistaken for one).
 */
#include "../xtest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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
	CU_ASSERT_STRING_EQUAL(c->cache_dir, "/var/s/cache"); /* the object cache: on */
	CU_ASSERT_EQUAL(c->cache_max_bytes, LDR_CACHE_MAX_DEFAULT);
	boot_config_free(c);
}

/* policy.tier (loader/tier.c): full (default) or fast, which is O0 (measured as opt=0); auto is
 * refused in a boot, saying why. */
static void test_boot_config_takes_the_tier(void)
{
	static const char head[] =
		"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		"\"drivers\":[],\"policy\":{\"opt_level\":3";
	char j[512];
	struct boot_config *c = NULL;
	char *e = NULL;
	snprintf(j, sizeof j, "%s}}", head);
	CU_ASSERT_EQUAL_FATAL(parse(j, &c, NULL), 0);
	CU_ASSERT_EQUAL(c->tier, LDR_TIER_FULL);
	CU_ASSERT_EQUAL(c->opt_level, 3u);
	boot_config_free(c);
	snprintf(j, sizeof j, "%s,\"tier\":\"fast\"}}", head);
	CU_ASSERT_EQUAL_FATAL(parse(j, &c, NULL), 0);
	CU_ASSERT_EQUAL(c->tier, LDR_TIER_FAST);
	CU_ASSERT_EQUAL(c->opt_level, 0u);
	boot_config_free(c);
	snprintf(j, sizeof j, "%s,\"tier\":\"full\"}}", head);
	CU_ASSERT_EQUAL_FATAL(parse(j, &c, NULL), 0);
	CU_ASSERT_EQUAL(c->tier, LDR_TIER_FULL);
	CU_ASSERT_EQUAL(c->opt_level, 3u);
	boot_config_free(c);
	snprintf(j, sizeof j, "%s,\"tier\":\"auto\"}}", head);
	CU_ASSERT_EQUAL(parse(j, &c, &e), -EINVAL);
	CU_ASSERT(has(e, "policy.tier: \"auto\" is not full or fast (auto is chosen where the "
			 "drivers stay"));
	free(e);
	e = NULL;
	snprintf(j, sizeof j, "%s,\"tier\":\"O0\"}}", head);
	CU_ASSERT_EQUAL(parse(j, &c, &e), -EINVAL);
	CU_ASSERT(has(e, "policy.tier: \"O0\""));
	free(e);
}

static void test_boot_config_takes_the_object_cache(void)
{
	static const char head[] =
		"{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},"
		"\"drivers\":[],\"cache\":";
	static const struct {
		const char *cache, *dir;
		uint64_t max;
	} ok[] = {
		{"false", NULL, LDR_CACHE_MAX_DEFAULT},
		{"true", "/cfg/s/cache", LDR_CACHE_MAX_DEFAULT},
		{"{}", "/cfg/s/cache", LDR_CACHE_MAX_DEFAULT},
		{"{\"dir\":\"objs\",\"max_mib\":3}", "/cfg/objs", 3u << 20},
		{"{\"dir\":\"/var/cache/xdrv\"}", "/var/cache/xdrv", LDR_CACHE_MAX_DEFAULT},
	};
	char json[512];
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct boot_config *c = NULL;
		snprintf(json, sizeof json, "%s%s}", head, ok[i].cache);
		CU_ASSERT_EQUAL_FATAL(parse(json, &c, NULL), 0);
		CU_ASSERT(ok[i].dir ? c->cache_dir && strcmp(c->cache_dir, ok[i].dir) == 0
				    : c->cache_dir == NULL);
		CU_ASSERT_EQUAL(c->cache_max_bytes, ok[i].max);
		boot_config_free(c);
	}
	static const struct {
		const char *cache, *msg;
	} bad[] = {
		{"\"on\"", "cache: not true, false or an object"},
		{"{\"size\":1}", "cache: unknown key \"size\""},
		{"{\"max_mib\":0}", "cache.max_mib: not 1..1048576"},
		{"{\"max_mib\":\"1G\"}", "cache.max_mib: not 1..1048576"},
		{"{\"dir\":\"\"}", "cache.dir: not a non-empty string"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct boot_config *c = NULL;
		char *e = NULL;
		snprintf(json, sizeof json, "%s%s}", head, bad[i].cache);
		CU_ASSERT_EQUAL(parse(json, &c, &e), -EINVAL);
		CU_ASSERT(has(e, bad[i].msg));
		free(e);
	}
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
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_get(f, "hello", &v, NULL), 0);
	CU_ASSERT_EQUAL(v, 0u);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 3, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 2, NULL), 0); /* no-op: floors only rise */
	boot_floors_close(f);
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
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
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_crl_get(f, &v, NULL), 0);
	CU_ASSERT_EQUAL(v, 0u);
	CU_ASSERT_EQUAL(boot_floors_crl_raise(f, 1765000000, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_crl_raise(f, 5, NULL), 0); /* no-op: only up */
	boot_floors_close(f);
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
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
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 2, NULL), 0);
	boot_floors_close(f);
	CU_ASSERT_EQUAL(xtest_sh("sed -i 's/^hello 2$/hello 1/' %s/floors.state", dir), 0);
	CU_ASSERT_EQUAL(boot_floors_open(NULL, dir, 0, &f, &e), -EBADMSG);
	CU_ASSERT(has(e, "floors.state: HMAC does not verify"));
	free(e);
}

/* The owner authorization is given as a file (the configuration is measured: never the secret). */
static void test_boot_config_tpm_owner_auth_is_a_path(void)
{
	struct boot_config *c = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL_FATAL(
		parse("{\"format\":1,\"tpm\":\"device:/dev/tpmrm0\","
		      "\"tpm_owner_auth\":\"owner.auth\",\"event_log\":\"l\","
		      "\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},\"drivers\":[]}",
		      &c, NULL),
		0);
	CU_ASSERT_STRING_EQUAL(c->tpm_owner_auth, "/cfg/owner.auth");
	boot_config_free(c);
	CU_ASSERT_EQUAL_FATAL(parse("{\"format\":1,\"event_log\":\"l\",\"state_dir\":\"s\","
				    "\"trust\":{\"root\":\"r\"},\"drivers\":[]}",
				    &c, NULL),
			      0);
	CU_ASSERT_PTR_NULL(c->tpm_owner_auth);
	boot_config_free(c);
	CU_ASSERT_EQUAL(parse("{\"format\":1,\"tpm_owner_auth\":7,\"event_log\":\"l\","
			      "\"state_dir\":\"s\",\"trust\":{\"root\":\"r\"},\"drivers\":[]}",
			      &c, &e),
			-EINVAL);
	CU_ASSERT(has(e, "config.tpm_owner_auth: not a non-empty string"));
	free(e);
}

/* A store with hello at floor 1 (generation 2) and a copy of that state file, then hello at 2
 * (generation 3). */
static const char *store_with_an_old_copy(const char *name)
{
	static char dir[512];
	snprintf(dir, sizeof dir, "%s", xtest_path("%s/%s", xtest_tmpdir(), name));
	struct boot_floors *f = NULL;
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_STRING_EQUAL(boot_floors_state(f), "new");
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 1, NULL), 0);
	CU_ASSERT_EQUAL(xtest_sh("cp %s/floors.state %s/old.state", dir, dir), 0);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 2, NULL), 0);
	boot_floors_close(f);
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_STRING_EQUAL(boot_floors_state(f), "existing");
	CU_ASSERT_PTR_NULL(boot_floors_reinit_note(f));
	boot_floors_close(f);
	return dir;
}

static uint64_t floor_of(struct boot_floors *f, const char *name)
{
	uint64_t v = 99;
	CU_ASSERT_EQUAL(boot_floors_get(f, name, &v, NULL), 0);
	return v;
}

static void test_boot_floors_refuse_a_deleted_state_file_until_reinit(void)
{
	const char *dir = store_with_an_old_copy("deleted");
	struct boot_floors *f = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL(xtest_sh("rm %s/floors.state", dir), 0);
	CU_ASSERT_EQUAL(boot_floors_open(NULL, dir, 0, &f, &e), -ENOENT);
	CU_ASSERT_PTR_NULL(f);
	CU_ASSERT(has(e, "floors.state is missing while its key"));
	CU_ASSERT(
		has(e, "the floors were deleted (every floor would read as 0); refusing to boot"));
	CU_ASSERT(has(e, "--reinit-floors"));
	free(e);
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, BOOT_FLOORS_REINIT, &f, NULL), 0);
	CU_ASSERT_STRING_EQUAL(boot_floors_state(f), "reinit");
	CU_ASSERT(has(boot_floors_reinit_note(f),
		      "floors.state was missing: every floor starts at 0 again"));
	CU_ASSERT_EQUAL(floor_of(f, "hello"), 0u);
	boot_floors_close(f);
	/* re-initialized: the next open needs nothing */
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_STRING_EQUAL(boot_floors_state(f), "existing");
	boot_floors_close(f);
}

static void test_boot_floors_refuse_an_older_copy_until_reinit(void)
{
	const char *dir = store_with_an_old_copy("older");
	struct boot_floors *f = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL(xtest_sh("cp %s/old.state %s/floors.state", dir, dir), 0);
	CU_ASSERT_EQUAL(boot_floors_open(NULL, dir, 0, &f, &e), -ESTALE);
	CU_ASSERT(has(e, "floors.state is generation 2 but"));
	CU_ASSERT(has(e, "floors.gen records generation 3: an older copy was put back"));
	free(e);
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, BOOT_FLOORS_REINIT, &f, NULL), 0);
	CU_ASSERT(
		has(boot_floors_reinit_note(f),
		    "floors.state is generation 2, older than the recorded 3: accepted as it is"));
	CU_ASSERT_EQUAL(floor_of(f, "hello"), 1u); /* the copy's floors */
	boot_floors_close(f);
	/* the generations went on from the highest seen: the copy is now the latest */
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_EQUAL(floor_of(f, "hello"), 1u);
	boot_floors_close(f);
}

static void test_boot_floors_refuse_a_deleted_record_or_key(void)
{
	const char *dir = store_with_an_old_copy("record");
	struct boot_floors *f = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL(xtest_sh("rm %s/floors.gen", dir), 0);
	CU_ASSERT_EQUAL(boot_floors_open(NULL, dir, 0, &f, &e), -ENOENT);
	CU_ASSERT(
		has(e, "floors.gen is missing: the record of the floors' generation was deleted"));
	free(e);
	e = NULL;
	CU_ASSERT_EQUAL(xtest_sh("rm %s/floors.key", dir), 0);
	CU_ASSERT_EQUAL(boot_floors_open(NULL, dir, 0, &f, &e), -ENOKEY);
	CU_ASSERT(has(e, "floors.key is missing while"));
	CU_ASSERT(has(e, "nothing can verify the floors any more"));
	free(e);
	/* a new key cannot verify the old file: re-initializing starts over, and says so */
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, BOOT_FLOORS_REINIT, &f, NULL), 0);
	CU_ASSERT(has(boot_floors_reinit_note(f), "the key was missing: a new key"));
	CU_ASSERT_EQUAL(floor_of(f, "hello"), 0u);
	boot_floors_close(f);
}

/* Edited generation record: the HMAC covers it too. */
static void test_boot_floors_refuse_an_edited_record(void)
{
	const char *dir = store_with_an_old_copy("edited-record");
	struct boot_floors *f = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL(xtest_sh("sed -i 's/^generation 3$/generation 2/' %s/floors.gen", dir), 0);
	CU_ASSERT_EQUAL(boot_floors_open(NULL, dir, 0, &f, &e), -EBADMSG);
	CU_ASSERT(has(e, "floors.gen: HMAC does not verify"));
	free(e);
}

/* The state file is written before the record: a crash in between leaves a state file one
 * generation ahead, which is no rollback; the record catches up at the next open. */
static void test_boot_floors_accept_a_crash_between_the_two_writes(void)
{
	const char *dir = xtest_path("%s/crash", xtest_tmpdir());
	struct boot_floors *f = NULL;
	char *e = NULL;
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 1, NULL), 0);
	CU_ASSERT_EQUAL(xtest_sh("cp %s/floors.gen %s/gen.1 && cp %s/floors.state %s/state.1", dir,
				 dir, dir, dir),
			0);
	CU_ASSERT_EQUAL(boot_floors_raise(f, "hello", 2, NULL), 0);
	boot_floors_close(f);
	CU_ASSERT_EQUAL(xtest_sh("cp %s/gen.1 %s/floors.gen", dir, dir), 0); /* the crash */
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_EQUAL(floor_of(f, "hello"), 2u);
	boot_floors_close(f);
	/* caught up: the state file before the crash is now an older copy */
	CU_ASSERT_EQUAL(xtest_sh("cp %s/state.1 %s/floors.state", dir, dir), 0);
	CU_ASSERT_EQUAL(boot_floors_open(NULL, dir, 0, &f, &e), -ESTALE);
	free(e);
}

/* A state file written before generations existed (no ".generation" line, no record) is taken
 * as it is and starts the count. */
static void test_boot_floors_take_a_state_file_from_before_generations(void)
{
	const char *dir = xtest_path("%s/legacy", xtest_tmpdir());
	struct boot_floors *f = NULL;
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	boot_floors_close(f);
	size_t kl = 0;
	unsigned char *key = xtest_read(xtest_path("%s/floors.key", dir), &kl);
	CU_ASSERT_EQUAL_FATAL(kl, 32u);
	char text[256] = "xdrv-floors 1\nhello 4\n", hex[65];
	uint8_t m[32];
	unsigned int ml = 32;
	HMAC(EVP_sha256(), key, 32, (const uint8_t *)text, strlen(text), m, &ml);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", m[i]);
	snprintf(text + strlen(text), sizeof text - strlen(text), "hmac %s\n", hex);
	CU_ASSERT_EQUAL(xtest_write(xtest_path("%s/floors.state", dir), text, strlen(text)), 0);
	CU_ASSERT_EQUAL(xtest_sh("rm %s/floors.gen", dir), 0);
	CU_ASSERT_EQUAL_FATAL(boot_floors_open(NULL, dir, 0, &f, NULL), 0);
	CU_ASSERT_EQUAL(floor_of(f, "hello"), 4u);
	boot_floors_close(f);
	size_t n = 0;
	unsigned char *st = xtest_read(xtest_path("%s/floors.state", dir), &n);
	CU_ASSERT(st && strstr((char *)st, "\n.generation 1\nhello 4\n"));
	CU_ASSERT_EQUAL(xtest_sh("test -f %s/floors.gen", dir), 0);
	free(st);
	free(key);
}

XTEST_SUITE(loader_boot_config, NULL, NULL, XTEST(test_boot_config_takes_the_watchdogs),
	    XTEST(test_boot_config_takes_the_object_cache), XTEST(test_boot_config_takes_the_tier),
	    XTEST(test_boot_config_fills_defaults_and_resolves_paths),
	    XTEST(test_boot_config_rejects_unknown_keys_and_bad_values),
	    XTEST(test_boot_floors_state_file_only_goes_up_and_survives_reopen),
	    XTEST(test_boot_floors_refuse_an_edited_state_file),
	    XTEST(test_boot_config_crl_required_defaults_to_true),
	    XTEST(test_boot_floors_keep_the_crl_number),
	    XTEST(test_boot_config_tpm_owner_auth_is_a_path),
	    XTEST(test_boot_floors_refuse_a_deleted_state_file_until_reinit),
	    XTEST(test_boot_floors_refuse_an_older_copy_until_reinit),
	    XTEST(test_boot_floors_refuse_a_deleted_record_or_key),
	    XTEST(test_boot_floors_refuse_an_edited_record),
	    XTEST(test_boot_floors_accept_a_crash_between_the_two_writes),
	    XTEST(test_boot_floors_take_a_state_file_from_before_generations))
