// SPDX-License-Identifier: MIT
/*
 * Tests for loader/boot_seq.c without a TPM (the swtpm paths are tests/e2e/boot_tpm.sh) and for
 * the JIT's object code digest it measures: a boot of the signed sample driver writes a log that
 * starts with the no-TPM note and holds the platform and driver events in order; the eager
 * object digest is the same for two loads of one package and absent in lazy mode. A configured
 * CRL must be fresh: an older cRLNumber than the host has seen, or a nextUpdate before the time
 * floor, stops the boot unless revocation.crl_required is false. Each driver is compiled in a
 * compiler process (loader/compile.c): one whose bitcode crashes LLVM's reader is refused, naming
 * the signal, and the boot goes on; the JIT event measures the digest of the object the boot
 * received, the same as an in-process load's.
 */
#include "../xtest.h"
#include "craft_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/boot.h>
#include <xdrv/loader.h>
#include <xdrv/revocation.h>

/* The build folder as an absolute path (the configuration's relative paths are taken from
 * its own folder). */
static const char *abs_build(void)
{
	static char buf[1024];
	const char *b = xtest_build_dir();
	char cwd[512];
	if (b[0] == '/' || !getcwd(cwd, sizeof cwd))
		return b;
	snprintf(buf, sizeof buf, "%s/%s", cwd, b);
	return buf;
}

/* A configuration booting hello; `extra` (may be "") goes first among the keys, with its comma. */
static const char *write_config_with(const char *dir, const char *policy, const char *extra)
{
	const char *path = xtest_path("%s/boot.json", dir);
	char text[2048];
	snprintf(text, sizeof text,
		 "{%s\"format\": 1, \"event_log\": \"boot.log\", \"state_dir\": \"state\",\n"
		 " \"trust\": {\"root\": \"%s/pki/root.pem\"}, \"policy\": %s,\n"
		 " \"drivers\": [{\"package\": \"%s/pkg/hello.xdrv\", \"device\": \"null\"}]}\n",
		 extra, abs_build(), policy, abs_build());
	CU_ASSERT_EQUAL(xtest_write(path, text, strlen(text)), 0);
	return path;
}

static const char *write_config(const char *dir, const char *policy)
{
	return write_config_with(dir, policy, "");
}

static void test_boot_without_tpm_logs_note_platform_and_driver_events(void)
{
	const char *dir = xtest_tmpdir();
	char cfg[512];
	snprintf(cfg, sizeof cfg, "%s", write_config(dir, "{}"));
	struct boot_result r;
	char *e = NULL;
	int brc = boot_run(cfg, NULL, &r, &e);
	if (brc)
		fprintf(stderr, "boot: %s\n", e ? e : "?");
	CU_ASSERT_EQUAL_FATAL(brc, 0);
	CU_ASSERT_EQUAL(r.booted, 1u);
	CU_ASSERT_EQUAL(r.refused, 0u);
	CU_ASSERT_EQUAL(r.tpm_used, 0);
	CU_ASSERT_EQUAL(r.events, 9u); /* 5 platform, package, jit, probe, done */
	size_t n = 0;
	unsigned char *b = xtest_read(xtest_path("%s/boot.log", dir), &n);
	struct evl l;
	CU_ASSERT_EQUAL_FATAL(evl_parse(b, n, &l, &e), 0);
	static const char *const want[] = {"xdrv: no TPM configured",
					   "xdrv.loader ",
					   "xdrv.config ",
					   "xdrv.trust ",
					   "xdrv.policy ",
					   "xdrv.revocation ",
					   "xdrv.driver.package name=hello",
					   "xdrv.driver.jit name=hello",
					   "xdrv.driver.probe name=hello",
					   "xdrv.boot.done booted=1 refused=0"};
	CU_ASSERT_EQUAL_FATAL(l.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < l.n; i++)
		CU_ASSERT_EQUAL(strncmp((const char *)l.ev[i].data, want[i], strlen(want[i])), 0);
	CU_ASSERT_EQUAL(l.ev[0].type, EVL_EV_NO_ACTION);
	CU_ASSERT_EQUAL(l.ev[1].pcr, BOOT_PCR_PLATFORM);
	CU_ASSERT_EQUAL(l.ev[6].pcr, BOOT_PCR_DRIVERS);
	CU_ASSERT_PTR_NOT_NULL(strstr((const char *)l.ev[7].data, "mode=eager"));
	CU_ASSERT_PTR_NULL(strstr((const char *)l.ev[7].data, "object_sha256=none"));
	evl_free(&l);
	free(b);
	free(e);
}

