// SPDX-License-Identifier: MIT
/*
 * The loop transport (xt.h), both ends, for hosts without Xen: the frontend (xdrv) and the
 * backend (xdrv-backd) are two processes joined by a SOCK_SEQPACKET UNIX socket.
 *
 *   hello   frontend -> backend, first message: magic, device type and handle, and by
 *           SCM_RIGHTS exactly three fds: the "grant table" memfd (sealed against shrinking,
 *           so a page the backend mapped can never vanish under it: no SIGBUS), the eventfd
 *           frontend->backend and the eventfd backend->frontend.
 *   write   either way: key=value in the sender's directory; the receiver keeps a bounded
 *           mirror (XT_MAX_KEYS keys of XT_KEY_MAX / XT_VAL_MAX bytes).
 *   grant / revoke   frontend -> backend: pages [first, first+count) of the table are (no
 *           longer) shared. A reference is a page index; page 0 is never shared, so ref 0 is
 *           never valid (as Xen reserves its first grant entries).
 *
 * Every message is checked (size exact, fds only with hello and exactly three of the right
 * kind, keys well-formed, page ranges inside the table): a bad one is -EPROTO with a message,
 * and received fds are always closed. The socket's EOF (or an empty message) is the other
 * end's Closed.
 */
#define _GNU_SOURCE
#include "xt_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <xdrv/util.h>

#define LOOP_MAGIC	      0x784c5431u /* "xLT1" */
#define LOOP_HELLO_TIMEOUT_MS 5000	  /* a frontend sends its hello right after connect */
#define LOOP_MAX_FDS	      8		  /* room for a peer that sends too many: all closed */
#define LOOP_TYPE_MAX	      16

enum loop_msg {
	LOOP_HELLO = 1,
	LOOP_WRITE = 2,
	LOOP_GRANT = 3,
	LOOP_REVOKE = 4,
};

struct loop_hdr {
	uint32_t type;
	uint32_t reserved; /* 0 */
};
struct loop_hello {
	struct loop_hdr h;
	uint32_t magic;
	uint32_t handle;
	char type[LOOP_TYPE_MAX]; /* NUL-terminated */
};
struct loop_write {
	struct loop_hdr h;
	uint16_t klen, vlen;
	uint32_t reserved; /* 0 */
			   /* key (klen bytes), then value (vlen bytes), no NULs */
};
struct loop_range {
	struct loop_hdr h;
	uint32_t first, count;
};
_Static_assert(sizeof(struct loop_hello) == 32, "hello layout");
_Static_assert(sizeof(struct loop_write) == 16, "write layout");
_Static_assert(sizeof(struct loop_range) == 16, "range layout");

#define LOOP_MSG_MAX (sizeof(struct loop_write) + XT_KEY_MAX + XT_VAL_MAX)

struct loop_kv {
	char key[XT_KEY_MAX + 1];
	char val[XT_VAL_MAX + 1];
	uint16_t vlen;
};

struct loop_share {
	void *addr;
	uint32_t first, n;
};

struct loop {
	struct xt xt; /* first: a struct xt * is a struct loop * */
	int sock, memfd, efd_out, efd_in;
	struct loop_kv *keys; /* the peer's directory */
	uint32_t nkeys;
	/* frontend */
	uint8_t used[XT_LOOP_PAGES / 8];
	uint32_t table_pages;
	struct loop_share *shares;
	size_t nshares, cshares;
	/* backend */
	uint8_t granted[XT_LOOP_PAGES / 8];
	char peer_type[LOOP_TYPE_MAX];
	uint32_t peer_handle;
};

