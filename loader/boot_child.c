// SPDX-License-Identifier: MIT
/*
 * The process boundary of `xdrv boot` (boot_seq.c): each driver is JIT-compiled and probed in a
 * forked child, so a driver that crashes, hangs or ends its process costs that child, never the
 * boot. The parent keeps the TPM, the event log and the floors; the child answers through one
 * pipe (framed messages, below) and waits on another for the parent's one-byte "go" between
 * compiling and probing, so that the JIT event is measured before any driver code runs. The
 * parent waits for each answer under a watchdog, and watches the child itself through a pidfd:
 * an answer pipe that closes is not yet a dead process (the kernel closes files before the exit
 * status exists), and a process that closed its pipe but lives on is as good as hung.
 *
 * Also the boot's stop signals: SIGINT and SIGTERM only set a flag (the first time; a second one
 * has its default action; one the boot was started with ignored stays ignored), the waits here
 * see it at once (ppoll with the signals unblocked only
 * while waiting, so none is lost between the check and the wait), and the boot then measures why
 * it stopped.
 *
 * A first step toward driver domains (DESIGN.md): the child is not sandboxed yet (no seccomp, no
 * namespaces) and starts as a copy of the parent; what it answers after the go is treated as
 * untrusted (a driver can write anywhere in its process), so every answer is parsed strictly.
 */
#define _GNU_SOURCE 1
#include "boot_priv.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xdrv/util.h"

/* An answer on the pipe: 'x', 'd', kind, 0, then the payload's length (u32, little-endian),
 * then the payload: the fields, each ending in a NUL. */
#define HDR_LEN 8u

static const int stop_signals[] = {SIGINT, SIGTERM};
#define NSTOP (sizeof stop_signals / sizeof stop_signals[0])
static struct sigaction stop_saved[NSTOP];
static volatile sig_atomic_t stop_signo;

static void on_stop(int signo)
{
	stop_signo = signo;
}

int boot_stop_install(void)
{
	stop_signo = 0;
	for (size_t i = 0; i < NSTOP; i++) {
		struct sigaction sa;
		if (sigaction(stop_signals[i], NULL, &stop_saved[i]) != 0)
			return -errno;
		if (stop_saved[i].sa_handler == SIG_IGN)
			continue; /* ignored by whoever started us (a background job): left so */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_stop;
		/* SA_RESTART: a TPM command in flight is not cut by the signal (its read and
		 * write restart); the waits below use ppoll, which is never restarted. A second
		 * signal has the default action: someone who insists is obeyed. */
		sa.sa_flags = SA_RESTART | SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		if (sigaction(stop_signals[i], &sa, &stop_saved[i]) != 0)
			return -errno;
	}
	return 0;
}

void boot_stop_restore(void)
{
	for (size_t i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &stop_saved[i], NULL);
	stop_signo = 0; /* the boot that saw it has said so */
}

int boot_stop_signal(void)
{
	return stop_signo;
}

const char *boot_signal_name(int signo, char *buf, size_t n)
{
	const char *abbrev = sigabbrev_np(signo);
	if (abbrev)
		snprintf(buf, n, "SIG%s", abbrev);
	else
		snprintf(buf, n, "signal %d", signo);
	return buf;
}

/* ---- both sides -------------------------------------------------------------------------------
 */
