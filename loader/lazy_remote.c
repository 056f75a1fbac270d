// SPDX-License-Identifier: MIT
/*
 * Lazy mode in a driver domain: each function is compiled on its first call, by the compiler
 * process, not in the driver host (which must never parse bitcode or run LLVM's optimizer: it
 * runs driver code). The compiler process (compile.c) loads the package lazily with the loader's
 * own thunks (lazy.c: a thunk F calls __xdrv_lazy_resolve(image, slot, id) while its slot is
 * empty), sends the supervisor the globals object (the globals, the thunks, the descriptor:
 * measured by the supervisor), then stays, serving requests on a SOCK_SEQPACKET session whose
 * other end the supervisor hands to each driver host:
 *
 *	driver host (thunk F, first call)          compiler process
 *	  remote_resolve(img, slot, id) -- REQ ---> lookup "F$body" in its own JIT: ORC compiles
 *	                                            F's partition; the object emitted is captured
 *	  add the objects, lookup F$body <-- ANS --- name, objects (kept: a restarted host asks
 *	  store the address in the slot             again and gets the same bytes)
 *
 * Messages: a request is {magic XLZQ, seq, id, 0} (u32 each, host order: both ends are this
 * machine). An answer is a header message {magic XLZA, seq, rc, nobjs, name_len, 0, total}
 * followed by data messages {magic XLZD, seq} + up to LZ_CHUNK bytes, which carry the name,
 * then per object a u64 length and its bytes: `total` bytes in all. A driver host that died
 * in the middle of an exchange leaves its answer in the socket; the next one starts its
 * sequence numbers from its own pid and discards messages of any other seq.
 *
 * Everything each side reads is checked: the compiler process answers a malformed request with
 * an error (the host runs driver code); the host takes at most LZ_OBJS_MAX objects of at most
 * LDR_CACHE_ENTRY_MAX bytes and a name of printable bytes ending in "$body", which it then
 * looks up in its own JITDylib.
 */
#define _GNU_SOURCE
#include "ldr_jit.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdrv/util.h"

#define LZ_REQ	    0x515a4c58u /* "XLZQ" */
#define LZ_ANS	    0x415a4c58u /* "XLZA" */
#define LZ_DATA	    0x445a4c58u /* "XLZD" */
#define LZ_CHUNK    (32u * 1024u)
#define LZ_NAME_MAX LDR_LAZY_NAME_MAX
#define LZ_OBJS_MAX 8u
#define LZ_WAIT_MS  600000u /* a host waits this long for an answer at most (the watchdog) */
#define BODY_SUFFIX "$body"

struct lz_req {
	uint32_t magic, seq, id, reserved;
};

struct lz_ans {
	uint32_t magic, seq;
	int32_t rc;
	uint32_t nobjs, name_len, reserved;
	uint64_t total;
};

struct lz_data_hdr {
	uint32_t magic, seq;
};

/* ---- the compiler process ---------------------------------------------------------------------
 */

/* One answer: header, then the name and the objects in chunks. 0, or -errno (the session). */
static int send_answer(int fd, uint32_t seq, int32_t rc, const char *name, const uint8_t *blob,
		       size_t blen, uint32_t nobjs)
{
	size_t nlen = name ? strlen(name) : 0;
	struct lz_ans a = {LZ_ANS, seq, rc, nobjs, (uint32_t)nlen, 0, nlen + blen};
	if (write(fd, &a, sizeof a) != (ssize_t)sizeof a)
		return -errno ? -errno : -EIO;
	uint8_t *msg = malloc(sizeof(struct lz_data_hdr) + LZ_CHUNK);
	if (!msg)
		return -ENOMEM;
	struct lz_data_hdr h = {LZ_DATA, seq};
	memcpy(msg, &h, sizeof h);
	size_t off = 0, total = nlen + blen;
	int r = 0;
	while (off < total) {
		size_t n = total - off < LZ_CHUNK ? total - off : LZ_CHUNK;
		for (size_t i = 0; i < n; i++) {
			size_t at = off + i;
			msg[sizeof h + i] = at < nlen ? (uint8_t)name[at] : blob[at - nlen];
		}
		if (write(fd, msg, sizeof h + n) != (ssize_t)(sizeof h + n)) {
			r = -errno ? -errno : -EIO;
			break;
		}
		off += n;
	}
	free(msg);
	return r;
}

struct served {
	uint8_t *blob; /* per object: u64 length, bytes */
	size_t len;
	uint32_t nobjs;
};

