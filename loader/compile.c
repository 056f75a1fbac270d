// SPDX-License-Identifier: MIT
/*
 * The compiler process (issue 12, "driver domains"): the supervisor never parses bitcode.
 *
 *   supervisor (this process)                 compiler process (fork, confined)
 *   1. signature   2. archive + manifest
 *   object cache: key, lookup ---- hit ----> (none: the cached object is the result)
 *        | miss
 *        +-- fork --------------------------> steps 1-6 of image.c, eager, on the same bytes:
 *                                             parse, verify, lint, specialize, optimize, emit
 *   read one framed answer  <----- pipe ----- the object (or rc + message), then _exit
 *   (watchdog, caps)
 *   SHA-256 of the object, store it in the cache
 *
 * The driver host later links the object (ldr_image_load_compiled): the cache-hit path of
 * image.c, no bitcode. What the compiler process says is parsed as hostile: LLVM ran on bytes
 * a vendor signed, and a bug of its reader may have let those bytes take it over. So the answer
 * is one frame with fixed-size fields and a capped payload, nothing after it, and a process that
 * dies, hangs, or answers anything else is an error naming what happened, never a crash here.
 */
#define _GNU_SOURCE 1
#include "ldr_jit.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xdrv/runtime.h"
#include "xdrv/sandbox.h"
#include "xdrv/util.h"

#if defined(__SANITIZE_ADDRESS__)
#define LDR_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) ||                         \
	__has_feature(thread_sanitizer)
#define LDR_SANITIZER_BUILD 1
#endif
#endif
#ifndef LDR_SANITIZER_BUILD
#define LDR_SANITIZER_BUILD 0
#endif

struct ldr_compiled {
	char *label;
	struct sdk_manifest manifest;
	int sig_checked;
	struct sig_info sig;
	uint64_t *param_values;
	size_t nparams;
	uint8_t *obj;
	size_t obj_len;
	uint8_t digest[32]; /* SHA-256(0^32 || SHA-256(obj)), as ldr_image_object_digest */
	uint32_t functions;
	uint32_t generation; /* of swappable code: 0 the load's, N a later one (gen.c) */
	const char *cache_state;
	struct ldr_timings t;
	/* lazy mode: obj is the globals object; the compiler process stays, serving the driver
	 * hosts' requests for functions on session_fd (lazy_remote.c) until freed */
	int lazy;
	pid_t lazy_pid;
	int session_fd;
};

/* ---- the answer on the pipe --------------------------------------------------------------------
 * One frame, little-endian: magic "XDRVCOB1", kind (u32: 1 the object, 2 a failure), rc (i32, a
 * failure's -errno), functions (u32), reserved (u32, 0), payload length (u64), parse_ns and
 * opt_ns (u64, information), then the payload: the object (1 byte .. LDR_CACHE_ENTRY_MAX) or
 * the failure's text (1 .. LDR_COMPILE_ERR_MAX bytes, no NUL). Nothing may follow it.
 */
#define ANS_HDR	    48u
#define ANS_OBJECT  1u
#define ANS_FAILURE 2u

static const uint8_t ans_magic[8] = {'X', 'D', 'R', 'V', 'C', 'O', 'B', '1'};