struct xt_listener {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static const struct xt_ops loop_ops;

static struct loop *L(const struct xt *t)
{
	return (struct loop *)t;
}

static bool bit(const uint8_t *m, uint32_t i)
{
	return m[i / 8] & (1u << (i % 8));
}

static void set_bits(uint8_t *m, uint32_t first, uint32_t n, bool on)
{
	for (uint32_t i = first; i < first + n; i++) {
		if (on)
			m[i / 8] |= (uint8_t)(1u << (i % 8));
		else
			m[i / 8] &= (uint8_t) ~(1u << (i % 8));
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static struct loop *loop_alloc(bool backend)
{
	struct loop *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->keys = calloc(XT_MAX_KEYS, sizeof *l->keys);
	if (!l->keys) {
		free(l);
		return NULL;
	}
	l->sock = l->memfd = l->efd_out = l->efd_in = -1;
	l->xt.is_backend = backend;
	return l;
}

static void loop_free(struct loop *l)
{
	for (size_t i = 0; i < l->nshares; i++)
		munmap(l->shares[i].addr, (size_t)l->shares[i].n * XT_PAGE);
	free(l->shares);
	close_fd(&l->sock);
	close_fd(&l->memfd);
	close_fd(&l->efd_out);
	close_fd(&l->efd_in);
	free(l->keys);
	free(l);
}

/* ---- messages ------------------------------------------------------------------------------- */

static int send_msg(struct loop *l, const void *msg, size_t len, const int *fds, int nfds)
{
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	if (l->sock < 0)
		return -ENOTCONN;
	if (nfds > 0) {
		struct cmsghdr *c;
		memset(&u, 0, sizeof u);
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(l->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE || errno == ECONNRESET ? -ENOTCONN : -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int send_range(struct loop *l, uint32_t type, uint32_t first, uint32_t count)
{
	struct loop_range m = {.h = {.type = type}, .first = first, .count = count};
	return send_msg(l, &m, sizeof m, NULL, 0);
}

/* One received message, its fds (all to be closed by the caller unless taken). */
struct loop_rx {
	union {
		unsigned char buf[LOOP_MSG_MAX + 1];
		struct loop_hdr align;
	} u;
	size_t len;
	int fds[LOOP_MAX_FDS];
	int nfds;
};

static void rx_close_fds(struct loop_rx *rx)
{
	for (int i = 0; i < rx->nfds; i++)
		if (rx->fds[i] >= 0)
			close(rx->fds[i]);
	rx->nfds = 0;
}

/* 1 with a message, 0 if none is waiting, -ENOTCONN at EOF, -EPROTO (with *err) if the
 * message was cut or its ancillary data was not fds. */
static int recv_one(struct loop *l, struct loop_rx *rx, char **err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * LOOP_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = rx->u.buf, .iov_len = sizeof rx->u.buf};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	int r = 1, resets = 0;
	rx->nfds = 0;
	rx->len = 0;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	/* ECONNRESET: the other end closed with our messages unread; it is reported once, before
	 * what it sent us last (an "error" key, say): read on to its EOF */
	do
		n = recvmsg(l->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && (errno == EINTR || (errno == ECONNRESET && resets++ == 0)));
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return resets ? -ENOTCONN : 0;
		if (errno == ECONNRESET)
			return -ENOTCONN;
		return xdrv_err(err, -errno, "%s: control socket: %s", l->xt.name, strerror(errno));
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(0)) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
				if (rx->nfds < LOOP_MAX_FDS)
					rx->fds[rx->nfds++] = fd;
				else
					close(fd);
			}
		} else {
			r = -EPROTO; /* credentials or anything else: not ours to accept */
		}
	}
	if (n == 0 && rx->nfds == 0)
		return -ENOTCONN;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		rx_close_fds(rx);
		return xdrv_err(err, -EPROTO, "%s: %s sent an oversized message%s", l->xt.name,
				xt_peer_word(&l->xt),
				mh.msg_flags & MSG_CTRUNC ? " (too many fds)" : "");
	}
	if (r < 0) {
		rx_close_fds(rx);
		return xdrv_err(err, -EPROTO, "%s: %s sent ancillary data other than fds",
				l->xt.name, xt_peer_word(&l->xt));
	}
	rx->len = (size_t)n;
	return 1;
}

static struct loop_kv *kv_find(struct loop *l, const char *key)
{
	for (uint32_t i = 0; i < l->nkeys; i++)
		if (!strcmp(l->keys[i].key, key))
			return &l->keys[i];
	return NULL;
}

