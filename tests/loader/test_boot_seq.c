// SPDX-License-Identifier: MIT
/*
 * Tests for loader/boot_seq.c without a TPM (the swtpm paths are tests/e2e/boot_tpm.sh) and for
 * the JIT's object code digest it measures: a boot of the signed sample driver writes a log that
 * starts with the no-TPM note and holds the platform and driver events in order; the eager
 * object digest is the same for two loads of one package and absent in lazy mode.
 */
#include "../xtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/boot.h>
#include <xdrv/loader.h>

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

static const char *write_config(const char *dir, const char *policy)
{
	const char *path = xtest_path("%s/boot.json", dir);
	char text[2048];
	snprintf(text, sizeof text,
		 "{\"format\": 1, \"event_log\": \"boot.log\", \"state_dir\": \"state\",\n"
		 " \"trust\": {\"root\": \"%s/pki/root.pem\"}, \"policy\": %s,\n"
		 " \"drivers\": [{\"package\": \"%s/pkg/hello.xdrv\", \"device\": \"null\"}]}\n",
		 abs_build(), policy, abs_build());
	CU_ASSERT_EQUAL(xtest_write(path, text, strlen(text)), 0);
	return path;
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

XTEST_SUITE(loader_boot_seq, NULL, NULL,
	    XTEST(test_boot_without_tpm_logs_note_platform_and_driver_events),
	    XTEST(test_boot_stops_at_refused_driver_unless_policy_continues),
	    XTEST(test_object_digest_is_stable_in_eager_and_absent_in_lazy_mode))