struct answer {
	uint32_t kind;
	int32_t rc;
	uint32_t functions;
	uint64_t len, parse_ns, opt_ns;
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Parse a header; *err names the defect. */
static int answer_parse(const uint8_t *h, struct answer *a, char **err)
{
	if (memcmp(h, ans_magic, sizeof ans_magic) != 0)
		return xdrv_err(err, -EBADMSG, "not an answer frame");
	a->kind = (uint32_t)get_le(h + 8, 4);
	a->rc = (int32_t)(uint32_t)get_le(h + 12, 4);
	a->functions = (uint32_t)get_le(h + 16, 4);
	a->len = get_le(h + 24, 8);
	a->parse_ns = get_le(h + 32, 8);
	a->opt_ns = get_le(h + 40, 8);
	if (get_le(h + 20, 4) != 0)
		return xdrv_err(err, -EBADMSG, "reserved field not zero");
	if (a->kind == ANS_OBJECT) {
		if (a->len == 0 || a->len > LDR_CACHE_ENTRY_MAX)
			return xdrv_err(err, -EBADMSG, "an object of %llu bytes (1 to %u allowed)",
					(unsigned long long)a->len, LDR_CACHE_ENTRY_MAX);
		if (a->rc != 0)
			return xdrv_err(err, -EBADMSG, "an object with rc %d", a->rc);
	} else if (a->kind == ANS_FAILURE) {
		if (a->len == 0 || a->len > LDR_COMPILE_ERR_MAX)
			return xdrv_err(err, -EBADMSG, "a message of %llu bytes (1 to %u allowed)",
					(unsigned long long)a->len, LDR_COMPILE_ERR_MAX);
		if (a->rc >= 0 || a->rc < -4095)
			return xdrv_err(err, -EBADMSG, "a failure with rc %d", a->rc);
	} else {
		return xdrv_err(err, -EBADMSG, "answer of kind %u", a->kind);
	}
	return 0;
}

/* ---- the compiler process ---------------------------------------------------------------------
 */

/* The compiler process confines itself, before it reads a byte of the package: it dies with the
 * supervisor, gains no privileges, keeps no file but its pipe (moved to fd 3) and 0-2, dumps no
 * core, and gets CPU-time, address-space and open-file limits. Crash signals get their default
 * action (a sanitizer's handler would turn SIGSEGV into an exit status), stop signals too.
 * Then the sandbox (xdrv/sandbox.h, profile XDRV_SANDBOX_COMPILER): namespaces and the seccomp
 * allow-list, so LLVM, whatever the bitcode makes it do, can open, execute, fork or connect
 * nothing.
 * Returns the pipe's fd, or negative: the process cannot be confined and must not compile. */
static int compiler_confine(const struct ldr_ctx *ctx, int fd, int *sfd, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		return -ESRCH;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	static const int dfl[] = {SIGSEGV, SIGBUS,  SIGILL, SIGFPE,  SIGABRT, SIGTRAP,
				  SIGXCPU, SIGPIPE, SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < sizeof dfl / sizeof dfl[0]; i++) {
		struct sigaction sa;
		if (sigaction(dfl[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN &&
		    (dfl[i] == SIGINT || dfl[i] == SIGTERM || dfl[i] == SIGHUP))
			continue; /* ignored by whoever started the supervisor: left so */
		signal(dfl[i], SIG_DFL);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (fd != 3) {
		if (dup2(fd, 3) != 3)
			return -errno;
		fd = 3;
	}
	/* lazy mode: the session to the driver hosts, as fd 4 */
	if (*sfd >= 0 && *sfd != 4) {
		if (dup2(*sfd, 4) != 4)
			return -errno;
		*sfd = 4;
	}
	unsigned first = *sfd >= 0 ? 5u : 4u;
	if (syscall(SYS_close_range, first, ~0u, 0u) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long i = first; i < (max > 0 && max < 65536 ? max : 65536); i++)
			close((int)i);
	}
	struct rlimit core = {0, 0}, nofile = {64, 64};
	if (setrlimit(RLIMIT_CORE, &core) != 0 || setrlimit(RLIMIT_NOFILE, &nofile) != 0)
		return -errno;
	uint32_t ms = ctx->cfg.compile_timeout_ms ? ctx->cfg.compile_timeout_ms
						  : LDR_COMPILE_TIMEOUT_DEFAULT_MS;
	struct rlimit cpu = {ms / 1000u + 2u, ms / 1000u + 4u};
	if (setrlimit(RLIMIT_CPU, &cpu) != 0)
		return -errno;
	if (!LDR_SANITIZER_BUILD) {
		/* a sanitizer reserves terabytes of shadow: no address-space limit there */
		uint64_t add = ctx->cfg.compile_mem_bytes ? ctx->cfg.compile_mem_bytes
							  : LDR_COMPILE_MEM_DEFAULT;
		unsigned long pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");
		if (f) {
			if (fscanf(f, "%lu", &pages) != 1)
				pages = 0;
			fclose(f);
		}
		uint64_t now = (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
		struct rlimit as = {(rlim_t)(now + add), (rlim_t)(now + add)};
		if (setrlimit(RLIMIT_AS, &as) != 0)
			return -errno;
	}
	/* last, the seccomp allow-list (and namespaces): LLVM needs nothing but memory from
	 * here on. A build without libseccomp (a cross build) has only the limits above. */
	if (xdrv_sandbox_available()) {
		const int keep[2] = {fd, *sfd};
		struct xdrv_sandbox_cfg sc = {.profile = XDRV_SANDBOX_COMPILER,
					      .keep_fds = keep,
					      .nkeep = *sfd >= 0 ? 2 : 1,
					      .namespaces = true};
		if (xdrv_sandbox_enter(&sc, NULL, NULL) != 0)
			return -EPERM;
	}
	return fd;
}

static _Noreturn void compiler_answer_failure(int fd, int rc, const char *msg)
{
	uint8_t h[ANS_HDR] = {0};
	size_t n = strlen(msg ? msg : "");
	if (!n) {
		msg = "failed";
		n = strlen(msg);
	}
	if (n > LDR_COMPILE_ERR_MAX)
		n = LDR_COMPILE_ERR_MAX;
	if (rc >= 0 || rc < -4095)
		rc = -EIO;
	memcpy(h, ans_magic, sizeof ans_magic);
	put_le(h + 8, ANS_FAILURE, 4);
	put_le(h + 12, (uint32_t)rc, 4);
	put_le(h + 24, n, 8);
	if (xdrv_write_all(fd, h, sizeof h) == 0)
		xdrv_write_all(fd, msg, n);
	_exit(0);
}

/* In the compiler process: compile the package as an eager in-process load would (the same
 * bytes, the same pipeline, the same checks), send the object emitted, and end without running
 * atexit handlers (nothing of the supervisor's may run twice, no leak check of a fork). */
static _Noreturn void compiler_main(struct ldr_ctx *ctx, int fd, int sfd, pid_t parent,
				    const uint8_t *pkg, size_t len, const char *label,
				    const struct ldr_param_value *pv, size_t npv)
{
	char *e = NULL;
	struct ldr_image *img = NULL;
	bool lazy = ctx->cfg.jit_mode == LDR_JIT_LAZY;
	fd = compiler_confine(ctx, fd, &sfd, parent);
	if (fd < 0) {
		if (fd == -ESRCH)
			_exit(1); /* the supervisor is gone */
		_exit(2);
	}
	if (ctx->compile_test_sleep_ms) {
		struct timespec ts = {ctx->compile_test_sleep_ms / 1000u,
				      (long)(ctx->compile_test_sleep_ms % 1000u) * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	if (ctx->compile_test_reply) {
		xdrv_write_all(fd, ctx->compile_test_reply, ctx->compile_test_reply_len);
		_exit(0);
	}
	/* the supervisor looked the cache up; the key is no business of this process */
	ldr_ctx_drop_cache(ctx);
	ctx->cfg.extract_dir = NULL; /* nothing written to disk */
	ctx->capture_objects = 1;
	if (lazy) {
		/* the loader's own thunks, whose resolver a driver host replaces with a request
		 * to this process; every object emitted is kept for it */
		ctx->lazy_thunks_always = 1;
		ctx->capture_all = 1;
	}
	int rc = ldr_image_load_buf(ctx, pkg, len, label, pv, npv, &img, &e);
	if (rc)
		compiler_answer_failure(fd, rc, e);
	if (lazy) {
		/* the globals object (globals, thunks, descriptor) now; functions on request */
		struct ldr_obj_buf *objs = NULL;
		size_t n = 0;
		ldr_jit_take_captured(ctx, &objs, &n);
		if (n != 1)
			compiler_answer_failure(
				fd, -ENOTSUP,
				"package: lazy mode emitted no single globals object");
		free(img->obj_copy);
		img->obj_copy = objs[0].p;
		img->obj_len = objs[0].n;
		img->nobjects = 1;
		free(objs);
	}
	if (img->nobjects != 1 || !img->obj_copy || !img->obj_len)
		compiler_answer_failure(fd, -ENOTSUP,
					"package: the compiler emitted no single object");
	if (img->obj_len > LDR_CACHE_ENTRY_MAX)
		compiler_answer_failure(fd, -EFBIG, "package: the object is larger than 64 MiB");
	uint8_t h[ANS_HDR] = {0};
	memcpy(h, ans_magic, sizeof ans_magic);
	put_le(h + 8, ANS_OBJECT, 4);
	put_le(h + 16, img->total, 4);
	put_le(h + 24, img->obj_len, 8);
	put_le(h + 32, img->t.parse_ns, 8);
	put_le(h + 40, img->t.opt_ns, 8);
	if (xdrv_write_all(fd, h, sizeof h) || xdrv_write_all(fd, img->obj_copy, img->obj_len))
		_exit(1);
	if (lazy) {
		close(fd); /* the supervisor has its answer; the driver hosts ask on the session */
		_exit(ldr_lazy_serve(img, sfd) == 0 ? 0 : 1);
	}
	_exit(0);
}

/* ---- the supervisor's side --------------------------------------------------------------------
 */
static const char *signal_cause(int sig)
{
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGABRT:
	case SIGTRAP:
		return "LLVM crashed on the package's bitcode";
	case SIGXCPU:
		return "over its CPU time limit";
	case SIGKILL:
		return "killed: out of memory, or its CPU time's hard limit";
	default:
		return "killed by a signal";
	}
}

static const char *sig_name(int sig, char *buf, size_t n)
{
	const char *a = sigabbrev_np(sig);
	if (a)
		snprintf(buf, n, "SIG%s", a);
	else
		snprintf(buf, n, "signal %d", sig);
	return buf;
}

static int left_ms(uint64_t deadline)
{
	uint64_t now = xdrv_now_ns();
	if (now >= deadline)
		return 0;
	uint64_t ms = (deadline - now + 999999u) / 1000000u;
	return ms > 1000000000u ? 1000000000 : (int)ms;
}

struct reply {
	struct answer a;
	uint8_t *payload; /* a.len bytes, malloc'd */
	pid_t lazy_pid;	  /* lazy: the compiler process, serving session_fd */
	int session_fd;	  /* -1: none */
};

/* Run the compiler process on pkg and read its answer. 0 and *r (an object or a failure), or
 * negative with *err saying what happened to the process. */
static int run_compiler(struct ldr_ctx *ctx, const uint8_t *pkg, size_t len, const char *label,
			const struct ldr_param_value *pv, size_t npv, struct reply *r, char **err)
{
	int p[2], s[2] = {-1, -1};
	bool lazy = ctx->cfg.jit_mode == LDR_JIT_LAZY;
	memset(r, 0, sizeof *r);
	r->session_fd = -1;
	if (lazy && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) != 0)
		return xdrv_err(err, -errno, "socketpair: %s", strerror(errno));
	uint32_t timeout = ctx->cfg.compile_timeout_ms ? ctx->cfg.compile_timeout_ms
						       : LDR_COMPILE_TIMEOUT_DEFAULT_MS;
	if (pipe2(p, O_CLOEXEC) != 0) {
		int e = errno;
		if (lazy) {
			close(s[0]);
			close(s[1]);
		}
		return xdrv_err(err, -e, "pipe: %s", strerror(e));
	}
	pid_t parent = getpid();
	fflush(NULL); /* nothing buffered may be written twice */
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		if (lazy) {
			close(s[0]);
			close(s[1]);
		}
		return xdrv_err(err, -e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(p[0]);
		if (lazy)
			close(s[0]);
		compiler_main(ctx, p[1], s[1], parent, pkg, len, label, pv, npv);
	}
	ctx->compile_forks++;
	close(p[1]);
	if (lazy)
		close(s[1]);
	int fd = p[0];
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	uint64_t deadline = xdrv_now_ns() + (uint64_t)timeout * 1000000u;
	uint8_t hdr[ANS_HDR];
	size_t have = 0; /* bytes of header + payload read */
	int eof = 0, exited = 0, status = 0, rc = 0, timed_out = 0;
	char *why = NULL;
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* lazy: the process stays after its answer (it closes the pipe), serving the session */
	while (!(eof && (exited || lazy))) {
		int ms = left_ms(deadline);
		if (ms == 0) {
			timed_out = 1;
			break;
		}
		if (pidfd < 0 && ms > 10)
			ms = 10; /* no pidfd: look at the process with waitpid every 10 ms */
		struct pollfd pf[2] = {{.fd = eof ? -1 : fd, .events = POLLIN},
				       {.fd = exited ? -1 : pidfd, .events = POLLIN}};
		struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
		int n = ppoll(pf, 2, &ts, &old);
		if (n < 0 && errno == EINTR) {
			rc = xdrv_err(&why, -EINTR, "interrupted by a signal");
			break;
		}
		if (n < 0) {
			rc = xdrv_err(&why, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (!exited && (pidfd < 0 || pf[1].revents)) {
			pid_t w;
			while ((w = waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR)
				;
			exited = w == pid;
		}
		if (eof || !(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		/* the header, then exactly the payload it announced, then the end */
		uint8_t sink[256];
		uint8_t *dst;
		size_t want;
		if (have < ANS_HDR) {
			dst = hdr + have;
			want = ANS_HDR - have;
		} else if (have < ANS_HDR + r->a.len) {
			dst = r->payload + (have - ANS_HDR);
			want = (size_t)(ANS_HDR + r->a.len - have);
		} else {
			dst = sink; /* anything here is too much */
			want = sizeof sink;
		}
		ssize_t got = read(fd, dst, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			eof = 1;
			continue;
		}
		if (dst == sink) {
			rc = xdrv_err(&why, -EBADMSG, "bytes after its answer");
			break;
		}
		have += (size_t)got;
		if (have == ANS_HDR) {
			rc = answer_parse(hdr, &r->a, &why);
			if (rc)
				break;
			if (!(r->payload = malloc((size_t)r->a.len))) {
				rc = xdrv_err(&why, -ENOMEM, "out of memory");
				break;
			}
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	bool serving = lazy && !exited && !timed_out && rc == 0 && have >= ANS_HDR &&
		       have == ANS_HDR + r->a.len && r->a.kind == ANS_OBJECT;
	if (!exited && !serving) {
		/* hung, broke the protocol, or we were interrupted: it ends now */
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(fd);
	if (pidfd >= 0)
		close(pidfd);
	char sn[32];
	if (timed_out) {
		rc = xdrv_err(err, -ETIMEDOUT,
			      "compiler process for %s did not answer within %u ms; killed", label,
			      timeout);
	} else if (rc == -EINTR) {
		rc = xdrv_err(err, rc, "compiler process for %s: %s; killed", label, why);
	} else if (rc) {
		rc = xdrv_err(err, rc,
			      "compiler process for %s sent a malformed answer (%s); killed, "
			      "nothing of it was loaded",
			      label, why ? why : "?");
	} else if (serving) {
		r->lazy_pid = pid; /* alive: the driver hosts' compiler from here on */
		r->session_fd = s[0];
		s[0] = -1;
	} else if (WIFSIGNALED(status)) {
		rc = xdrv_err(err, -ECHILD,
			      "compiler process for %s died: %s (%s); nothing of it was loaded",
			      label, sig_name(WTERMSIG(status), sn, sizeof sn),
			      signal_cause(WTERMSIG(status)));
	} else if (WEXITSTATUS(status) != 0) {
		rc = xdrv_err(err, -ECHILD,
			      "compiler process for %s ended with exit status %d%s; nothing of it "
			      "was loaded",
			      label, WEXITSTATUS(status),
			      WEXITSTATUS(status) == 2 ? " (it could not confine itself)" : "");
	} else if (have < ANS_HDR || have != ANS_HDR + r->a.len) {
		rc = xdrv_err(
			err, -EBADMSG,
			"compiler process for %s ended after %zu bytes of its answer; nothing "
			"of it was loaded",
			label, have);
	}
	free(why);
	if (s[0] >= 0)
		close(s[0]);
	if (rc) {
		free(r->payload);
		r->payload = NULL;
	}
	return rc;
}

/* ---- steps 1-2 and the cache, in the supervisor ----------------------------------------------
 * As image.c's ldr_image_load_buf does them (the compiler process does them again on its copy
 * of the same bytes, before it parses anything). */
static void object_digest(const uint8_t *obj, size_t len, uint8_t out[32])
{
	uint8_t cat[64];
	unsigned int dl = 32;
	memset(cat, 0, 32);
	if (!EVP_Digest(obj, len, cat + 32, &dl, EVP_sha256(), NULL) ||
	    !EVP_Digest(cat, sizeof cat, out, &dl, EVP_sha256(), NULL))
		memset(out, 0, 32);
}

int ldr_package_compile_mem(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
			    const struct ldr_param_value *pv, size_t npv, struct ldr_compiled **out,
			    char **err)
{
	return ldr_package_compile_gen(ctx, buf, len, label, pv, npv, NULL, out, err);
}

int ldr_package_compile_gen(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
			    const struct ldr_param_value *pv, size_t npv,
			    const struct ldr_gen_job *job, struct ldr_compiled **out, char **err)
{
	struct sdk_package pkg;
	struct ldr_cache_key ck = {0};
	struct reply r = {.session_fd = -1};
	char *e = NULL;
	size_t payload_len = 0;
	int rc;
	memset(&pkg, 0, sizeof pkg);
	*out = NULL;
	if (!label)
		label = "(buffer)";
	if (ctx->cfg.tier == LDR_TIER_AUTO)
		return xdrv_err(err, -ENOTSUP,
				"package %s: a context in tier auto compiles in process only "
				"(across processes: generation 0 at O0, swappable, then "
				"ldr_gen_tier2)",
				label);
	struct ldr_compiled *c = calloc(1, sizeof *c);
	if (!c || !(c->label = strdup(label))) {
		rc = xdrv_err(&e, -ENOMEM, "out of memory");
		goto out;
	}
	c->cache_state = "off";
	c->session_fd = -1;
	c->lazy = ctx->cfg.jit_mode == LDR_JIT_LAZY;
	if ((job || ctx->cfg.swappable) && c->lazy) {
		rc = xdrv_err(&e, -ENOTSUP, "swappable code is compiled eagerly, not lazily");
		goto out;
	}
	uint64_t t0 = xdrv_now_ns();
	/* 1. the signature, before anything looks at the payload */
	rc = sig_trailer_parse(buf, len, &payload_len, NULL, NULL, &e);
	if (rc == -ENODATA) {
		free(e);
		e = NULL;
		if (!ctx->cfg.allow_unsigned) {
			rc = xdrv_err(&e, -EPERM, "unsigned, and this host requires signatures");
			goto out;
		}
		payload_len = len;
	} else if (rc) {
		xdrv_err_prefix(&e, "signature");
		goto out;
	} else if (ctx->trust) {
		rc = sig_verify(ctx->trust, buf, len, &c->sig, &e);
		if (rc) {
			xdrv_err_prefix(&e, "signature");
			goto out;
		}
		payload_len = c->sig.payload_len;
		c->sig_checked = 1;
	}
	uint64_t t1 = xdrv_now_ns();
	c->t.verify_ns = t1 - t0;
	/* 2. archive and manifest (no bitcode parsed: its member is only hashed) */
	struct sdk_caps caps;
	ldr_caps_from(&ctx->cfg, &caps);
	rc = sdk_package_read(buf, payload_len, &caps, NULL, &pkg, &e);
	if (rc)
		goto out;
	uint64_t t2 = xdrv_now_ns();
	c->t.extract_ns = t2 - t1;
	const struct sdk_manifest *m = &pkg.manifest;
	c->nparams = m->desc.nparams;
	if (!(c->param_values = calloc(c->nparams ? c->nparams : 1, sizeof *c->param_values))) {
		rc = xdrv_err(&e, -ENOMEM, "out of memory");
		goto out;
	}
	rc = ldr_param_values(&m->desc, pv, npv, c->param_values, &e);
	if (rc)
		goto out;
	if (job) { /* the generation's values (the load's specialize the split's bitcode) */
		if (job->generation == 0 || job->nvalues != c->nparams) {
			rc = xdrv_err(&e, -EINVAL, "generation %u: %zu values for %zu parameters",
				      job->generation, job->nvalues, c->nparams);
			goto out;
		}
		if (c->nparams)
			memcpy(c->param_values, job->values, c->nparams * sizeof *c->param_values);
		c->generation = job->generation;
	}

	/* the object cache: a hit needs no compiler process (lazy mode: not cached, each
	 * function is compiled when a driver host first calls it) */
	/* generation 0 of swappable code (a served boot, a driver domain with a control socket)
	 * is cached under a key of its own (cache.c: "code swappable"): its object carries the
	 * slots, which the driver's process finds in it (ldr_tier_adopt), and nothing else; a
	 * later generation is never cached (its values and patches are the moment's) */
	if (ctx->cache && !c->lazy && !job) {
		char hex[65];
		if (c->sig_checked) {
			memcpy(hex, c->sig.digest_hex, sizeof hex);
		} else {
			uint8_t d[32];
			unsigned int dl = 32;
			if (!EVP_Digest(buf, payload_len, d, &dl, EVP_sha256(), NULL))
				memset(d, 0, sizeof d);
			xdrv_hex(d, 32, hex);
		}
		if (ldr_cache_key_make(ctx, hex, m, c->param_values, &ck, NULL) == 0) {
			struct ldr_cache_hit hit;
			char *why = NULL;
			int gr = ldr_cache_get(ctx->cache, &ck, &hit, &why);
			if (gr == 0) {
				c->cache_state = "hit";
				c->obj = hit.obj;
				c->obj_len = hit.obj_len;
				c->functions = hit.functions;
				hit.obj = NULL;
			} else if (gr == -EBADMSG) {
				c->cache_state = "rejected";
				fprintf(stderr,
					"xdrv loader: object cache: entry %s.xoc (%s) failed "
					"authentication: %s; recompiled\n",
					ck.hex, label, why ? why : "?");
			} else {
				c->cache_state = "miss";
				if (gr != -ENOENT)
					fprintf(stderr,
						"xdrv loader: object cache: entry %s.xoc: %s\n",
						ck.hex, why ? why : "?");
			}
			ldr_cache_hit_free(&hit);
			free(why);
		}
	}
	uint64_t t3 = xdrv_now_ns();
	c->t.cache_ns = t3 - t2;

	if (!c->obj) {
		/* 3-6 in the compiler process */
		ctx->gen_job = job; /* seen by the fork */
		rc = run_compiler(ctx, buf, len, label, pv, npv, &r, &e);
		ctx->gen_job = NULL;
		uint64_t t4 = xdrv_now_ns();
		c->t.jit_ns = t4 - t3;
		if (rc)
			goto out;
		if (r.a.kind == ANS_FAILURE) {
			/* its message, as text from outside: one line, escaped, bounded */
			char raw[LDR_COMPILE_ERR_MAX + 1], shown[LDR_COMPILE_ERR_MAX + 16];
			memcpy(raw, r.payload, (size_t)r.a.len);
			raw[r.a.len] = 0;
			const char *pfx = NULL;
			size_t pl = strlen("package ") + strlen(label) + 2;
			/* it says "package LABEL: ..." as an in-process load would: not twice */
			if (strncmp(raw, "package ", 8) == 0 &&
			    strncmp(raw + 8, label, strlen(label)) == 0 &&
			    strncmp(raw + pl - 2, ": ", 2) == 0)
				pfx = raw + pl;
			xdrv_escape_text(pfx ? pfx : raw, shown, sizeof shown);
			rc = xdrv_err(&e, r.a.rc, "%s", shown);
			goto out;
		}
		c->obj = r.payload;
		c->obj_len = (size_t)r.a.len;
		r.payload = NULL;
		c->lazy_pid = r.lazy_pid;
		c->session_fd = r.session_fd;
		r.lazy_pid = 0;
		r.session_fd = -1;
		c->functions = r.a.functions;
		c->t.parse_ns = r.a.parse_ns < c->t.jit_ns ? r.a.parse_ns : c->t.jit_ns;
		c->t.opt_ns = r.a.opt_ns < c->t.jit_ns ? r.a.opt_ns : c->t.jit_ns;
		if (ck.text) {
			char *se = NULL;
			int pr = ldr_cache_put(ctx->cache, &ck, m->name, m->version, c->functions,
					       c->obj, c->obj_len, &se);
			if (pr)
				fprintf(stderr, "xdrv loader: object cache: %s not stored: %s\n",
					label, se ? se : "failed");
			free(se);
			c->t.cache_ns += xdrv_now_ns() - t4;
		}
	}
	/* the digest of what this process holds, computed here */
	object_digest(c->obj, c->obj_len, c->digest);
	c->manifest = pkg.manifest; /* moved */
	memset(&pkg.manifest, 0, sizeof pkg.manifest);
	c->t.total_ns = xdrv_now_ns() - t0;
	*out = c;
	c = NULL;
	rc = 0;
out:
	free(r.payload);
	if (r.lazy_pid > 0) { /* a failure answer after all */
		kill(r.lazy_pid, SIGKILL);
		while (waitpid(r.lazy_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (r.session_fd >= 0)
		close(r.session_fd);
	ldr_cache_key_free(&ck);
	sdk_package_free(&pkg);
	ldr_compiled_free(c);
	if (rc) {
		xdrv_err_prefix(&e, "package %s", label);
		return ldr_fail(ctx, rc, e, err);
	}
	ldr_ctx_set_error(ctx, NULL);
	return 0;
}

int ldr_package_compile(struct ldr_ctx *ctx, const char *path, const struct ldr_param_value *pv,
			size_t npv, struct ldr_compiled **out, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	*out = NULL;
	int rc = ldr_package_read(ctx, path, &buf, &len, err);
	if (rc)
		return rc;
	rc = ldr_package_compile_mem(ctx, buf, len, ldr_package_base(path), pv, npv, out, err);
	free(buf);
	return rc;
}

/* ---- the record -------------------------------------------------------------------------------
 */
const uint8_t *ldr_compiled_object(const struct ldr_compiled *c, size_t *len)
{
	*len = c ? c->obj_len : 0;
	return c ? c->obj : NULL;
}

void ldr_compiled_sha256(const struct ldr_compiled *c, uint8_t out[32])
{
	if (c)
		memcpy(out, c->digest, 32);
	else
		memset(out, 0, 32);
}

const char *ldr_compiled_cache_state(const struct ldr_compiled *c)
{
	return c && c->cache_state ? c->cache_state : "off";
}

void ldr_compiled_timings(const struct ldr_compiled *c, struct ldr_timings *t)
{
	if (c)
		*t = c->t;
	else
		memset(t, 0, sizeof *t);
}

const struct sdk_manifest *ldr_compiled_manifest(const struct ldr_compiled *c)
{
	return c ? &c->manifest : NULL;
}

const uint64_t *ldr_compiled_param_values(const struct ldr_compiled *c, size_t *n)
{
	*n = c ? c->nparams : 0;
	return c ? c->param_values : NULL;
}

uint32_t ldr_compiled_functions(const struct ldr_compiled *c)
{
	return c ? c->functions : 0;
}

const struct sig_info *ldr_compiled_signature(const struct ldr_compiled *c)
{
	return c && c->sig_checked ? &c->sig : NULL;
}

int ldr_compiled_session_fd(const struct ldr_compiled *c)
{
	return c && c->lazy ? c->session_fd : -1;
}

void ldr_compiled_free(struct ldr_compiled *c)
{
	if (!c)
		return;
	if (c->lazy_pid > 0 && getpid() != c->lazy_pid) {
		/* the lazy compiler process serves nobody after this */
		kill(c->lazy_pid, SIGKILL);
		while (waitpid(c->lazy_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (c->session_fd >= 0)
		close(c->session_fd);
	sdk_manifest_free(&c->manifest);
	free(c->param_values);
	free(c->obj);
	free(c->label);
	free(c);
}

/* ---- the driver host's side -------------------------------------------------------------------
 */
/* A deep copy of a manifest: written and parsed again (the parser validates what it copies). */
static int manifest_copy(const struct sdk_manifest *from, struct sdk_manifest *to, char **err)
{
	char *json = NULL;
	size_t n = 0;
	int rc = sdk_manifest_write(from, &json, &n, err);
	if (!rc)
		rc = sdk_manifest_parse(json, n, to, err);
	free(json);
	return rc;
}

int ldr_image_load_compiled(struct ldr_ctx *ctx, const struct ldr_compiled *c,
			    struct ldr_image **out, char **err)
{
	return ldr_compiled_link(ctx, c, 0, out, err);
}

int ldr_compiled_link(struct ldr_ctx *ctx, const struct ldr_compiled *c, int is_ext,
		      struct ldr_image **out, char **err)
{
	char *e = NULL;
	int rc = 0;
	*out = NULL;
	struct ldr_image *img = calloc(1, sizeof *img);
	if (!img) {
		rc = xdrv_err(&e, -ENOMEM, "out of memory");
		goto out;
	}
	uint64_t t0 = xdrv_now_ns();
	img->ctx = ctx;
	img->id = ++ctx->next_id;
	img->mode = c->lazy ? LDR_JIT_LAZY : LDR_JIT_EAGER;
	img->cache_state = c->cache_state;
	img->abi_version = c->manifest.abi_version;
	img->label = strdup(c->label);
	img->name = strdup(c->manifest.name ? c->manifest.name : c->label);
	img->nparams = c->nparams;
	img->param_values = calloc(img->nparams ? img->nparams : 1, sizeof *img->param_values);
	if (!img->label || !img->name || !img->param_values) {
		rc = xdrv_err(&e, -ENOMEM, "out of memory");
		goto out;
	}
	if (c->nparams)
		memcpy(img->param_values, c->param_values, c->nparams * sizeof *c->param_values);
	rc = manifest_copy(&c->manifest, &img->manifest, &e);
	if (rc)
		goto out;
	img->has_manifest = 1;
	img->sig = c->sig;
	img->sig_checked = c->sig_checked;
	img->is_ext = is_ext;
	if (is_ext != (c->manifest.desc.kind == SDK_KIND_EXTENSION)) {
		rc = xdrv_err(&e, -EINVAL,
			      is_ext ? "is a driver, not an extension"
				     : "is an extension, not a driver");
		goto out;
	}
	if (is_ext && c->lazy) {
		rc = xdrv_err(&e, -EINVAL, "an extension is compiled eagerly, not lazily");
		goto out;
	}
	rc = ldr_jit_image_begin(img, &e);
	if (!rc && c->lazy) /* the thunks ask the compiler process (lazy_remote.c) */
		rc = ldr_lazy_remote_attach(img, c->session_fd, &e);
	if (!rc)
		rc = ldr_jit_add_object(img, c->obj, c->obj_len, &e);
	if (!rc) {
		/* one object, one materialization unit: the descriptor's lookup links all of it,
		 * through the transform that hashes it */
		const char *sym = is_ext ? "xdrv_extension" : "xdrv_driver";
		uint64_t addr = 0;
		ctx->obj_digest_img = img;
		rc = ldr_jit_lookup(img, &sym, 1, 0, &addr, &e);
		ctx->obj_digest_img = NULL;
		if (is_ext)
			img->ext_desc = (const void *)(uintptr_t)addr;
		else
			img->desc = (const struct xdrv_driver *)(uintptr_t)addr;
	}
	if (!rc && (img->nobjects != 1 || memcmp(img->obj_digest, c->digest, 32) != 0))
		rc = xdrv_err(&e, -EIO, "the object linked is not the one compiled");
	if (rc)
		goto out;
	if (!is_ext && !c->lazy) {
		/* generation 0 of swappable code: its slots make the image swappable here */
		rc = c->generation ? xdrv_err(&e, -EINVAL,
					      "generation %u is a swap, not a load: "
					      "ldr_image_swap_generation",
					      c->generation)
				   : ldr_tier_adopt(img, c->obj, c->obj_len, &e);
		if (rc)
			goto out;
	}
	img->total = c->functions;
	img->compiled = c->lazy ? 0 : c->functions; /* lazy: counted as the thunks resolve */
	img->t = c->t;
	img->t.jit_ns = xdrv_now_ns() - t0; /* the link */
	img->t.total_ns = c->t.total_ns + img->t.jit_ns;
	*out = img;
	img = NULL;
out:
	ldr_image_unload(img);
	if (rc) {
		xdrv_err_prefix(&e, "package %s", c->label);
		return ldr_fail(ctx, rc, e, err);
	}
	ldr_ctx_set_error(ctx, NULL);
	return 0;
}

/* ---- a compiled record handed to a running driver host ------------------------------------------
 * One buffer, little-endian: magic "XDRVCRW1", label length (u32, 1..255), manifest length (u32,
 * 1..SDK_MANIFEST_MAX), parameter count (u32, the manifest's), functions (u32), signed (u32, 0 or
 * 1), generation (u32: 0 the load's code, N a later generation of swappable code), signing time
 * (i64), payload length (u64), object length (u64, 1..LDR_CACHE_ENTRY_MAX), the object's digest
 * (32), then the signature's signer (256), issuer (256) and digest_hex (65) fields, each
 * NUL-terminated within its field (all zero when unsigned), then the label, the manifest's JSON,
 * the parameter values (u64 each) and the object. Nothing may follow. The reader parses the
 * manifest with the SDK's strict parser and computes the object's digest itself: a digest that
 * differs from the sender's is -EBADMSG.
 */
#define WIRE_HDR (8u + 6u * 4u + 3u * 8u + 32u + 256u + 256u + 65u)

static const uint8_t wire_magic[8] = {'X', 'D', 'R', 'V', 'C', 'R', 'W', '1'};

int ldr_compiled_wire_write(const struct ldr_compiled *c, uint8_t **out, size_t *len, char **err)
{
	*out = NULL;
	*len = 0;
	if (c->lazy)
		return xdrv_err(err, -EINVAL, "%s: a lazy record cannot be handed over", c->label);
	char *json = NULL;
	size_t jlen = 0;
	int rc = sdk_manifest_write(&c->manifest, &json, &jlen, err);
	if (rc)
		return rc;
	size_t llen = strlen(c->label);
	if (llen == 0 || llen > 255 || jlen == 0 || jlen > SDK_MANIFEST_MAX || c->obj_len == 0 ||
	    c->obj_len > LDR_CACHE_ENTRY_MAX || c->nparams > SDK_MAX_PARAMS) {
		free(json);
		return xdrv_err(err, -E2BIG, "%s: the record is too large to hand over", c->label);
	}
	size_t n = WIRE_HDR + llen + jlen + c->nparams * 8u + c->obj_len;
	uint8_t *b = calloc(1, n);
	if (!b) {
		free(json);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	memcpy(b, wire_magic, 8);
	put_le(b + 8, llen, 4);
	put_le(b + 12, jlen, 4);
	put_le(b + 16, c->nparams, 4);
	put_le(b + 20, c->functions, 4);
	put_le(b + 24, c->sig_checked ? 1 : 0, 4);
	put_le(b + 28, c->generation, 4);
	put_le(b + 32, (uint64_t)c->sig.signing_time, 8);
	put_le(b + 40, c->sig.payload_len, 8);
	put_le(b + 48, c->obj_len, 8);
	memcpy(b + 56, c->digest, 32);
	if (c->sig_checked) {
		snprintf((char *)b + 88, 256, "%s", c->sig.signer);
		snprintf((char *)b + 344, 256, "%s", c->sig.issuer);
		snprintf((char *)b + 600, 65, "%s", c->sig.digest_hex);
	}
	size_t off = WIRE_HDR;
	memcpy(b + off, c->label, llen);
	off += llen;
	memcpy(b + off, json, jlen);
	off += jlen;
	for (size_t i = 0; i < c->nparams; i++, off += 8)
		put_le(b + off, c->param_values[i], 8);
	memcpy(b + off, c->obj, c->obj_len);
	free(json);
	*out = b;
	*len = n;
	return 0;
}

/* A field of `cap` bytes holding a NUL-terminated printable string. */
static int wire_str(const uint8_t *p, size_t cap, char *out, const char *what, char **err)
{
	const uint8_t *nul = memchr(p, 0, cap);
	if (!nul)
		return xdrv_err(err, -EBADMSG, "record: %s is not terminated", what);
	for (const uint8_t *q = p; q < nul; q++)
		if (*q < 0x20 || *q > 0x7e)
			return xdrv_err(err, -EBADMSG, "record: %s holds byte %#x", what, *q);
	for (const uint8_t *q = nul; q < p + cap; q++)
		if (*q)
			return xdrv_err(err, -EBADMSG, "record: %s has bytes after its end", what);
	memcpy(out, p, (size_t)(nul - p) + 1);
	return 0;
}

int ldr_compiled_wire_read(const uint8_t *b, size_t n, struct ldr_compiled **out, char **err)
{
	*out = NULL;
	if (n < WIRE_HDR)
		return xdrv_err(err, -EBADMSG, "record: %zu bytes, shorter than its header", n);
	if (memcmp(b, wire_magic, 8) != 0)
		return xdrv_err(err, -EBADMSG, "record: bad magic");
	uint64_t llen = get_le(b + 8, 4), jlen = get_le(b + 12, 4), np = get_le(b + 16, 4);
	uint64_t fn = get_le(b + 20, 4), sig = get_le(b + 24, 4), olen = get_le(b + 48, 8);
	if (llen == 0 || llen > 255)
		return xdrv_err(err, -EBADMSG, "record: label of %llu bytes (1 to 255)",
				(unsigned long long)llen);
	if (jlen == 0 || jlen > SDK_MANIFEST_MAX)
		return xdrv_err(err, -EBADMSG, "record: manifest of %llu bytes (1 to %u)",
				(unsigned long long)jlen, SDK_MANIFEST_MAX);
	if (np > SDK_MAX_PARAMS)
		return xdrv_err(err, -EBADMSG, "record: %llu parameters (at most %u)",
				(unsigned long long)np, SDK_MAX_PARAMS);
	if (olen == 0 || olen > LDR_CACHE_ENTRY_MAX)
		return xdrv_err(err, -EBADMSG, "record: object of %llu bytes (1 to %u)",
				(unsigned long long)olen, LDR_CACHE_ENTRY_MAX);
	if (sig > 1)
		return xdrv_err(err, -EBADMSG, "record: signed flag %llu", (unsigned long long)sig);
	if (n != WIRE_HDR + llen + jlen + np * 8u + olen)
		return xdrv_err(err, -EBADMSG, "record: %zu bytes, its fields say %llu", n,
				(unsigned long long)(WIRE_HDR + llen + jlen + np * 8u + olen));
	struct ldr_compiled *c = calloc(1, sizeof *c);
	if (!c)
		return xdrv_err(err, -ENOMEM, "out of memory");
	c->session_fd = -1;
	c->cache_state = "off";
	c->functions = (uint32_t)fn;
	c->generation = (uint32_t)get_le(b + 28, 4);
	int rc = 0;
	if (sig) {
		c->sig_checked = 1;
		c->sig.signing_time = (int64_t)get_le(b + 32, 8);
		c->sig.payload_len = (size_t)get_le(b + 40, 8);
		rc = wire_str(b + 88, 256, c->sig.signer, "signer", err);
		if (!rc)
			rc = wire_str(b + 344, 256, c->sig.issuer, "issuer", err);
		if (!rc)
			rc = wire_str(b + 600, 65, c->sig.digest_hex, "digest", err);
		if (!rc && strlen(c->sig.digest_hex) != 64)
			rc = xdrv_err(err, -EBADMSG, "record: digest is not 64 hex digits");
		for (size_t i = 0; !rc && i < 64; i++)
			if (!strchr("0123456789abcdef", c->sig.digest_hex[i]))
				rc = xdrv_err(err, -EBADMSG, "record: digest is not 64 hex digits");
	} else {
		for (size_t i = 32; !rc && i < 56; i++)
			if (b[i])
				rc = xdrv_err(err, -EBADMSG,
					      "record: signature fields of an "
					      "unsigned record are not zero");
		for (size_t i = 88; !rc && i < WIRE_HDR; i++)
			if (b[i])
				rc = xdrv_err(err, -EBADMSG,
					      "record: signature fields of an "
					      "unsigned record are not zero");
	}
	size_t off = WIRE_HDR;
	if (!rc) {
		c->label = calloc(1, llen + 1);
		if (!c->label)
			rc = xdrv_err(err, -ENOMEM, "out of memory");
	}
	if (!rc) {
		memcpy(c->label, b + off, llen);
		for (size_t i = 0; !rc && i < llen; i++)
			if (b[off + i] < 0x20 || b[off + i] > 0x7e)
				rc = xdrv_err(err, -EBADMSG, "record: label holds byte %#x",
					      b[off + i]);
		off += llen;
	}
	if (!rc) {
		rc = sdk_manifest_parse((const char *)b + off, jlen, &c->manifest, err);
		if (rc)
			xdrv_err_prefix(err, "record");
		off += jlen;
	}
	if (!rc && np != c->manifest.desc.nparams)
		rc = xdrv_err(err, -EBADMSG, "record: %llu parameter values, the manifest has %u",
			      (unsigned long long)np, (unsigned)c->manifest.desc.nparams);
	if (!rc) {
		c->nparams = (size_t)np;
		c->param_values = calloc(np ? np : 1, sizeof *c->param_values);
		c->obj = malloc(olen);
		if (!c->param_values || !c->obj)
			rc = xdrv_err(err, -ENOMEM, "out of memory");
	}
	if (!rc) {
		for (size_t i = 0; i < np; i++, off += 8)
			c->param_values[i] = get_le(b + off, 8);
		memcpy(c->obj, b + off, olen);
		c->obj_len = (size_t)olen;
		object_digest(c->obj, c->obj_len, c->digest);
		if (memcmp(c->digest, b + 56, 32) != 0)
			rc = xdrv_err(err, -EBADMSG,
				      "record: the object's digest is not the one sent");
	}
	if (rc) {
		ldr_compiled_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

uint32_t ldr_compiled_generation(const struct ldr_compiled *c)
{
	return c ? c->generation : 0;
}

int ldr_image_swap_generation(struct ldr_image *img, const struct ldr_compiled *c, uint32_t what,
			      const char *change, struct ldr_tier_info *ti, char **err)
{
	if (c->lazy || c->generation == 0)
		return xdrv_err(err, -EINVAL, "%s: not a later generation of swappable code",
				c->label);
	struct ldr_compiled_gen g = {
		.name = c->manifest.name ? c->manifest.name : "?",
		.generation = c->generation,
		.what = what,
		.change = change ? change : "",
		.values = c->param_values,
		.nvalues = c->nparams,
		.obj = c->obj,
		.obj_len = c->obj_len,
		.compile_ns = c->t.jit_ns,
	};
	return ldr_image_swap_compiled(img, &g, ti, err);
}

int ldr_image_update(struct ldr_image **img, struct ldr_image *nimg, struct ldr_driver **drvp,
		     const struct ldr_bind_opts *opts, struct ldr_update_report *rep, char **err)
{
	const struct xdrv_driver *desc = nimg ? ldr_image_descriptor(nimg) : NULL;
	int rc = desc ? ldr_driver_update(drvp, desc, opts, 0, rep, err)
		      : xdrv_err(err, -EINVAL, "%s: no driver descriptor",
				 nimg && nimg->name ? nimg->name : "the new version");
	if (rc) {
		ldr_image_unload(nimg);
		return rc;
	}
	ldr_image_unload(*img); /* its driver is unbound: the new image's runs */
	*img = nimg;
	return 0;
}

int ldr_image_update_compiled(struct ldr_ctx *ctx, const struct ldr_compiled *c,
			      struct ldr_image **img, struct ldr_driver **drvp,
			      const struct ldr_bind_opts *opts, struct ldr_update_report *rep,
			      char **err)
{
	struct ldr_image *nimg = NULL;
	if (rep)
		memset(rep, 0, sizeof *rep);
	int rc = ldr_image_load_compiled(ctx, c, &nimg, err);
	return rc ? rc : ldr_image_update(img, nimg, drvp, opts, rep, err);
}