static int take_write(struct loop *l, const struct loop_rx *rx, char **err)
{
	struct loop_write w;
	char key[XT_KEY_MAX + 1], esc[96];
	struct loop_kv *kv;
	memcpy(&w, rx->u.buf, sizeof w);
	if (w.reserved || w.klen > XT_KEY_MAX || w.vlen > XT_VAL_MAX ||
	    rx->len != sizeof w + w.klen + w.vlen)
		return xdrv_err(err, -EPROTO,
				"%s: %s sent a malformed key write (%zu bytes, key %u, value %u)",
				l->xt.name, xt_peer_word(&l->xt), rx->len, w.klen, w.vlen);
	memcpy(key, rx->u.buf + sizeof w, w.klen);
	key[w.klen] = '\0';
	if (!xt_key_valid(key, w.klen))
		return xdrv_err(err, -EPROTO, "%s: %s wrote a key with a bad name '%s'", l->xt.name,
				xt_peer_word(&l->xt), xt_escape(key, w.klen, esc, sizeof esc));
	kv = kv_find(l, key);
	if (!kv) {
		if (l->nkeys == XT_MAX_KEYS)
			return xdrv_err(err, -EPROTO, "%s: %s wrote more than %u keys (%s)",
					l->xt.name, xt_peer_word(&l->xt), XT_MAX_KEYS, key);
		kv = &l->keys[l->nkeys++];
		memcpy(kv->key, key, w.klen + 1u);
	}
	/* raw bytes kept as sent: xt_read refuses what is not printable, naming the key */
	memcpy(kv->val, rx->u.buf + sizeof w + w.klen, w.vlen);
	kv->val[w.vlen] = '\0';
	kv->vlen = w.vlen;
	return 0;
}

static int take_range(struct loop *l, const struct loop_rx *rx, bool grant, char **err)
{
	struct loop_range m;
	const char *what = grant ? "grant" : "revoke";
	if (rx->len != sizeof m)
		return xdrv_err(err, -EPROTO, "%s: frontend sent a malformed %s (%zu bytes)",
				l->xt.name, what, rx->len);
	memcpy(&m, rx->u.buf, sizeof m);
	if (m.h.reserved || m.first == 0 || m.count == 0 || m.first >= XT_LOOP_PAGES ||
	    m.count > XT_LOOP_PAGES - m.first)
		return xdrv_err(err, -EPROTO, "%s: frontend sent %s of pages %u+%u: outside 1..%u",
				l->xt.name, what, m.first, m.count, XT_LOOP_PAGES - 1);
	set_bits(l->granted, m.first, m.count, grant);
	return 0;
}

static int loop_ctl_process(struct xt *t, char **err)
{
	struct loop *l = L(t);
	struct loop_rx *rx;
	int r = 0;
	if (t->peer_gone)
		return -ENOTCONN;
	rx = malloc(sizeof *rx);
	if (!rx)
		return xdrv_err(err, -ENOMEM, "%s: out of memory", t->name);
	for (;;) {
		struct loop_hdr h;
		r = recv_one(l, rx, err);
		if (r <= 0)
			break;
		if (rx->nfds) {
			rx_close_fds(rx);
			r = xdrv_err(err, -EPROTO, "%s: %s sent fds after the hello", t->name,
				     xt_peer_word(t));
			break;
		}
		if (rx->len < sizeof h) {
			r = xdrv_err(err, -EPROTO, "%s: %s sent a truncated message (%zu bytes)",
				     t->name, xt_peer_word(t), rx->len);
			break;
		}
		memcpy(&h, rx->u.buf, sizeof h);
		if (h.type == LOOP_WRITE && rx->len >= sizeof(struct loop_write))
			r = take_write(l, rx, err);
		else if (h.type == LOOP_WRITE)
			r = xdrv_err(err, -EPROTO, "%s: %s sent a truncated key write (%zu bytes)",
				     t->name, xt_peer_word(t), rx->len);
		else if ((h.type == LOOP_GRANT || h.type == LOOP_REVOKE) && t->is_backend)
			r = take_range(l, rx, h.type == LOOP_GRANT, err);
		else
			r = xdrv_err(err, -EPROTO, "%s: %s sent an unexpected message (type %u)",
				     t->name, xt_peer_word(t), h.type);
		if (r < 0)
			break;
	}
	free(rx);
	if (r == -ENOTCONN) {
		/* the socket's EOF is the other end's Closed */
		t->peer_gone = true;
		return -ENOTCONN;
	}
	return r < 0 ? r : 0;
}

/* ---- both ends ------------------------------------------------------------------------------ */

static int loop_notify(struct xt *t)
{
	uint64_t one = 1;
	if (write(L(t)->efd_out, &one, sizeof one) < 0 && errno != EAGAIN)
		return -errno; /* EAGAIN: the counter is saturated, a notification is pending */
	return 0;
}

