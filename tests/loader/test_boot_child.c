// SPDX-License-Identifier: MIT
/*
 * Tests for loader/boot_child.c, the process boundary of `xdrv boot`: an answer frame is parsed
 * strictly (each defect named); a child that answers is heard, one that never answers is killed
 * when its watchdog runs out, one that ends (a signal, an exit status) or closes its pipe and
 * lives on is told apart, a malformed frame is refused, a go to a child already gone does not
 * take the parent with it (SIGPIPE), and a stop signal ends the wait at once (unless the process
 * was started with it ignored). The children are
 * plain forks of this binary that do what each case needs (the hostile drivers themselves are
 * in tests/e2e/boot_tpm.sh).
 */
#include "../xtest.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../loader/boot_priv.h"

/* A frame: header for `plen` payload bytes, then the payload. */
static size_t frame(uint8_t *out, char kind, const char *payload, size_t plen, size_t say)
{
	out[0] = 'x';
	out[1] = 'd';
	out[2] = (uint8_t)kind;
	out[3] = 0;
	for (int i = 0; i < 4; i++)
		out[4 + i] = (uint8_t)(say >> (8 * i));
	memcpy(out + 8, payload, plen);
	return 8 + plen;
}

static int has(const char *err, const char *needle)
{
	int ok = err && strstr(err, needle);
	if (!ok)
		fprintf(stderr, "message: %s (wanted: %s)\n", err ? err : "(none)", needle);
	return ok;
}