static void test_boot_stops_at_refused_driver_unless_policy_continues(void)
{
	const char *dir = xtest_tmpdir();
	char cfg[512];
	snprintf(cfg, sizeof cfg, "%s",
		 write_config(dir, "{\"min_security_versions\": {\"hello\": 7}}"));
	struct boot_result r;
	char *e = NULL;
	CU_ASSERT_EQUAL(boot_run(cfg, NULL, &r, &e), -EKEYREVOKED);
	CU_ASSERT(e && strstr(e, "hello.xdrv: rollback: security_version 1 is below "
				 "the floor 7"));
	free(e);
	e = NULL;
	/* the stopped boot still closes its log, saying why; the refusal names the package by
	 * its payload digest too (known once the signature verified) */
	size_t n = 0;
	unsigned char *b = xtest_read(xtest_path("%s/boot.log", dir), &n);
	struct evl l;
	CU_ASSERT_EQUAL_FATAL(evl_parse(b, n, &l, &e), 0);
	CU_ASSERT_EQUAL_FATAL(l.n, 8u); /* note, 5 platform, refused, stopped */
	const char *refused = (const char *)l.ev[6].data, *last = (const char *)l.ev[7].data;
	CU_ASSERT_PTR_NOT_NULL(strstr(refused, "xdrv.driver.refused package=\"hello.xdrv\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(refused, " step=rollback "));
	const char *pay = strstr(refused, " payload_sha256=");
	CU_ASSERT(pay && strspn(pay + 16, "0123456789abcdef") == 64);
	CU_ASSERT_EQUAL(l.ev[7].pcr, BOOT_PCR_PLATFORM);
	static const char stopped[] = "xdrv.boot.stopped booted=0 refused=1 reason=\"boot stopped "
				      "(policy: continue_on_failure is false): hello.xdrv: "
				      "rollback: security_version 1 is below the floor 7";
	CU_ASSERT_EQUAL(strncmp(last, stopped, strlen(stopped)), 0);
	evl_free(&l);
	free(b);
	snprintf(cfg, sizeof cfg, "%s",
		 write_config(dir, "{\"min_security_versions\": {\"hello\": 7}, "
				   "\"continue_on_failure\": true}"));
	CU_ASSERT_EQUAL(boot_run(cfg, NULL, &r, &e), 0);
	CU_ASSERT_EQUAL(r.booted, 0u);
	CU_ASSERT_EQUAL(r.refused, 1u);
	free(e);
}

static void test_object_digest_is_stable_in_eager_and_absent_in_lazy_mode(void)
{
	uint8_t d[2][32];
	for (int mode = 0; mode < 2; mode++) {
		for (int i = 0; i < 2; i++) {
			struct ldr_config c = {
				.trust_root = xtest_path("%s/pki/root.pem", xtest_build_dir()),
				.jit_mode = mode ? LDR_JIT_LAZY : LDR_JIT_EAGER,
				.opt_level = 2};
			struct ldr_ctx *ctx = NULL;
			struct ldr_image *img = NULL;
			CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&c, &ctx, NULL), 0);
			CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(ctx,
								  xtest_path("%s/pkg/hello.xdrv",
									     xtest_build_dir()),
								  NULL, 0, &img, NULL),
					      0);
			CU_ASSERT_EQUAL(ldr_image_object_digest(img, d[i]), mode ? -ENODATA : 0);
			ldr_image_unload(img);
			ldr_ctx_destroy(ctx);
		}
		if (!mode)
			CU_ASSERT_EQUAL(memcmp(d[0], d[1], 32), 0);
	}
}

/* ---- CRL freshness (issue 10) ---------------------------------------------------------------
 * A configuration with a CRL made under the build's root, and a trust time floor. */
static const char *write_crl_config(const char *dir, const char *crl, int64_t floor,
				    const char *crl_required)
{
	const char *path = xtest_path("%s/boot.json", dir);
	char text[4096];
	snprintf(text, sizeof text,
		 "{\"format\": 1, \"event_log\": \"boot.log\", \"state_dir\": \"state\",\n"
		 " \"trust\": {\"root\": \"%s/pki/root.pem\", \"time_floor\": %lld},\n"
		 " \"revocation\": {\"crl\": \"%s\"%s%s},\n"
		 " \"drivers\": [{\"package\": \"%s/pkg/hello.xdrv\", \"device\": \"null\"}]}\n",
		 abs_build(), (long long)floor, crl, crl_required ? ", \"crl_required\": " : "",
		 crl_required ? crl_required : "", abs_build());
	CU_ASSERT_EQUAL(xtest_write(path, text, strlen(text)), 0);
	return path;
}