static int loop_event_ack(struct xt *t)
{
	uint64_t v;
	ssize_t n = read(L(t)->efd_in, &v, sizeof v);
	if (n == (ssize_t)sizeof v)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return n < 0 ? -errno : -EIO;
}

static int loop_write(struct xt *t, const char *key, const char *val)
{
	struct loop *l = L(t);
	unsigned char buf[LOOP_MSG_MAX];
	struct loop_write w = {.h = {.type = LOOP_WRITE}};
	size_t kl = strnlen(key, XT_KEY_MAX), vl = strnlen(val, XT_VAL_MAX);
	w.klen = (uint16_t)kl;
	w.vlen = (uint16_t)vl;
	memcpy(buf, &w, sizeof w);
	memcpy(buf + sizeof w, key, kl);
	memcpy(buf + sizeof w + kl, val, vl);
	return send_msg(l, buf, sizeof w + kl + vl, NULL, 0);
}

static int loop_read_raw(struct xt *t, const char *key, char **val, size_t *len)
{
	struct loop_kv *kv = kv_find(L(t), key);
	if (!kv)
		return -ENOENT;
	*val = malloc((size_t)kv->vlen + 1);
	if (!*val)
		return -ENOMEM;
	memcpy(*val, kv->val, (size_t)kv->vlen + 1);
	*len = kv->vlen;
	return 0;
}

static uint32_t loop_evtchn_port(const struct xt *t)
{
	(void)t;
	return 1;
}

/* ---- frontend ------------------------------------------------------------------------------- */

static int find_free_run(struct loop *l, uint32_t n, uint32_t *first)
{
	uint32_t run = 0;
	for (uint32_t i = 1; i < XT_LOOP_PAGES; i++) {
		run = bit(l->used, i) ? 0 : run + 1;
		if (run == n) {
			*first = i + 1 - n;
			return 0;
		}
	}
	return -ENOSPC;
}

static void *loop_share(struct xt *t, uint32_t n, uint32_t *refs, char **err)
{
	struct loop *l = L(t);
	uint32_t first;
	void *a;
	int r;
	if (find_free_run(l, n, &first) < 0) {
		xdrv_err(err, -ENOSPC,
			 "%s: share %u pages: the loop grant table (%u pages) is full", t->name, n,
			 XT_LOOP_PAGES);
		return NULL;
	}
	if (l->nshares == l->cshares) {
		size_t c = l->cshares ? l->cshares * 2 : 8;
		struct loop_share *s = realloc(l->shares, c * sizeof *s);
		if (!s) {
			xdrv_err(err, -ENOMEM, "%s: out of memory", t->name);
			return NULL;
		}
		l->shares = s;
		l->cshares = c;
	}
	if (first + n > l->table_pages) {
		if (ftruncate(l->memfd, (off_t)(first + n) * XT_PAGE) < 0) {
			xdrv_err(err, -errno, "%s: growing the grant table to %u pages: %s",
				 t->name, first + n, strerror(errno));
			return NULL;
		}
		l->table_pages = first + n;
	}
	a = mmap(NULL, (size_t)n * XT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, l->memfd,
		 (off_t)first * XT_PAGE);
	if (a == MAP_FAILED) {
		xdrv_err(err, -errno, "%s: mapping %u shared pages: %s", t->name, n,
			 strerror(errno));
		return NULL;
	}
	memset(a, 0, (size_t)n * XT_PAGE); /* a page may have been shared before */
	r = send_range(l, LOOP_GRANT, first, n);
	if (r < 0) {
		munmap(a, (size_t)n * XT_PAGE);
		xdrv_err(err, r, "%s: telling the backend about %u shared pages: %s", t->name, n,
			 strerror(-r));
		return NULL;
	}
	set_bits(l->used, first, n, true);
	l->shares[l->nshares++] = (struct loop_share){.addr = a, .first = first, .n = n};
	for (uint32_t i = 0; i < n; i++)
		refs[i] = first + i;
	return a;
}

