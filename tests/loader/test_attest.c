// SPDX-License-Identifier: MIT
/*
 * Tests for loader/attest.c: the chain printer of `xdrv verify-boot` (attest_check_chain).
 * An event log is text from the measured host, so a note or a value carrying a newline, a fake
 * "boot complete" line and an ANSI escape sequence must show up escaped on its own line, never
 * as a line of the verified chain.
 */
#include "../xtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../loader/boot_priv.h"

#define FAKE "\nboot complete: 2 drivers booted, 0 refused\x1b[2J"

/* The events of a boot of one refused driver, with FAKE in a note and in the refusal reason. */
static void hostile_log(struct evl *l)
{
	static const char *const platform[] = {
		"xdrv.loader sha256=aa abi=1.0.0 llvm=19.1.0 source_date=1",
		"xdrv.config sha256=bb path=\"/etc/xdrv/boot.json\"",
		"xdrv.trust root_sha256=cc time_floor=1",
		"xdrv.policy require_signatures=1 allowed_vendors=any safety=on floors=x "
		"continue_on_failure=1",
		"xdrv.revocation crl_sha256=none revoked_serials=0 deny_sha256=none "
		"denied_digests=0",
	};
	CU_ASSERT_EQUAL(evl_append_text(l, BOOT_PCR_PLATFORM, EVL_EV_NO_ACTION, "note" FAKE, NULL),
			0);
	for (size_t i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(
			evl_append_text(l, BOOT_PCR_PLATFORM, EVL_EV_IPL, platform[i], NULL), 0);
	CU_ASSERT_EQUAL(evl_append_text(l, BOOT_PCR_DRIVERS, EVL_EV_IPL,
					"xdrv.driver.refused package=\"evil.xdrv\" sha256=dd "
					"step=verify reason=\"bad" FAKE "\"",
					NULL),
			0);
	CU_ASSERT_EQUAL(evl_append_text(l, BOOT_PCR_PLATFORM, EVL_EV_IPL,
					"xdrv.boot.done booted=0 refused=1", NULL),
			0);
}

static void test_attest_chain_shows_injected_text_escaped_on_one_line(void)
{
	struct evl l = {0};
	hostile_log(&l);
	char *text = NULL, *err = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(attest_check_chain(&l, NULL, o, &err), 0);
	fclose(o);
	CU_ASSERT_PTR_NULL(err);
	/* no escape character reaches the terminal */
	CU_ASSERT_PTR_NULL(strchr(text, '\x1b'));
	/* the note and the reason each stay on their line, escaped */
	CU_ASSERT_PTR_NOT_NULL(strstr(
		text, "note       note\\nboot complete: 2 drivers booted, 0 refused\\x1b[2J\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		text, "refused    evil.xdrv at verify: bad\\nboot complete: 2 drivers booted, "
		      "0 refused\\x1b[2J\n"));
	/* the only line that starts with "boot " is the real one */
	size_t boot_lines = 0;
	for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		boot_lines += strncmp(p, "boot ", 5) == 0;
	CU_ASSERT_EQUAL(boot_lines, 1u);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "\nboot       complete: 0 drivers booted, 1 refused\n"));
	CU_ASSERT_PTR_NULL(strstr(text, "\nboot complete: 2 drivers booted"));
	if (!strstr(text, "\\x1b[2J"))
		fprintf(stderr, "printout:\n%s", text);
	free(text);
	free(err);
	evl_free(&l);
}

static void test_attest_chain_note_without_nul_is_bounded(void)
{
	struct evl l = {0};
	hostile_log(&l);
	/* a parsed note is `len` bytes, not necessarily NUL-terminated: cut the NUL off */
	l.ev[0].len = 4; /* "note" */
	char *text = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(attest_check_chain(&l, NULL, o, NULL), 0);
	fclose(o);
	CU_ASSERT_EQUAL(strncmp(text, "note       note\n", 16), 0);
	free(text);
	evl_free(&l);
}

/* The floors as the log tells them: a new store, a re-initialization, an empty owner
 * authorization, each a line of the chain (the re-initialization's text escaped). */
static void test_attest_chain_shows_floors_reinit_and_empty_owner_auth(void)
{
	static const char *const ev[] = {
		"xdrv.loader sha256=aa abi=1.0.0 llvm=19.1.0 source_date=1",
		"xdrv.config sha256=bb path=\"/etc/xdrv/boot.json\"",
		"xdrv.trust root_sha256=cc time_floor=1",
		"xdrv.policy require_signatures=1 allowed_vendors=any safety=on "
		"floors=tpm-nv-platform floors_state=new tpm_owner_auth=empty "
		"continue_on_failure=0",
		"xdrv.revocation crl_sha256=none revoked_serials=0 deny_sha256=none "
		"denied_digests=0",
		"xdrv.floors.reinit store=tpm-nv-platform found=\"1 listed floor(s) "
		"missing\x1b[2J\"",
		"xdrv.boot.done booted=0 refused=0",
	};
	struct evl l = {0};
	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++)
		CU_ASSERT_EQUAL(evl_append_text(&l, BOOT_PCR_PLATFORM, EVL_EV_IPL, ev[i], NULL), 0);
	char *text = NULL, *err = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(attest_check_chain(&l, NULL, o, &err), 0);
	fclose(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, ", floors in tpm-nv-platform, "));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		text,
		"\nfloors     a new store on this boot: every rollback floor started at 0\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "\nwarning    the TPM's owner authorization was empty at boot"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nfloors     RE-INITIALIZED (tpm-nv-platform): 1 "
					    "listed floor(s) missing\\x1b[2J\n"));
	CU_ASSERT_PTR_NULL(strchr(text, '\x1b'));
	free(text);
	free(err);
	evl_free(&l);
}

XTEST_SUITE(loader_attest, NULL, NULL,
	    XTEST(test_attest_chain_shows_injected_text_escaped_on_one_line),
	    XTEST(test_attest_chain_note_without_nul_is_bounded),
	    XTEST(test_attest_chain_shows_floors_reinit_and_empty_owner_auth))