static void make_crl(const char *path, uint32_t days, uint64_t number)
{
	const char *serial = "0x1234"; /* revokes nothing of ours */
	char root[1024], key[1024];
	char *e = NULL;
	snprintf(root, sizeof root, "%s", xtest_path("%s/pki/root.pem", abs_build()));
	snprintf(key, sizeof key, "%s", xtest_path("%s/pki/root.key", abs_build()));
	int rc = sig_crl_create(root, key, NULL, 0, &serial, 1, days, number, path, NULL, &e);
	if (rc)
		fprintf(stderr, "make_crl: %s\n", e ? e : "?");
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	free(e);
}

/* Does the binary buffer hold the string? */
static int has(const unsigned char *b, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(b + i, s, k) == 0)
			return 1;
	return 0;
}

static int boot_with(const char *cfg, char **e)
{
	struct boot_result r;
	free(*e);
	*e = NULL;
	int rc = boot_run(cfg, NULL, &r, e);
	if (rc)
		fprintf(stderr, "boot: %s\n", *e ? *e : "?");
	return rc;
}

static void test_boot_crl_numbers_only_go_up(void)
{
	char dir[512], crl[1024], cfg[1024];
	char *e = NULL;
	int64_t now = (int64_t)time(NULL);
	snprintf(dir, sizeof dir, "%s", xtest_tmpdir());
	snprintf(crl, sizeof crl, "%s/crl.pem", dir);
	snprintf(cfg, sizeof cfg, "%s", write_crl_config(dir, crl, now, NULL));
	make_crl(crl, 30, 10);
	CU_ASSERT_EQUAL(boot_with(cfg, &e), 0); /* stored: 0 -> 10 */
	size_t n = 0;
	unsigned char *st = xtest_read(xtest_path("%s/state/floors.state", dir), &n);
	CU_ASSERT(st && strstr((char *)st, "\n.crl_number 10\n"));
	free(st);
	unsigned char *log = xtest_read(xtest_path("%s/boot.log", dir), &n);
	CU_ASSERT(log && has(log, n, "crl_number=10 crl_state=fresh"));
	free(log);
	make_crl(crl, 30, 9);
	CU_ASSERT_EQUAL(boot_with(cfg, &e), -ESTALE); /* an older CRL */
	CU_ASSERT(e && strstr(e, "cRLNumber 9 is lower than 10, the highest this host has seen"));
	CU_ASSERT(e && strstr(e, "revocation.crl_required is true"));
	make_crl(crl, 30, 10);
	CU_ASSERT_EQUAL(boot_with(cfg, &e), 0); /* equal is fine */
	make_crl(crl, 30, 12);
	CU_ASSERT_EQUAL(boot_with(cfg, &e), 0); /* higher raises the stored number ... */
	make_crl(crl, 30, 11);
	CU_ASSERT_EQUAL(boot_with(cfg, &e), -ESTALE); /* ... so 11 is now older */
	CU_ASSERT(e && strstr(e, "cRLNumber 11 is lower than 12"));
	free(e);
}

static void test_boot_refuses_stale_crl_unless_not_required(void)
{
	char dir[512], crl[1024], cfg[1024];
	char *e = NULL;
	int64_t now = (int64_t)time(NULL);
	snprintf(dir, sizeof dir, "%s", xtest_tmpdir());
	snprintf(crl, sizeof crl, "%s/crl.pem", dir);
	make_crl(crl, 1, 5); /* valid for a day */
	/* the floor (a lower bound on now) two days ahead: the CRL has certainly expired */
	snprintf(cfg, sizeof cfg, "%s", write_crl_config(dir, crl, now + 2 * 86400, NULL));
	CU_ASSERT_EQUAL(boot_with(cfg, &e), -ESTALE);
	CU_ASSERT(e && strstr(e, "stale: its nextUpdate "));
	CU_ASSERT(e && strstr(e, "is before the time floor"));
	snprintf(cfg, sizeof cfg, "%s", write_crl_config(dir, crl, now + 2 * 86400, "false"));
	CU_ASSERT_EQUAL(boot_with(cfg, &e), 0);
	size_t n = 0;
	unsigned char *log = xtest_read(xtest_path("%s/boot.log", dir), &n);
	CU_ASSERT(log && has(log, n, "crl_number=5 crl_state=stale"));
	free(log);
	/* the control: the same CRL against today's floor boots with crl_required true */
	snprintf(cfg, sizeof cfg, "%s", write_crl_config(dir, crl, now, "true"));
	CU_ASSERT_EQUAL(boot_with(cfg, &e), 0);
	free(e);
}