/* Compile function `id` (or find it compiled before): its objects as one blob. */
static int compile_one(struct ldr_image *img, uint32_t id, struct served *s)
{
	struct ldr_obj_buf *objs = NULL;
	size_t n = 0;
	char *e = NULL;
	uint64_t addr = 0;
	ldr_jit_take_captured(img->ctx, &objs, &n); /* anything left over is not this one's */
	for (size_t i = 0; i < n; i++)
		free(objs[i].p);
	free(objs);
	int rc = ldr_jit_lookup(img, (const char *const *)&img->lazy_bodies[id], 1, 0, &addr, &e);
	free(e);
	ldr_jit_take_captured(img->ctx, &objs, &n);
	if (rc == 0 && (n == 0 || n > LZ_OBJS_MAX))
		rc = -EPROTO; /* compiled before, outside this protocol, or too many */
	size_t len = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		len += 8 + objs[i].n;
	if (rc == 0 && !(s->blob = malloc(len)))
		rc = -ENOMEM;
	for (size_t i = 0, off = 0; rc == 0 && i < n; i++) {
		uint64_t l = objs[i].n;
		memcpy(s->blob + off, &l, 8);
		memcpy(s->blob + off + 8, objs[i].p, objs[i].n);
		off += 8 + objs[i].n;
	}
	if (rc == 0) {
		s->len = len;
		s->nobjs = (uint32_t)n;
	}
	for (size_t i = 0; i < n; i++)
		free(objs[i].p);
	free(objs);
	return rc;
}

int ldr_lazy_serve(struct ldr_image *img, int fd)
{
	struct served *done = calloc(img->nlazy ? img->nlazy : 1, sizeof *done);
	int rc = done ? 0 : -ENOMEM;
	while (rc == 0) {
		struct lz_req q;
		ssize_t n = read(fd, &q, sizeof q);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			break; /* every driver host and the supervisor closed their ends */
		if (n < 0) {
			rc = -errno;
			break;
		}
		uint32_t seq = n >= 8 ? q.seq : 0;
		int32_t arc = 0;
		if (n != (ssize_t)sizeof q || q.magic != LZ_REQ)
			arc = -EPROTO;
		else if (q.id >= img->nlazy)
			arc = -EINVAL;
		else if (!done[q.id].blob)
			arc = compile_one(img, q.id, &done[q.id]);
		const struct served *s = arc == 0 ? &done[q.id] : NULL;
		rc = send_answer(fd, seq, arc, s ? img->lazy_bodies[q.id] : NULL,
				 s ? s->blob : NULL, s ? s->len : 0, s ? s->nobjs : 0);
		if (rc == -EPIPE || rc == -ECONNRESET)
			rc = 0; /* a driver host died mid-answer: the next one asks again */
	}
	for (uint32_t i = 0; done && i < img->nlazy; i++)
		free(done[i].blob);
	free(done);
	return rc;
}

/* ---- the driver host --------------------------------------------------------------------------
 */

static pthread_mutex_t remote_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t remote_seq;

/* The next message of exchange `seq` (others are a dead host's: skipped) into buf; its length
 * (> 0), or -errno with *err. */
static ssize_t recv_msg(int fd, uint32_t seq, uint8_t *buf, size_t cap, char **err)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, (int)LZ_WAIT_MS);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			return xdrv_err(err, -ETIMEDOUT,
					"lazy: the compiler process did not answer within %u ms",
					LZ_WAIT_MS);
		ssize_t n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return xdrv_err(err, n ? -errno : -ECONNRESET,
					"lazy: the compiler process is gone (%s)",
					n ? strerror(errno) : "end of its session");
		if (n >= 8 && ((const uint32_t *)(const void *)buf)[1] == seq)
			return n;
	}
}