static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int boot_child_fork(struct boot_child *c, char **err)
{
	int up[2], down[2];
	memset(c, 0, sizeof *c);
	c->answers = c->go = c->pidfd = -1;
	if (pipe(up) != 0)
		return xdrv_err(err, -errno, "pipe: %s", strerror(errno));
	if (pipe(down) != 0) {
		int e = errno;
		close(up[0]);
		close(up[1]);
		return xdrv_err(err, -e, "pipe: %s", strerror(e));
	}
	pid_t parent = getpid();
	fflush(NULL); /* nothing buffered may be written twice */
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(up[0]);
		close(up[1]);
		close(down[0]);
		close(down[1]);
		return xdrv_err(err, -e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		c->answers = up[1];
		c->go = down[0];
		for (size_t i = 0; i < NSTOP; i++) /* as the boot found them */
			sigaction(stop_signals[i], &stop_saved[i], NULL);
		/* the child never outlives the boot: if the parent dies, so does it (and if the
		 * parent died before this line, it goes now) */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(1);
		return 0;
	}
	close(up[1]);
	close(down[0]);
	c->pid = pid;
	c->answers = up[0];
	c->go = down[1];
	/* Linux 5.3+; without it an answer pipe that closes is waited on with waitpid */
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 1;
}

/* ---- the child's side -------------------------------------------------------------------------
 */

int boot_child_answer(const struct boot_child *c, char kind, const char *const *fields, size_t n)
{
	uint8_t msg[HDR_LEN + BOOT_ANSWER_MAX];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		const char *f = fields[i] ? fields[i] : "";
		size_t fl = strlen(f);
		/* a long message (a lint report, say) is cut, never the frame */
		if (fl > BOOT_ANSWER_MAX - len - 1)
			fl = BOOT_ANSWER_MAX - len - 1;
		memcpy(msg + HDR_LEN + len, f, fl);
		len += fl;
		msg[HDR_LEN + len++] = 0;
		if (len == BOOT_ANSWER_MAX)
			break;
	}
	msg[0] = 'x';
	msg[1] = 'd';
	msg[2] = (uint8_t)kind;
	msg[3] = 0;
	for (int i = 0; i < 4; i++)
		msg[4 + i] = (uint8_t)(len >> (8 * i));
	return xdrv_write_all(c->answers, msg, HDR_LEN + len);
}

int boot_child_wait_go(const struct boot_child *c)
{
	uint8_t b = 0;
	ssize_t r;
	while ((r = read(c->go, &b, 1)) < 0 && errno == EINTR)
		;
	return r == 1 && b == 'g' ? 0 : -EPIPE;
}

/* ---- the parent's side ------------------------------------------------------------------------
 */