static void loop_unshare(struct xt *t, void *addr, uint32_t n)
{
	struct loop *l = L(t);
	for (size_t i = 0; i < l->nshares; i++) {
		struct loop_share s = l->shares[i];
		if (s.addr != addr || s.n != n)
			continue;
		munmap(s.addr, (size_t)s.n * XT_PAGE);
		(void)send_range(l, LOOP_REVOKE, s.first, s.n); /* a gone backend needs no word */
		set_bits(l->used, s.first, s.n, false);
		l->shares[i] = l->shares[--l->nshares];
		return;
	}
}

static void loop_close(struct xt *t)
{
	struct loop *l = L(t);
	if (!t->is_backend) {
		(void)xt_set_state(t, XT_CLOSING, NULL);
		(void)xt_set_state(t, XT_CLOSED, NULL);
	}
	loop_free(l);
}

static const struct xt_ops loop_ops = {
	.notify = loop_notify,
	.event_ack = loop_event_ack,
	.ctl_process = loop_ctl_process,
	.write = loop_write,
	.read_raw = loop_read_raw,
	.share = loop_share,
	.unshare = loop_unshare,
	.evtchn_port = loop_evtchn_port,
	.close = loop_close,
};

/* The backend end has no pages of its own to share. */
static const struct xt_ops loop_backend_ops = {
	.notify = loop_notify,
	.event_ack = loop_event_ack,
	.ctl_process = loop_ctl_process,
	.write = loop_write,
	.read_raw = loop_read_raw,
	.evtchn_port = loop_evtchn_port,
	.close = loop_close,
};

static int unix_addr(const char *path, struct sockaddr_un *sa, const char *name, char **err)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (!path || !*path)
		return xdrv_err(err, -EINVAL, "%s: loop transport: no backend socket path", name);
	if (strlen(path) >= sizeof sa->sun_path)
		return xdrv_err(err, -ENAMETOOLONG, "%s: socket path '%s': longer than %zu bytes",
				name, path, sizeof sa->sun_path - 1);
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

int xt_loop_open(const struct xt_cfg *cfg, struct xt **out, char **err)
{
	struct loop *l = loop_alloc(false);
	struct sockaddr_un sa;
	struct loop_hello h = {.h = {.type = LOOP_HELLO}, .magic = LOOP_MAGIC};
	int fds[3], r;
	if (!l)
		return xdrv_err(err, -ENOMEM, "out of memory");
	xt_init_common(&l->xt, &loop_ops, "loop", cfg);
	r = unix_addr(cfg->socket, &sa, l->xt.name, err);
	if (r < 0)
		goto out_free;
	if (strlen(cfg->type) >= sizeof h.type) {
		r = xdrv_err(err, -EINVAL, "%s: device type '%s': too long", l->xt.name, cfg->type);
		goto out_free;
	}
	memcpy(h.type, cfg->type, strlen(cfg->type));
	h.handle = cfg->handle;
	l->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l->sock < 0 || connect(l->sock, (struct sockaddr *)&sa, sizeof sa) < 0) {
		r = xdrv_err(err, -errno, "%s: loop transport: connecting to xdrv-backd at %s: %s",
			     l->xt.name, cfg->socket, strerror(errno));
		goto out_free;
	}
	l->memfd = memfd_create("xdrv-xt-grants", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	l->efd_out = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l->efd_in = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->memfd < 0 || l->efd_out < 0 || l->efd_in < 0 || ftruncate(l->memfd, XT_PAGE) < 0 ||
	    fcntl(l->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		r = xdrv_err(err, -errno, "%s: loop transport: memfd/eventfd: %s", l->xt.name,
			     strerror(errno));
		goto out_free;
	}
	l->table_pages = 1; /* page 0: never shared */
	fds[0] = l->memfd;
	fds[1] = l->efd_out;
	fds[2] = l->efd_in;
	r = send_msg(l, &h, sizeof h, fds, 3);
	if (r < 0) {
		xdrv_err(err, r, "%s: loop transport: hello to %s: %s", l->xt.name, cfg->socket,
			 strerror(-r));
		goto out_free;
	}
	l->xt.event_fd = l->efd_in;
	l->xt.ctl_fd = l->sock;
	r = xt_set_state(&l->xt, XT_INITIALISING, err);
	if (r < 0)
		goto out_free;
	*out = &l->xt;
	return 0;
out_free:
	loop_free(l);
	return r;
}

/* ---- backend -------------------------------------------------------------------------------- */

