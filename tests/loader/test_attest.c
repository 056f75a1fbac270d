// SPDX-License-Identifier: MIT
/*
 * Tests for loader/attest.c: the chain printer of `xdrv verify-boot` (attest_check_chain).
 * An event log is text from the measured host, so a note or a value carrying a newline, a fake
 * "boot complete" line and an ANSI escape sequence must show up escaped on its own line, never
 * as a line of the verified chain. The reference (allow-list) keys on a driver's payload digest,
 * not its file's: a re-signed package keeps its identity, another payload does not. A log closed
 * by xdrv.boot.stopped is shown with its reason, then refused as not a complete boot.
 */
#include "../xtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

/* ---- the reference keys on the payload digest (issue 10) -----------------------------------
 * A boot of one driver "hello" whose package event carries file digest `file` and payload
 * digest `payload`, closed by `close`. */
#define P1 "1111111111111111111111111111111111111111111111111111111111111111"
#define P2 "2222222222222222222222222222222222222222222222222222222222222222"
#define F1 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define F2 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void boot_log(struct evl *l, const char *file, const char *payload, const char *close)
{
	static const char *const platform[] = {
		"xdrv.loader sha256=aa abi=1.0.0 llvm=19.1.0 source_date=1",
		"xdrv.config sha256=bb path=\"boot.json\"",
		"xdrv.trust root_sha256=cc time_floor=1",
		"xdrv.policy require_signatures=1 allowed_vendors=\"*\" safety=\"none\"",
		("xdrv.revocation crl_sha256=none revoked_serials=0 deny_sha256=none "
		 "denied_digests=0"),
	};
	char pkg[512];
	for (size_t i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(
			evl_append_text(l, BOOT_PCR_PLATFORM, EVL_EV_IPL, platform[i], NULL), 0);
	snprintf(pkg, sizeof pkg,
		 "xdrv.driver.package name=hello version=1.0.0 security_version=1 floor=0 "
		 "sha256=%s payload_sha256=%s signer=\"O = v, CN = s\" issuer=\"O = v\"",
		 file, payload);
	CU_ASSERT_EQUAL(evl_append_text(l, BOOT_PCR_DRIVERS, EVL_EV_IPL, pkg, NULL), 0);
	CU_ASSERT_EQUAL(evl_append_text(l, BOOT_PCR_PLATFORM, EVL_EV_IPL, close, NULL), 0);
}

static int check(const char *file, const char *payload, const char *close, const char *ref_json,
		 char **text, char **err)
{
	struct evl l = {0};
	boot_log(&l, file, payload, close);
	json_t *ref = ref_json ? json_loads(ref_json, 0, NULL) : NULL;
	size_t len = 0;
	FILE *o = open_memstream(text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	int rc = attest_check_chain(&l, ref, o, err);
	fclose(o);
	json_decref(ref);
	evl_free(&l);
	return rc;
}

static void test_attest_reference_keys_on_the_payload_digest(void)
{
	static const char ref[] = "{\"drivers\": {\"hello\": [\"" P1 "\"]}}";
	static const char done[] = "xdrv.boot.done booted=1 refused=0";
	char *text = NULL, *err = NULL;
	/* the package as approved */
	CU_ASSERT_EQUAL(check(F1, P1, done, ref, &text, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "security_version 1 (floor 0), payload sha256 " P1));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n           file sha256 " F1 "\n"));
	free(text);
	/* the same payload signed again: another file digest, the same identity */
	CU_ASSERT_EQUAL(check(F2, P1, done, ref, &text, &err), 0);
	free(text);
	/* another payload is another package, whatever file digest the reference might list */
	static const char ref_file[] = "{\"drivers\": {\"hello\": [\"" F1 "\"]}}";
	CU_ASSERT_EQUAL(check(F1, P2, done, ref_file, &text, &err), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(err);
	if (err)
		CU_ASSERT_STRING_EQUAL(err, "driver hello: payload sha256 " P2
					    " is not in the reference allow-list");
	free(text);
	free(err);
	err = NULL;
	/* a log from before unsigned packages had a payload digest: the file is the payload */
	static const char ref_unsigned[] = "{\"drivers\": {\"hello\": [\"" F2 "\"]}}";
	CU_ASSERT_EQUAL(check(F2, "unsigned", done, ref_unsigned, &text, &err), 0);
	free(text);
	free(err);
}

static void test_attest_stopped_boot_is_shown_then_refused(void)
{
	char *text = NULL, *err = NULL;
	CU_ASSERT_EQUAL(check(F1, P1,
			      "xdrv.boot.stopped booted=0 refused=1 reason=\"boot stopped: "
			      "h.xdrv: probe: driver ended the process (signal SIGSEGV)\x1b[2J\"",
			      NULL, &text, &err),
			-EPERM);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "\nboot       STOPPED: 0 drivers booted, 1 refused: boot stopped: "
			     "h.xdrv: probe: driver ended the process (signal SIGSEGV)\\x1b[2J\n"));
	CU_ASSERT(err && strstr(err, "the boot stopped before its end (xdrv.boot.stopped)"));
	free(text);
	free(err);
}

/* The JIT event as verify-boot shows it: where the object came from (the object cache), and a
 * quoted value that holds " key=..." (a safety policy written to look like the rest of the
 * event) never stands in for the real key. Logs from before the object cache have no cache=. */
static void test_attest_chain_shows_the_jit_event_and_where_its_code_came_from(void)
{
	static const char jit[] =
		"xdrv.driver.jit name=hello loader_sha256=aa llvm=19.1.7 host=\"x86_64 cpu=z +a\" "
		"opt=2 mode=eager params=\"\" safety=\"x object_sha256=" F2 " cache=miss\" "
		"object_sha256=" P1 " functions=3 cache=hit";
	static const char old_jit[] =
		"xdrv.driver.jit name=hello loader_sha256=aa llvm=19.1.7 host=\"x86_64 cpu=z +a\" "
		"opt=2 mode=eager params=\"\" safety=\"none\" object_sha256=" P1 " functions=3";
	const char *const logs[] = {jit, old_jit};
	for (int i = 0; i < 2; i++) {
		struct evl l = {0};
		boot_log(&l, F1, P1, "xdrv.boot.done booted=1 refused=0");
		/* the JIT event goes after the package event, before the closing one */
		struct evl_event done = l.ev[l.n - 1];
		l.n--;
		CU_ASSERT_EQUAL(evl_append_text(&l, BOOT_PCR_DRIVERS, EVL_EV_IPL, logs[i], NULL),
				0);
		CU_ASSERT_EQUAL(evl_append(&l, done.pcr, done.type, done.data, done.len, NULL), 0);
		free(done.data);
		char *text = NULL, *err = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&text, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(attest_check_chain(&l, NULL, o, &err), 0);
		fclose(o);
		const char *want = i == 0 ? ", safety x object_sha256=" F2
					    " cache=miss, object code "
					    "sha256 " P1 " (object cache: hit)\n"
					  : ", safety none, object code sha256 " P1 "\n";
		CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
		if (!strstr(text, P1 " (object cache: hit)\n") && i == 0)
			fprintf(stderr, "printout:\n%s", text);
		free(text);
		free(err);
		evl_free(&l);
	}
}

XTEST_SUITE(loader_attest, NULL, NULL,
	    XTEST(test_attest_chain_shows_the_jit_event_and_where_its_code_came_from),
	    XTEST(test_attest_reference_keys_on_the_payload_digest),
	    XTEST(test_attest_stopped_boot_is_shown_then_refused),
	    XTEST(test_attest_chain_shows_injected_text_escaped_on_one_line),
	    XTEST(test_attest_chain_note_without_nul_is_bounded),
	    XTEST(test_attest_chain_shows_floors_reinit_and_empty_owner_auth))