static void test_answer_parse_takes_fields_and_names_each_defect(void)
{
	static struct boot_answer a;
	uint8_t m[8 + BOOT_ANSWER_MAX + 16];
	char *e = NULL;
	size_t n = frame(m, 'J', "a=1\0abc\0\0", 9, 9);
	CU_ASSERT_EQUAL_FATAL(boot_answer_parse(m, n, &a, &e), 0);
	CU_ASSERT_EQUAL(a.kind, 'J');
	CU_ASSERT_EQUAL_FATAL(a.nfields, 3u);
	CU_ASSERT_STRING_EQUAL(a.field[0], "a=1");
	CU_ASSERT_STRING_EQUAL(a.field[1], "abc");
	CU_ASSERT_STRING_EQUAL(a.field[2], "");

	static const struct {
		const char *payload;
		size_t plen, say, cut;
		const char *msg;
	} bad[] = {
		{"abc", 3, 3, 0, "do not end in a NUL"},
		{"", 0, 0, 0, "do not end in a NUL"},
		{"abc\0", 4, 5, 0, "answer of 4 bytes where its frame says 5"},
		{"abc\0", 4, BOOT_ANSWER_MAX + 1, 0, "more than 4096"},
		{"a\0b\0c\0d\0e\0f\0g\0h\0i\0", 18, 18, 0, "more than 8 fields"},
		{"abc\0", 4, 4, 6, "not an answer frame"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		n = frame(m, 'P', bad[i].payload, bad[i].plen, bad[i].say);
		if (bad[i].cut)
			n = bad[i].cut;
		CU_ASSERT_EQUAL(boot_answer_parse(m, n, &a, &e), -EBADMSG);
		CU_ASSERT(has(e, bad[i].msg));
		free(e);
		e = NULL;
	}
	n = frame(m, 'P', "abc\0", 4, 4);
	m[0] = 'X';
	CU_ASSERT_EQUAL(boot_answer_parse(m, n, &a, &e), -EBADMSG);
	CU_ASSERT(has(e, "not an answer frame"));
	free(e);
}

/* What a child does after the fork. */
enum act { ANSWER, HANG, CLOSE_AND_LIVE, EXIT7, ABORT, GARBAGE, STOP_PARENT };

static void child(struct boot_child *c, enum act act)
{
	const char *f[2] = {"null.0", "x"};
	switch (act) {
	case ANSWER:
		if (boot_child_wait_go(c) == 0)
			boot_child_answer(c, 'P', f, 2);
		_exit(0);
	case HANG:
		for (;;)
			pause();
	case CLOSE_AND_LIVE:
		close(c->answers);
		for (;;)
			pause();
	case EXIT7:
		_exit(7);
	case ABORT:
		signal(SIGABRT, SIG_DFL);
		raise(SIGABRT);
		_exit(1);
	case GARBAGE: {
		static const uint8_t g[16] = {'x', 'd', 'P', 0, 0xff, 0xff, 0xff, 0x7f};
		if (write(c->answers, g, sizeof g) < 0)
			_exit(2);
		for (;;)
			pause();
	}
	case STOP_PARENT:
		kill(getppid(), SIGTERM);
		for (;;)
			pause();
	}
	_exit(3);
}

/* Fork a child doing `act`, wait `ms` for its answer; *how gets how it ended. */
static int run(enum act act, uint32_t ms, struct boot_answer *a, char *how, size_t hn, char **e)
{
	struct boot_child c;
	int rc = boot_child_fork(&c, e);
	if (rc == 0)
		child(&c, act);
	CU_ASSERT_EQUAL_FATAL(rc, 1);
	if (act == ANSWER)
		CU_ASSERT_EQUAL(boot_child_go(&c), 0);
	rc = boot_child_recv(&c, ms, a, e);
	boot_child_end(&c, how, hn);
	CU_ASSERT_EQUAL(c.answers, -1);
	return rc;
}

static void test_child_answer_is_heard_after_the_go(void)
{
	static struct boot_answer a;
	char how[64], *e = NULL;
	/* a generous watchdog: this child answers, however loaded the machine */
	CU_ASSERT_EQUAL_FATAL(run(ANSWER, 600000, &a, how, sizeof how, &e), 0);
	CU_ASSERT_EQUAL(a.kind, 'P');
	CU_ASSERT_EQUAL_FATAL(a.nfields, 2u);
	CU_ASSERT_STRING_EQUAL(a.field[0], "null.0");
	free(e);
}

static void test_child_that_never_answers_is_killed_at_its_watchdog(void)
{
	static struct boot_answer a;
	char how[64], *e = NULL;
	CU_ASSERT_EQUAL(run(HANG, 50, &a, how, sizeof how, &e), -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(how, "signal SIGKILL");
	/* closing the pipe is not ending: still running at the watchdog, still killed */
	CU_ASSERT_EQUAL(run(CLOSE_AND_LIVE, 50, &a, how, sizeof how, &e), -ETIMEDOUT);
	CU_ASSERT_STRING_EQUAL(how, "signal SIGKILL");
	free(e);
}

static void test_child_that_ends_is_told_by_signal_or_exit_status(void)
{
	static struct boot_answer a;
	char how[64], *e = NULL;
	CU_ASSERT_EQUAL(run(EXIT7, 600000, &a, how, sizeof how, &e), -EPIPE);
	CU_ASSERT_STRING_EQUAL(how, "exit status 7");
	CU_ASSERT_EQUAL(run(ABORT, 600000, &a, how, sizeof how, &e), -EPIPE);
	CU_ASSERT_STRING_EQUAL(how, "signal SIGABRT");
	free(e);
}

static void test_child_with_a_malformed_frame_is_refused(void)
{
	static struct boot_answer a;
	char how[64], *e = NULL;
	CU_ASSERT_EQUAL(run(GARBAGE, 600000, &a, how, sizeof how, &e), -EBADMSG);
	CU_ASSERT(has(e, "more than 4096"));
	CU_ASSERT_STRING_EQUAL(how, "signal SIGKILL");
	free(e);
}

static void test_go_to_a_child_already_gone_does_not_end_the_parent(void)
{
	struct boot_child c;
	static struct boot_answer a;
	char how[64], *e = NULL;
	int rc = boot_child_fork(&c, &e);
	if (rc == 0)
		_exit(5);
	CU_ASSERT_EQUAL_FATAL(rc, 1);
	/* the child is gone once its answer pipe says so; then the go finds no reader */
	CU_ASSERT_EQUAL(boot_child_recv(&c, 600000, &a, &e), -EPIPE);
	CU_ASSERT_EQUAL(boot_child_go(&c), -EPIPE);
	sigset_t pending;
	sigpending(&pending);
	CU_ASSERT_FALSE(sigismember(&pending, SIGPIPE));
	boot_child_end(&c, how, sizeof how);
	CU_ASSERT_STRING_EQUAL(how, "exit status 5");
	free(e);
}

static void test_stop_signal_ends_the_wait_at_once(void)
{
	static struct boot_answer a;
	char how[64], sig[32], *e = NULL;
	CU_ASSERT_EQUAL_FATAL(boot_stop_install(), 0);
	CU_ASSERT_EQUAL(boot_stop_signal(), 0);
	/* the child sends the parent SIGTERM and waits: the wait ends on the signal, not at its
	 * ten-minute watchdog */
	CU_ASSERT_EQUAL(run(STOP_PARENT, 600000, &a, how, sizeof how, &e), -EINTR);
	CU_ASSERT_EQUAL(boot_stop_signal(), SIGTERM);
	CU_ASSERT_STRING_EQUAL(boot_signal_name(boot_stop_signal(), sig, sizeof sig), "SIGTERM");
	CU_ASSERT_STRING_EQUAL(how, "signal SIGKILL");
	boot_stop_restore();
	free(e);
}

static void test_stop_signal_ignored_at_start_stays_ignored(void)
{
	/* a background job of a shell starts with SIGINT ignored: the boot leaves it so */
	struct sigaction old, now;
	CU_ASSERT_EQUAL_FATAL(sigaction(SIGINT, NULL, &old), 0);
	signal(SIGINT, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(boot_stop_install(), 0);
	raise(SIGINT);
	CU_ASSERT_EQUAL(boot_stop_signal(), 0);
	CU_ASSERT_EQUAL(sigaction(SIGINT, NULL, &now), 0);
	CU_ASSERT(now.sa_handler == SIG_IGN);
	boot_stop_restore();
	sigaction(SIGINT, &old, NULL);
}

XTEST_SUITE(loader_boot_child, NULL, NULL,
	    XTEST(test_answer_parse_takes_fields_and_names_each_defect),
	    XTEST(test_child_answer_is_heard_after_the_go),
	    XTEST(test_child_that_never_answers_is_killed_at_its_watchdog),
	    XTEST(test_child_that_ends_is_told_by_signal_or_exit_status),
	    XTEST(test_child_with_a_malformed_frame_is_refused),
	    XTEST(test_go_to_a_child_already_gone_does_not_end_the_parent),
	    XTEST(test_stop_signal_ends_the_wait_at_once),
	    XTEST(test_stop_signal_ignored_at_start_stays_ignored))