int xt_listen(const char *path, struct xt_listener **out, char **err)
{
	struct xt_listener *ls;
	struct sockaddr_un sa;
	struct stat st;
	int r = unix_addr(path, &sa, "xdrv-backd", err);
	*out = NULL;
	if (r < 0)
		return r;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return xdrv_err(err, -EEXIST, "socket %s: exists and is not a socket",
					path);
		if (unlink(path) < 0)
			return xdrv_err(err, -errno, "socket %s: removing the old one: %s", path,
					strerror(errno));
	}
	ls = calloc(1, sizeof *ls);
	if (!ls)
		return xdrv_err(err, -ENOMEM, "out of memory");
	memcpy(ls->path, path, strlen(path) + 1);
	ls->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (ls->fd < 0 || bind(ls->fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    chmod(path, 0600) < 0 || listen(ls->fd, 16) < 0) {
		r = xdrv_err(err, -errno, "socket %s: %s", path, strerror(errno));
		if (ls->fd >= 0)
			close(ls->fd);
		free(ls);
		return r;
	}
	*out = ls;
	return 0;
}

int xt_listener_fd(const struct xt_listener *l)
{
	return l->fd;
}

void xt_listener_close(struct xt_listener *l)
{
	if (!l)
		return;
	close(l->fd);
	unlink(l->path);
	free(l);
}

static bool is_eventfd(int fd)
{
	char p[64], link[64];
	ssize_t n;
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	n = readlink(p, link, sizeof link - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, "anon_inode:[eventfd]");
}

/* The hello: its size, magic, type string and exactly three fds of the right kinds. */
static int take_hello(struct loop *l, struct loop_rx *rx, char **err)
{
	struct loop_hello h;
	struct stat st;
	int seals;
	if (rx->len != sizeof h)
		return xdrv_err(err, -EPROTO, "frontend hello: %zu bytes, expected %zu", rx->len,
				sizeof h);
	memcpy(&h, rx->u.buf, sizeof h);
	if (h.h.type != LOOP_HELLO || h.h.reserved || h.magic != LOOP_MAGIC)
		return xdrv_err(err, -EPROTO, "frontend hello: not an xdrv loop hello (type %u)",
				h.h.type);
	if (!memchr(h.type, '\0', sizeof h.type) || !xt_key_valid(h.type, strlen(h.type)))
		return xdrv_err(err, -EPROTO, "frontend hello: device type is not a plain name");
	snprintf(l->xt.name, sizeof l->xt.name, "%s.%u", h.type, (unsigned)h.handle);
	if (rx->nfds != 3)
		return xdrv_err(err, -EPROTO, "frontend %s hello: %d fds, expected 3", l->xt.name,
				rx->nfds);
	seals = fcntl(rx->fds[0], F_GET_SEALS);
	if (fstat(rx->fds[0], &st) < 0 || !S_ISREG(st.st_mode) || seals < 0 ||
	    !(seals & F_SEAL_SHRINK))
		return xdrv_err(err, -EPROTO,
				"frontend %s hello: the grant table is not a memfd sealed against "
				"shrinking",
				l->xt.name);
	if (!is_eventfd(rx->fds[1]) || !is_eventfd(rx->fds[2]))
		return xdrv_err(err, -EPROTO,
				"frontend %s hello: event channel fds are not eventfds",
				l->xt.name);
	memcpy(l->peer_type, h.type, sizeof h.type);
	l->peer_handle = h.handle;
	l->memfd = rx->fds[0];
	l->efd_in = rx->fds[1];	 /* frontend -> backend */
	l->efd_out = rx->fds[2]; /* backend -> frontend */
	rx->nfds = 0;
	if (fcntl(l->efd_in, F_SETFL, O_NONBLOCK) < 0 || fcntl(l->efd_out, F_SETFL, O_NONBLOCK) < 0)
		return xdrv_err(err, -errno, "frontend %s: eventfd: %s", l->xt.name,
				strerror(errno));
	return 0;
}