int boot_child_go(const struct boot_child *c)
{
	/* a child already gone must not take the boot with it: SIGPIPE is held back, and the
	 * one this write raises is taken off (the caller's wait then says how the child ended) */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	int rc = xdrv_write_all(c->go, "g", 1);
	if (rc) {
		const struct timespec zero = {0, 0};
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int boot_answer_parse(const uint8_t *msg, size_t len, struct boot_answer *a, char **err)
{
	a->kind = 0;
	a->nfields = 0;
	if (len < HDR_LEN || msg[0] != 'x' || msg[1] != 'd' || msg[3] != 0)
		return xdrv_err(err, -EBADMSG, "not an answer frame");
	size_t plen = 0;
	for (int i = 0; i < 4; i++)
		plen |= (size_t)msg[4 + i] << (8 * i);
	if (plen > BOOT_ANSWER_MAX)
		return xdrv_err(err, -EBADMSG, "answer of %zu bytes, more than %u", plen,
				BOOT_ANSWER_MAX);
	if (len != HDR_LEN + plen)
		return xdrv_err(err, -EBADMSG, "answer of %zu bytes where its frame says %zu",
				len - HDR_LEN, plen);
	if (plen == 0 || msg[HDR_LEN + plen - 1] != 0)
		return xdrv_err(err, -EBADMSG, "answer fields do not end in a NUL");
	a->kind = (char)msg[2];
	memcpy(a->buf, msg + HDR_LEN, plen);
	for (size_t off = 0; off < plen; off += strlen(a->buf + off) + 1) {
		if (a->nfields == BOOT_ANSWER_FIELDS)
			return xdrv_err(err, -EBADMSG, "answer with more than %u fields",
					BOOT_ANSWER_FIELDS);
		a->field[a->nfields++] = a->buf + off;
	}
	return 0;
}

/* Milliseconds left until `deadline` (ns), 0 when it has passed. */
static int left_ms(uint64_t deadline)
{
	uint64_t now = xdrv_now_ns();
	if (now >= deadline)
		return 0;
	uint64_t ms = (deadline - now + 999999u) / 1000000u;
	return ms > 1000000000u ? 1000000000 : (int)ms;
}

int boot_child_recv(struct boot_child *c, uint32_t timeout_ms, struct boot_answer *a, char **err)
{
	uint8_t msg[HDR_LEN + BOOT_ANSWER_MAX];
	size_t have = 0, want = HDR_LEN;
	int eof = 0, ended = 0, rc = 0;
	uint64_t deadline = xdrv_now_ns() + (uint64_t)timeout_ms * 1000000u;
	sigset_t block, old;
	sigemptyset(&block);
	for (size_t i = 0; i < NSTOP; i++)
		sigaddset(&block, stop_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (;;) {
		if (stop_signo) {
			rc = -EINTR;
			break;
		}
		if (have == want && want > HDR_LEN)
			break; /* a whole answer */
		if (ended && eof) {
			rc = -EPIPE;
			break;
		}
		int ms = left_ms(deadline);
		if (ms == 0) {
			rc = -ETIMEDOUT;
			break;
		}
		struct pollfd p[2] = {{.fd = eof ? -1 : c->answers, .events = POLLIN},
				      {.fd = ended ? -1 : c->pidfd, .events = POLLIN}};
		if (eof && c->pidfd < 0) {
			/* no pidfd: the pipe closed, the child exits (or has closed it and lives
			 * on: then this waits, which a kernel with pidfds avoids) */
			int st;
			while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
				;
			c->status = st;
			c->reaped = 1;
			ended = 1;
			continue;
		}
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
		int n = ppoll(p, 2, &ts, &old);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = xdrv_err(err, -errno, "waiting for the driver's process: %s",
				      strerror(errno));
			break;
		}
		if (p[1].revents)
			ended = 1; /* the process is gone: read what it left in the pipe */
		if (p[0].revents) {
			ssize_t r = read(c->answers, msg + have, want - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				eof = 1;
				continue;
			}
			have += (size_t)r;
			if (have == HDR_LEN) {
				size_t plen = 0;
				for (int i = 0; i < 4; i++)
					plen |= (size_t)msg[4 + i] << (8 * i);
				if (plen > BOOT_ANSWER_MAX || plen == 0) {
					rc = boot_answer_parse(msg, have, a, err);
					if (!rc)
						rc = xdrv_err(err, -EBADMSG, "empty answer");
					break;
				}
				want = HDR_LEN + plen;
			}
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!rc)
		rc = boot_answer_parse(msg, have, a, err);
	return rc;
}

const char *boot_child_end(struct boot_child *c, char *how, size_t n)
{
	if (c->pid > 0 && !c->reaped) {
		int st = 0;
		pid_t r;
		while ((r = waitpid(c->pid, &st, WNOHANG)) < 0 && errno == EINTR)
			;
		if (r == 0) { /* still running: the boot has what it needs, or gave up on it */
			kill(c->pid, SIGKILL);
			while ((r = waitpid(c->pid, &st, 0)) < 0 && errno == EINTR)
				;
		}
		c->status = st;
		c->reaped = r == c->pid;
	}
	close_fd(&c->answers);
	close_fd(&c->go);
	close_fd(&c->pidfd);
	char sig[32];
	if (!how || !n)
		return how;
	if (!c->reaped)
		snprintf(how, n, "not started");
	else if (WIFSIGNALED(c->status))
		snprintf(how, n, "signal %s",
			 boot_signal_name(WTERMSIG(c->status), sig, sizeof sig));
	else
		snprintf(how, n, "exit status %d", WEXITSTATUS(c->status));
	return how;
}