int ldr_lazy_fetch(int fd, uint32_t seq, uint32_t id, char name[LDR_LAZY_NAME_MAX], uint8_t **blob,
		   uint64_t *len, uint32_t *nobjs, char **err)
{
	struct lz_req q = {LZ_REQ, seq, id, 0};
	if (write(fd, &q, sizeof q) != (ssize_t)sizeof q)
		return xdrv_err(err, -errno ? -errno : -EIO,
				"lazy: asking the compiler process: %s", strerror(errno));
	uint8_t *msg = malloc(sizeof(struct lz_data_hdr) + LZ_CHUNK);
	if (!msg)
		return xdrv_err(err, -ENOMEM, "lazy: out of memory");
	struct lz_ans a = {0};
	ssize_t n = recv_msg(fd, seq, msg, sizeof(struct lz_data_hdr) + LZ_CHUNK, err);
	int rc = n < 0 ? (int)n : 0;
	if (rc == 0) {
		if (n != (ssize_t)sizeof a)
			rc = xdrv_err(err, -EPROTO, "lazy: a malformed answer (%zd bytes)", n);
		else
			memcpy(&a, msg, sizeof a);
	}
	if (rc == 0 && a.magic != LZ_ANS)
		rc = xdrv_err(err, -EPROTO, "lazy: an answer with magic %08" PRIx32, a.magic);
	if (rc == 0 && a.rc) {
		/* an errno it names, or EIO for anything else it sent */
		int code = a.rc < 0 && a.rc > -4096 ? -a.rc : EIO;
		rc = xdrv_err(err, -code,
			      "lazy: the compiler process could not compile function %" PRIu32
			      ": %s",
			      id, strerror(code));
	}
	if (rc == 0 && (a.name_len == 0 || a.name_len >= LZ_NAME_MAX || a.nobjs == 0 ||
			a.nobjs > LZ_OBJS_MAX || a.total < a.name_len + 8ull * a.nobjs ||
			a.total > a.name_len + (uint64_t)a.nobjs * (8 + LDR_CACHE_ENTRY_MAX)))
		rc = xdrv_err(err, -EPROTO,
			      "lazy: an answer out of bounds (name %" PRIu32 " bytes, %" PRIu32
			      " objects, %" PRIu64 " bytes)",
			      a.name_len, a.nobjs, a.total);
	uint8_t *all = NULL;
	if (rc == 0 && !(all = malloc((size_t)a.total)))
		rc = xdrv_err(err, -ENOMEM, "lazy: out of memory");
	for (uint64_t got = 0; rc == 0 && got < a.total;) {
		n = recv_msg(fd, seq, msg, sizeof(struct lz_data_hdr) + LZ_CHUNK, err);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		struct lz_data_hdr h;
		memcpy(&h, msg, sizeof h);
		size_t body = (size_t)n - sizeof h;
		if (h.magic != LZ_DATA || (size_t)n < sizeof h || body > a.total - got) {
			rc = xdrv_err(err, -EPROTO, "lazy: a malformed data message");
			break;
		}
		memcpy(all + got, msg + sizeof h, body);
		got += body;
	}
	free(msg);
	if (rc == 0) {
		memcpy(name, all, a.name_len);
		name[a.name_len] = 0;
		size_t sl = sizeof BODY_SUFFIX - 1;
		for (uint32_t i = 0; rc == 0 && i < a.name_len; i++)
			if (name[i] < 0x21 || name[i] > 0x7e)
				rc = xdrv_err(err, -EPROTO,
					      "lazy: a function name with byte 0x%02x",
					      (unsigned char)name[i]);
		if (rc == 0 &&
		    (a.name_len <= sl || strcmp(name + a.name_len - sl, BODY_SUFFIX) != 0))
			rc = xdrv_err(err, -EPROTO, "lazy: '%s' is not a function body", name);
	}
	if (rc) {
		free(all);
		return rc;
	}
	memmove(all, all + a.name_len, (size_t)(a.total - a.name_len));
	*blob = all;
	*len = a.total - a.name_len;
	*nobjs = a.nobjs;
	return 0;
}

int ldr_lazy_blob_walk(const uint8_t *blob, uint64_t len, uint32_t nobjs,
		       int (*each)(void *arg, const uint8_t *obj, size_t n, char **err), void *arg,
		       char **err)
{
	uint64_t off = 0;
	for (uint32_t i = 0; i < nobjs; i++) {
		uint64_t l;
		if (len - off < 8)
			return xdrv_err(err, -EPROTO, "lazy: object %" PRIu32 " cut short", i);
		memcpy(&l, blob + off, 8);
		off += 8;
		if (l == 0 || l > len - off)
			return xdrv_err(err, -EPROTO,
					"lazy: object %" PRIu32 " of %" PRIu64 " bytes, %" PRIu64
					" left",
					i, l, len - off);
		int rc = each(arg, blob + off, (size_t)l, err);
		if (rc)
			return rc;
		off += l;
	}
	return off == len ? 0 : xdrv_err(err, -EPROTO, "lazy: bytes after the objects");
}

static int add_one(void *arg, const uint8_t *obj, size_t n, char **err)
{
	return ldr_jit_add_object(arg, obj, n, err);
}

static void *remote_resolve(struct ldr_image *img, void **slot, uint32_t id)
{
	pthread_mutex_lock(&remote_mu);
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (p) {
		pthread_mutex_unlock(&remote_mu);
		return p;
	}
	char name[LDR_LAZY_NAME_MAX], *err = NULL;
	const char *sym = name;
	uint8_t *blob = NULL;
	uint64_t len = 0, addr = 0;
	uint32_t nobjs = 0;
	uint32_t seq = ((uint32_t)getpid() << 12) + (++remote_seq & 0xfffu);
	int rc = ldr_lazy_fetch(img->lazy_fd, seq, id, name, &blob, &len, &nobjs, &err);
	if (!rc)
		rc = ldr_lazy_blob_walk(blob, len, nobjs, add_one, img, &err);
	if (!rc)
		rc = ldr_jit_lookup(img, &sym, 1, 0, &addr, &err);
	free(blob);
	if (!rc && addr) {
		p = (void *)(uintptr_t)addr;
		__atomic_store_n(slot, p, __ATOMIC_RELEASE);
		img->lazy_resolved++;
		img->compiled++;
	} else {
		char esc[1024];
		fprintf(stderr, "xdrv loader: JIT error: %s\n",
			xdrv_escape_text(err ? err : "lookup found nothing", esc, sizeof esc));
		p = (void *)(uintptr_t)ldr_lazy_error_handler;
	}
	free(err);
	pthread_mutex_unlock(&remote_mu);
	return p;
}

int ldr_lazy_remote_attach(struct ldr_image *img, int fd, char **err)
{
	img->lazy_fd = fd;
	return ldr_lazy_define_symbols(img, remote_resolve, err);
}