int xt_accept(struct xt_listener *ls, struct xt **out, char **err)
{
	struct loop *l;
	struct loop_rx *rx;
	struct pollfd p;
	int r;
	*out = NULL;
	l = loop_alloc(true);
	rx = malloc(sizeof *rx);
	if (!l || !rx) {
		free(rx);
		if (l)
			loop_free(l);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	xt_init_common(&l->xt, &loop_backend_ops, "loop", NULL);
	l->xt.is_backend = true;
	l->sock = accept4(ls->fd, NULL, NULL, SOCK_CLOEXEC);
	if (l->sock < 0) {
		r = xdrv_err(err, -errno, "socket %s: accept: %s", ls->path, strerror(errno));
		goto out;
	}
	p = (struct pollfd){.fd = l->sock, .events = POLLIN};
	do
		r = poll(&p, 1, LOOP_HELLO_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		r = xdrv_err(err, r < 0 ? -errno : -ETIMEDOUT, "frontend: no hello within %d ms",
			     LOOP_HELLO_TIMEOUT_MS);
		goto out;
	}
	r = recv_one(l, rx, err);
	if (r == 0 || r == -ENOTCONN) {
		r = xdrv_err(err, -EPROTO, "frontend: closed before its hello");
		goto out;
	}
	if (r < 0)
		goto out;
	r = take_hello(l, rx, err);
	rx_close_fds(rx);
out:
	free(rx);
	if (r < 0) {
		loop_free(l);
		return r;
	}
	l->xt.event_fd = l->efd_in;
	l->xt.ctl_fd = l->sock;
	*out = &l->xt;
	return 0;
}

bool xt_is_loop_backend(const struct xt *t)
{
	return t && (t->ops == &loop_backend_ops);
}

const char *xt_peer_type(const struct xt *t)
{
	return xt_is_loop_backend(t) ? L(t)->peer_type : "";
}

uint32_t xt_peer_handle(const struct xt *t)
{
	return xt_is_loop_backend(t) ? L(t)->peer_handle : 0;
}

void *xt_map(struct xt *t, const uint32_t *refs, uint32_t n, char **err)
{
	struct loop *l = L(t);
	struct stat st;
	uint64_t pages;
	char *base;
	if (!xt_is_loop_backend(t)) {
		xdrv_err(err, -ENOTSUP, "%s: only the loop backend maps pages", t->name);
		return NULL;
	}
	if (n == 0 || n > XT_LOOP_PAGES) {
		xdrv_err(err, -EINVAL, "%s: map %u pages: out of range 1..%u", t->name, n,
			 XT_LOOP_PAGES);
		return NULL;
	}
	if (fstat(l->memfd, &st) < 0) {
		xdrv_err(err, -errno, "%s: grant table: %s", t->name, strerror(errno));
		return NULL;
	}
	pages = (uint64_t)st.st_size / XT_PAGE;
	for (uint32_t i = 0; i < n; i++) {
		if (refs[i] >= XT_LOOP_PAGES || refs[i] >= pages) {
			xdrv_err(err, -EINVAL,
				 "%s: ref %u: outside the frontend's grant table (%llu pages)",
				 t->name, refs[i], (unsigned long long)pages);
			return NULL;
		}
		if (!bit(l->granted, refs[i])) {
			xdrv_err(err, -EPERM, "%s: ref %u: not granted by the frontend", t->name,
				 refs[i]);
			return NULL;
		}
	}
	/* reserve the range, then place each run of consecutive refs in it */
	base = mmap(NULL, (size_t)n * XT_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		xdrv_err(err, -errno, "%s: map %u pages: %s", t->name, n, strerror(errno));
		return NULL;
	}
	for (uint32_t i = 0; i < n;) {
		uint32_t run = 1;
		while (i + run < n && refs[i + run] == refs[i] + run)
			run++;
		if (mmap(base + (size_t)i * XT_PAGE, (size_t)run * XT_PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, l->memfd,
			 (off_t)refs[i] * XT_PAGE) == MAP_FAILED) {
			xdrv_err(err, -errno, "%s: map ref %u: %s", t->name, refs[i],
				 strerror(errno));
			munmap(base, (size_t)n * XT_PAGE);
			return NULL;
		}
		i += run;
	}
	return base;
}

void xt_unmap(struct xt *t, void *addr, uint32_t n)
{
	(void)t;
	if (addr && n)
		munmap(addr, (size_t)n * XT_PAGE);
}

void xt_disconnect(struct xt *t)
{
	if (!t)
		return;
	if (!t->peer_gone)
		(void)xt_set_state(t, XT_CLOSED, NULL);
	t->ops->close(t);
}

void xt_forget(struct xt *t)
{
	if (t && xt_is_loop_backend(t))
		loop_free(L(t));
}