/* Boot `cfg` (one driver) and return the JIT event's text (malloc'd), or NULL. */
static char *boot_jit_event(const char *dir, const char *cfg)
{
	struct boot_result r;
	char *e = NULL, *jit = NULL;
	int brc = boot_run(cfg, NULL, &r, &e);
	if (brc)
		fprintf(stderr, "boot: %s\n", e ? e : "?");
	free(e);
	e = NULL;
	size_t n = 0;
	unsigned char *b = brc ? NULL : xtest_read(xtest_path("%s/boot.log", dir), &n);
	struct evl l = {0};
	if (b && evl_parse(b, n, &l, &e) == 0)
		for (size_t i = 0; i < l.n; i++)
			if (strncmp((const char *)l.ev[i].data, "xdrv.driver.jit ", 16) == 0)
				jit = strdup((const char *)l.ev[i].data);
	evl_free(&l);
	free(b);
	free(e);
	return jit;
}

/* The value of " key=" in an event's text (unquoted values), into a static buffer. */
static const char *event_value(const char *text, const char *key)
{
	static char v[128];
	char k[64];
	snprintf(k, sizeof k, " %s=", key);
	const char *p = text ? strstr(text, k) : NULL;
	v[0] = 0;
	if (p)
		sscanf(p + strlen(k), "%127[^ ]", v);
	return v;
}

/* The object cache in a boot: the second boot links what the first compiled (the same object
 * digest measured, cache=hit in the JIT event), a tampered entry is measured as cache=rejected
 * and compiled again (the same digest), "cache": false measures cache=off and makes no folder. */
static void test_boot_takes_the_second_boots_code_from_the_object_cache(void)
{
	const char *d = xtest_tmpdir();
	char dir[512], cfg[600], obj[80];
	snprintf(dir, sizeof dir, "%s", d);
	snprintf(cfg, sizeof cfg, "%s", write_config(dir, "{}"));
	char *jit = boot_jit_event(dir, cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jit);
	CU_ASSERT_STRING_EQUAL(event_value(jit, "cache"), "miss");
	snprintf(obj, sizeof obj, "%s", event_value(jit, "object_sha256"));
	CU_ASSERT_EQUAL(strlen(obj), 64u);
	free(jit);

	jit = boot_jit_event(dir, cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jit);
	CU_ASSERT_STRING_EQUAL(event_value(jit, "cache"), "hit");
	CU_ASSERT_STRING_EQUAL(event_value(jit, "object_sha256"), obj);
	free(jit);

	/* one entry in STATE_DIR/cache: a byte of its object changed */
	CU_ASSERT_EQUAL(xtest_sh("f=$(ls '%s'/state/cache/*.xoc) && [ $(echo \"$f\" | wc -l) = 1 ] "
				 "&& printf '\\001' | dd of=\"$f\" bs=1 seek=200 conv=notrunc "
				 "status=none",
				 dir),
			0);
	jit = boot_jit_event(dir, cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jit);
	CU_ASSERT_STRING_EQUAL(event_value(jit, "cache"), "rejected");
	CU_ASSERT_STRING_EQUAL(event_value(jit, "object_sha256"), obj);
	free(jit);
	jit = boot_jit_event(dir, cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jit);
	CU_ASSERT_STRING_EQUAL(event_value(jit, "cache"), "hit");
	free(jit);

	d = xtest_tmpdir();
	snprintf(dir, sizeof dir, "%s", d);
	snprintf(cfg, sizeof cfg, "%s", write_config_with(dir, "{}", "\"cache\": false, "));
	jit = boot_jit_event(dir, cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jit);
	CU_ASSERT_STRING_EQUAL(event_value(jit, "cache"), "off");
	CU_ASSERT_STRING_EQUAL(event_value(jit, "object_sha256"), obj);
	free(jit);
	CU_ASSERT_EQUAL(access(xtest_path("%s/state/cache", dir), F_OK), -1);
}

/* Bitcode that crashes LLVM's reader (tests/hostile/bad_bitcode_crash.bc, signed with the build's
 * PKI): the compiler process dies, the boot measures the refusal naming SIGSEGV and boots hello
 * after it; hello's JIT event has the object digest of an in-process load of hello. */
static void test_boot_survives_bitcode_that_crashes_llvm(void)
{
	char dir[512], cfg[600], crash[700], text[4096];
	snprintf(dir, sizeof dir, "%s", xtest_tmpdir());
	snprintf(crash, sizeof crash, "%s/crash.xdrv", dir);
	CU_ASSERT_EQUAL_FATAL(
		craft_signed_package(
			xtest_path("%s/pkg/hello.unsigned.xdrv", abs_build()),
			xtest_path("%s/tests/hostile/bad_bitcode_crash.bc", XDRV_SRCDIR),
			xtest_path("%s/pki", abs_build()), crash),
		0);
	snprintf(cfg, sizeof cfg, "%s/boot.json", dir);
	snprintf(text, sizeof text,
		 "{\"format\": 1, \"event_log\": \"boot.log\", \"state_dir\": \"state\",\n"
		 " \"trust\": {\"root\": \"%s/pki/root.pem\"}, \"policy\": "
		 "{\"continue_on_failure\": "
		 "true},\n"
		 " \"drivers\": [{\"package\": \"%s\", \"device\": \"null\"},\n"
		 "   {\"package\": \"%s/pkg/hello.xdrv\", \"device\": \"null\"}]}\n",
		 abs_build(), crash, abs_build());
	CU_ASSERT_EQUAL_FATAL(xtest_write(cfg, text, strlen(text)), 0);
	struct boot_result r;
	char *e = NULL;
	int brc = boot_run(cfg, NULL, &r, &e);
	if (brc)
		fprintf(stderr, "boot: %s\n", e ? e : "?");
	CU_ASSERT_EQUAL_FATAL(brc, 0);
	CU_ASSERT_EQUAL(r.booted, 1u);
	CU_ASSERT_EQUAL(r.refused, 1u);
	size_t n = 0;
	unsigned char *b = xtest_read(xtest_path("%s/boot.log", dir), &n);
	struct evl l;
	CU_ASSERT_EQUAL_FATAL(evl_parse(b, n, &l, &e), 0);
	const char *refused = NULL, *jit = NULL;
	for (size_t i = 0; i < l.n; i++) {
		const char *t = (const char *)l.ev[i].data;
		if (!strncmp(t, "xdrv.driver.refused ", 20))
			refused = t;
		if (!strncmp(t, "xdrv.driver.jit ", 16))
			jit = t;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(refused);
	CU_ASSERT_PTR_NOT_NULL(strstr(refused, " step=jit "));
	CU_ASSERT_PTR_NOT_NULL(strstr(refused,
				      "compiler process for crash.xdrv died: SIGSEGV (LLVM "
				      "crashed on the package's bitcode); nothing of it "
				      "was loaded"));
	if (!strstr(refused, "SIGSEGV"))
		fprintf(stderr, "\n  refused: %s\n", refused);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jit);
	CU_ASSERT_PTR_NOT_NULL(strstr(jit, "name=hello "));
	/* the digest the boot measured is the one an in-process load of hello links (with the
	 * boot's budgets) */
	struct ldr_config c = {.trust_root = xtest_path("%s/pki/root.pem", abs_build()),
			       .opt_level = 2,
			       .budget_edges = LDR_BUDGET_EDGES_DEFAULT,
			       .budget_depth = LDR_BUDGET_DEPTH_DEFAULT};
	struct ldr_ctx *ctx = NULL;
	struct ldr_image *img = NULL;
	uint8_t d[32];
	char hex[65], want[80];
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&c, &ctx, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(ctx, xtest_path("%s/pkg/hello.xdrv", abs_build()),
						  NULL, 0, &img, NULL),
			      0);
	CU_ASSERT_EQUAL(ldr_image_object_digest(img, d), 0);
	xdrv_hex(d, 32, hex);
	snprintf(want, sizeof want, " object_sha256=%s ", hex);
	CU_ASSERT_PTR_NOT_NULL(strstr(jit, want));
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	evl_free(&l);
	free(b);
	free(e);
}

XTEST_SUITE(loader_boot_seq, NULL, NULL, XTEST(test_boot_survives_bitcode_that_crashes_llvm),
	    XTEST(test_boot_takes_the_second_boots_code_from_the_object_cache),
	    XTEST(test_boot_without_tpm_logs_note_platform_and_driver_events),
	    XTEST(test_boot_stops_at_refused_driver_unless_policy_continues),
	    XTEST(test_object_digest_is_stable_in_eager_and_absent_in_lazy_mode),
	    XTEST(test_boot_crl_numbers_only_go_up),
	    XTEST(test_boot_refuses_stale_crl_unless_not_required))
