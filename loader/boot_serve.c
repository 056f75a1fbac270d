// SPDX-License-Identifier: MIT
/*
 * `xdrv boot --serve` (docs/BOOT.md "Serving: code swaps after the boot"): the booted drivers stay
 * in their processes, bound to their devices, and the boot process changes their code while
 * they run, every change measured before it runs.
 *
 *   boot process (this file's boot_serve)             driver's process (boot_serve_host)
 *   a request (control socket) or a reload (SIGHUP)
 *   checked and compiled (ldr_gen: compiler process)
 *   measured: xdrv.driver.swap ... object_sha256=X
 *   the record, framed, on the go pipe  -----------> between two dispatches: read, linked,
 *                                                     every slot stored (ldr_image_swap_generation)
 *   its answer: the object it linked   <----------- 'S' generation, object, slots, swap time
 *   (X, or it is measured as refused)                 or 'F' rc, message
 *
 * The driver's process is untrusted (driver code runs there): its answers are parsed strictly
 * (boot_child.c), waited for under the probe watchdog, and one that lies about the object it
 * linked, dies or hangs is measured (xdrv.driver.swap_refused, xdrv.driver.ended) and no longer
 * served. Its own reads of the boot's frames trust them: the boot is its supervisor.
 *
 * The control socket speaks the control protocol of `xdrv run --control` (cli/run/ctl.c): one
 * line a connection, answered with lines, the last "ok" or "error: MESSAGE"; the peer must be
 * this user or root, the socket is 0600. Requests: "status", "param list|status [DRIVER]",
 * "param set DRIVER NAME VALUE", "patch list [DRIVER]", "patch apply PATH", "patch revert
 * [DRIVER]", "reload", "update PATH" (a live update: a newer version of a served driver).
 * DRIVER may be left out
 * when the boot serves one driver. A swap is done when its answer comes: the request waits for
 * the compile (the drivers keep running meanwhile) and the driver's answer.
 *
 * A reload (SIGHUP, or "reload") reads the configuration again, measures it (xdrv.boot.reload,
 * PCR 11) and re-specializes each served driver whose parameters changed, one swap per
 * parameter, in the configuration's order; anything else that changed is listed as taking
 * effect at the next boot.
 */
#define _GNU_SOURCE 1
#include "boot_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xdrv/driver.h"
#include "xdrv/hvb_split.h"
#include "xdrv/runtime.h"
#include "xdrv/sdk.h"
#include "xdrv/util.h"

#define FRAME_HDR 8u
#define FRAME_MAX (LDR_CACHE_ENTRY_MAX + (1u << 20)) /* a record and its change */
#define REQ_MAX	  4096u
#define IDLE_MS	  20 /* a driver's process with nothing to do looks at the pipe this often */

/* ---- the driver's process ----------------------------------------------------------------- */
static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		got += (size_t)r;
	}
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void host_fail(const struct boot_child *ch, int rc, const char *msg)
{
	char rcs[16];
	snprintf(rcs, sizeof rcs, "%d", rc);
	const char *f[2] = {rcs, msg ? msg : "failed"};
	boot_child_answer(ch, 'F', f, 2);
}

/* A swap frame: what (u32), change length (u32), the change, the record. */
static void host_swap(struct ldr_image *img, const struct boot_child *ch, const uint8_t *p,
		      size_t n)
{
	char *err = NULL;
	struct ldr_compiled *rec = NULL;
	if (n < 8 || le32(p + 4) > 1024 || 8u + le32(p + 4) > n) {
		host_fail(ch, -EBADMSG, "a malformed swap frame");
		return;
	}
	uint32_t what = le32(p), cl = le32(p + 4);
	char change[1025];
	memcpy(change, p + 8, cl);
	change[cl] = 0;
	int rc = ldr_compiled_wire_read(p + 8 + cl, n - 8 - cl, &rec, &err);
	struct ldr_tier_info ti;
	if (!rc)
		rc = ldr_image_swap_generation(img, rec, what, change, &ti, &err);
	if (rc) {
		host_fail(ch, rc, err);
	} else {
		uint8_t d[32];
		char hex[65], gen[16], slots[16], us[32];
		ldr_compiled_sha256(rec, d);
		xdrv_hex(d, 32, hex);
		snprintf(gen, sizeof gen, "%u", ti.generation);
		snprintf(slots, sizeof slots, "%u", ti.swapped);
		snprintf(us, sizeof us, "%.1f", (double)ti.swap_ns / 1e3);
		const char *f[4] = {gen, hex, slots, us};
		boot_child_answer(ch, 'S', f, 4);
	}
	ldr_compiled_free(rec);
	free(err);
}

/* A live update: the new version's record (generation 0 of its swappable code) linked, then
 * the driver on the device replaced by it, its interfaces and disks kept (ldr_driver_update). */
static void host_update(struct ldr_ctx *ctx, struct ldr_image **img, struct ldr_driver **drv,
			const struct boot_child *ch, const uint8_t *p, size_t n)
{
	char *err = NULL;
	struct ldr_compiled *rec = NULL;
	struct ldr_update_report rep;
	memset(&rep, 0, sizeof rep);
	int rc = ldr_compiled_wire_read(p, n, &rec, &err);
	if (!rc)
		rc = ldr_image_update_compiled(ctx, rec, img, drv, NULL, &rep, &err);
	if (rc) {
		char msg[1400];
		snprintf(msg, sizeof msg, "%s%s", err ? err : "update failed",
			 rep.rolled_back ? " (the old version was probed again and runs)" : "");
		host_fail(ch, rc, msg);
		if (!*drv)
			_exit(1); /* neither version is bound: nothing left to serve */
	} else {
		uint8_t d[32];
		char hex[65], kept[16], dropped[32], q[32], r[32], pr[32];
		ldr_compiled_sha256(rec, d);
		xdrv_hex(d, 32, hex);
		snprintf(kept, sizeof kept, "%u", rep.netdevs_kept + rep.blkdevs_kept);
		snprintf(dropped, sizeof dropped, "%llu", (unsigned long long)rep.frames_dropped);
		snprintf(q, sizeof q, "%.3f", (double)rep.quiesce_ns / 1e6);
		snprintf(r, sizeof r, "%.3f", (double)rep.remove_ns / 1e6);
		snprintf(pr, sizeof pr, "%.3f", (double)rep.probe_ns / 1e6);
		const char *f[6] = {hex, kept, dropped, q, r, pr};
		boot_child_answer(ch, 'U', f, 6);
	}
	ldr_compiled_free(rec);
	free(err);
}

_Noreturn void boot_serve_host(struct ldr_ctx *ctx, struct ldr_image *img, struct ldr_driver *drv,
			       const struct boot_child *ch)
{
	for (;;) {
		int busy = ldr_driver_dispatch(drv) > 0;
		struct pollfd p = {.fd = ch->go, .events = POLLIN};
		int r = poll(&p, 1, busy ? 0 : IDLE_MS);
		if (r < 0 && errno != EINTR)
			_exit(1);
		if (r <= 0)
			continue;
		uint8_t h[FRAME_HDR];
		if (read_full(ch->go, h, sizeof h) != 0)
			_exit(0); /* the boot is gone (its death takes this process anyway) */
		uint32_t len = le32(h + 4);
		if (h[0] != 'x' || h[1] != 's' || len > FRAME_MAX)
			_exit(1);
		uint8_t *pl = malloc(len ? len : 1);
		if (!pl || read_full(ch->go, pl, len) != 0)
			_exit(1);
		if (h[2] == 'E') { /* the boot ends: remove, then go */
			free(pl);
			ldr_driver_unbind(drv);
			fflush(NULL);
			const char *f[1] = {"removed"};
			boot_child_answer(ch, 'E', f, 1);
			_exit(0);
		}
		if (h[2] == 'S')
			host_swap(img, ch, pl, len);
		else if (h[2] == 'U')
			host_update(ctx, &img, &drv, ch, pl, len);
		else
			host_fail(ch, -EBADMSG, "an unknown frame");
		free(pl);
	}
}

/* ---- the boot process --------------------------------------------------------------------- */
static volatile sig_atomic_t reload_wanted;

static void on_hup(int signo)
{
	(void)signo;
	reload_wanted = 1;
}

/* A frame to a driver's process, in at most timeout_ms (its pipe is not read by a process
 * that hangs: the write must not hang the boot). */
static int send_frame(struct boot_served *v, char kind, const uint8_t *a, size_t an,
		      const uint8_t *b2, size_t bn, uint32_t timeout_ms, char **err)
{
	uint8_t h[FRAME_HDR] = {'x', 's', (uint8_t)kind, 0};
	put32(h + 4, (uint32_t)(an + bn));
	const uint8_t *parts[3] = {h, a, b2};
	size_t lens[3] = {sizeof h, an, bn};
	int fl = fcntl(v->ch.go, F_GETFL);
	if (fl < 0 || fcntl(v->ch.go, F_SETFL, fl | O_NONBLOCK) != 0)
		return xdrv_err(err, -errno, "driver %s: its pipe: %s", v->name, strerror(errno));
	uint64_t deadline = xdrv_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int rc = 0;
	for (int i = 0; i < 3 && !rc; i++) {
		size_t off = 0;
		while (off < lens[i] && !rc) {
			ssize_t w = write(v->ch.go, parts[i] + off, lens[i] - off);
			if (w > 0) {
				off += (size_t)w;
				continue;
			}
			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				rc = xdrv_err(err, -errno, "driver %s: its pipe: %s", v->name,
					      strerror(errno));
				break;
			}
			uint64_t now = xdrv_now_ns();
			if (now >= deadline) {
				rc = xdrv_err(err, -ETIMEDOUT,
					      "driver %s: its process did not read the swap in %u "
					      "ms",
					      v->name, timeout_ms);
				break;
			}
			struct pollfd p = {.fd = v->ch.go, .events = POLLOUT};
			poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		}
	}
	fcntl(v->ch.go, F_SETFL, fl);
	return rc;
}

static struct boot_served *served_named(struct boot *b, const char *name, FILE *f)
{
	if (!name || !*name) {
		if (b->nserved == 1)
			return &b->served[0];
		fprintf(f, "error: the boot serves %zu drivers: name one\n", b->nserved);
		return NULL;
	}
	for (size_t i = 0; i < b->nserved; i++)
		if (!strcmp(b->served[i].name, name))
			return &b->served[i];
	char list[512] = "";
	size_t o = 0;
	for (size_t i = 0; i < b->nserved && o < sizeof list; i++)
		o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
				      b->served[i].name);
	fprintf(f, "error: the boot serves no driver %s (it serves: %s)\n", name,
		b->nserved ? list : "none");
	return NULL;
}

static void params_text(const struct ldr_gen *g, const uint64_t *vals, char *out, size_t n)
{
	const uint64_t *live = NULL;
	size_t np = 0, o = 0;
	const struct sdk_param *p = ldr_gen_params(g, &live, &np);
	out[0] = 0;
	for (size_t i = 0; i < np && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s=%llu", i ? "," : "", p[i].name,
				      (unsigned long long)vals[i]);
}

/* Whether the n fields from `first` of a driver process's answer are numbers ("123", "4.5"):
 * what it says is shown to the operator, so nothing else passes (an escape sequence, say). */
static int numeric(const struct boot_answer *a, size_t first, size_t n)
{
	for (size_t i = first; i < first + n && i < a->nfields; i++) {
		const char *f = a->field[i];
		if (!*f || strlen(f) > 24 || strspn(f, "0123456789.") != strlen(f))
			return 0;
	}
	return 1;
}

/* A driver's process that can no longer be served: measured, ended, taken off the list. */
static int drop_served(struct boot *b, struct boot_served *v, const char *why, char **err)
{
	char how[64], qa[128], qb[1024];
	boot_child_end(&v->ch, how, sizeof how);
	int rc = boot_measure(b, BOOT_PCR_DRIVERS, err,
			      "xdrv.driver.ended name=%s process=%s reason=%s", v->name,
			      boot_q(how, qa, sizeof qa), boot_q(why, qb, sizeof qb));
	printf("boot: serving: driver %s ended (%s): %s\n", v->name, how, why);
	fflush(stdout);
	hvb_split_stop(v->server);
	hvb_split_plan_free(v->plan);
	free(v->plan);
	ldr_gen_free(v->gen);
	size_t k = (size_t)(v - b->served);
	memmove(v, v + 1, (b->nserved - k - 1) * sizeof *v);
	b->nserved--;
	return rc;
}

/* The change ldr_gen compiled (rec): measured, sent, answered. 0 live; negative refused (f
 * says why) or, with b->fatal, the boot cannot measure any more. */
static int swap(struct boot *b, struct boot_served *v, struct ldr_compiled *rec, FILE *f)
{
	char *err = NULL, hex[65], params[1024], qa[1024], qb[256];
	uint8_t d[32];
	uint8_t *w = NULL, *msg = NULL;
	size_t wl = 0, nv = 0;
	uint32_t gen = ldr_compiled_generation(rec), what = ldr_gen_what(v->gen);
	const char *change = ldr_gen_change(v->gen), *subject = ldr_gen_subject(v->gen);
	ldr_compiled_sha256(rec, d);
	xdrv_hex(d, 32, hex);
	params_text(v->gen, ldr_gen_job_values(v->gen, &nv), params, sizeof params);
	struct ldr_timings t;
	ldr_compiled_timings(rec, &t);
	/* measured before the driver's process links it, as a JIT event is before the probe */
	int rc = boot_measure(b, BOOT_PCR_DRIVERS, &err,
			      "xdrv.driver.swap name=%s generation=%u what=%s change=%s params=%s "
			      "patch=%s object_sha256=%s functions=%u",
			      v->name, gen, what == LDR_SWAP_TIER2 ? "tier2" : ldr_swap_name(what),
			      boot_q(change, qa, sizeof qa), boot_q(params, qb, sizeof qb),
			      *subject ? subject : "none", hex, ldr_compiled_functions(rec));
	if (!rc)
		rc = ldr_compiled_wire_write(rec, &w, &wl, &err);
	size_t cl = strlen(change);
	if (!rc && !(msg = malloc(8 + cl + 1)))
		rc = xdrv_err(&err, -ENOMEM, "out of memory");
	if (!rc) {
		put32(msg, what);
		put32(msg + 4, (uint32_t)cl);
		memcpy(msg + 8, change, cl + 1); /* its NUL is not sent */
		rc = send_frame(v, 'S', msg, 8 + cl, w, wl, b->cfg->probe_timeout_ms, &err);
	}
	free(msg);
	free(w);
	int gone = 0;
	if (!rc) {
		struct boot_answer *a = malloc(sizeof *a);
		rc = a ? boot_child_recv(&v->ch, b->cfg->probe_timeout_ms, a, &err)
		       : xdrv_err(&err, -ENOMEM, "out of memory");
		if (!a) {
			/* nothing read: its answer is still coming, it cannot be served on */
			gone = 1;
		} else if (rc) {
			gone = 1; /* dead, hung, or answering nonsense: no longer served */
			if (rc == -EINTR)
				xdrv_err(&err, rc, "the boot was stopped during the swap");
		} else if (a->kind == 'F' && a->nfields == 2) {
			rc = (int)strtol(a->field[0], NULL, 10);
			rc = rc < 0 && rc > -4096 ? rc : -EIO;
			char esc[1024];
			xdrv_err(&err, rc, "its process refused it: %s",
				 xdrv_escape_text(a->field[1], esc, sizeof esc));
		} else if (a->kind != 'S' || a->nfields != 4 || !numeric(a, 2, 2) ||
			   strtoul(a->field[0], NULL, 10) != gen || strcmp(a->field[1], hex) != 0) {
			gone = 1;
			rc = xdrv_err(&err, -EBADMSG,
				      "its process answered a swap it was not sent (generation %u, "
				      "object %s)",
				      gen, hex);
		} else {
			v->swaps++;
			snprintf(v->object, sizeof v->object, "%s", hex);
			v->compile_ms = (double)t.jit_ns / 1e6;
			snprintf(v->swap_us, sizeof v->swap_us, "%s", a->field[3]);
			printf("boot: serving: driver %s: %s: generation %u live (object sha256 "
			       "%.16s..., compiled in %.1f ms, swap %s us: %s slots)\n",
			       v->name, change, gen, hex, (double)t.jit_ns / 1e6, a->field[3],
			       a->field[2]);
			fflush(stdout);
			fprintf(f,
				"driver %s swappable yes generation %u state live swap %s object "
				"%s "
				"compile_ms %.1f swap_us %s\nchange %s\n",
				v->name, gen, ldr_swap_name(what), hex, (double)t.jit_ns / 1e6,
				a->field[3], change);
		}
		free(a);
	}
	ldr_gen_done(v->gen, rc == 0);
	if (rc && !b->fatal) {
		char *merr = NULL;
		if (boot_measure(b, BOOT_PCR_DRIVERS, &merr,
				 "xdrv.driver.swap_refused name=%s generation=%u reason=%s",
				 v->name, gen, boot_q(err ? err : "?", qa, sizeof qa)) != 0) {
			fprintf(f, "error: measuring a refused swap failed: %s\n",
				merr ? merr : "?");
			free(merr);
			free(err);
			return -EIO;
		}
		fprintf(f, "error: driver %s: %s: generation %u not swapped in, %s: %s\n", v->name,
			change, gen, gone ? "its process is ended" : "the running code stays",
			err ? err : "?");
		if (gone)
			drop_served(b, v, err ? err : "swap failed", NULL);
	} else if (rc) {
		fprintf(f, "error: %s\n", err ? err : "measuring failed");
	}
	free(err);
	return rc;
}

static void do_status(struct boot *b, FILE *f)
{
	for (size_t i = 0; i < b->nserved; i++) {
		const struct boot_served *v = &b->served[i];
		fprintf(f, "driver %s device %s generation %u swaps %llu pid %d\n", v->name,
			v->device, ldr_gen_live(v->gen), (unsigned long long)v->swaps,
			(int)v->ch.pid);
	}
	fprintf(f, "ok\n");
}

static const char *type_name(uint32_t t)
{
	static const char *const names[] = {"?", "u32", "u64", "i32", "i64", "bool"};
	return t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static void param_list(const struct boot_served *v, FILE *f)
{
	const uint64_t *vals = NULL;
	size_t n = 0;
	const struct sdk_param *p = ldr_gen_params(v->gen, &vals, &n);
	for (size_t i = 0; i < n; i++) {
		int sgn = p[i].type == XDRV_PARAM_I32 || p[i].type == XDRV_PARAM_I64;
		char val[32], lo[32], hi[32];
		snprintf(val, sizeof val, sgn ? "%lld" : "%llu", (unsigned long long)vals[i]);
		snprintf(lo, sizeof lo, sgn ? "%lld" : "%llu", (unsigned long long)p[i].min);
		snprintf(hi, sizeof hi, sgn ? "%lld" : "%llu", (unsigned long long)p[i].max);
		fprintf(f, "%s %s %s %s..%s %s\n", p[i].name, val,
			(p[i].flags & XDRV_PARAM_F_LIVE) ? "live" : "fixed", lo, hi,
			type_name(p[i].type));
	}
	fprintf(f, "ok\n");
}

static void param_status(const struct boot_served *v, FILE *f)
{
	fprintf(f,
		"driver %s swappable yes generation %u state live swap %s object %s compile_ms "
		"%.1f swap_us %s\n",
		v->name, ldr_gen_live(v->gen), ldr_swap_name(v->swaps ? ldr_gen_what(v->gen) : 0),
		v->swaps ? v->object : "-", v->compile_ms, v->swaps ? v->swap_us : "0.0");
	if (v->swaps)
		fprintf(f, "change %s\n", ldr_gen_change(v->gen));
	fprintf(f, "ok\n");
}

static void patch_list(const struct boot_served *v, FILE *f)
{
	struct ldr_patch_info info[64];
	size_t n = ldr_gen_patches(v->gen, info, sizeof info / sizeof info[0]);
	for (size_t i = 0; i < n && i < sizeof info / sizeof info[0]; i++) {
		char hex[65];
		xdrv_hex(info[i].sha256, 32, hex);
		fprintf(f, "%zu %s %s %s functions=%u\n", i + 1, v->name, info[i].version, hex,
			info[i].functions);
	}
	fprintf(f, "ok\n");
}

/* A change asked for: compiled (ldr_gen), then swapped. */
static int change(struct boot *b, struct boot_served *v, int rc, struct ldr_compiled *rec,
		  char *err, FILE *f)
{
	if (rc) {
		fprintf(f, "error: %s\n", err ? err : "refused");
		free(err);
		return 0; /* refused before anything was measured: nothing changed */
	}
	free(err);
	rc = swap(b, v, rec, f);
	ldr_compiled_free(rec);
	if (!rc)
		fprintf(f, "ok\n");
	return b->fatal ? rc : 0;
}

static int patch_apply(struct boot *b, const char *path, FILE *f)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char *err = NULL;
	if (path[0] != '/') {
		fprintf(f, "error: patch apply wants an absolute path\n");
		return 0;
	}
	int rc = xdrv_read_file(path, LDR_CACHE_ENTRY_MAX, &buf, &len, &err);
	if (rc) {
		fprintf(f, "error: patch %s: %s\n", path, err ? err : "unreadable");
		free(err);
		return 0;
	}
	const char *label = strrchr(path, '/') + 1;
	/* the patch names its driver and base digest: the served driver it is for */
	struct ldr_compiled *rec = NULL;
	struct boot_served *v = NULL;
	for (size_t i = 0; i < b->nserved && !v; i++) {
		char *e = NULL;
		rc = ldr_gen_patch_apply(b->served[i].gen, buf, len, label, b->rev, &rec, &e);
		int other = rc == -ESRCH || (rc == -EINVAL && e && strstr(e, " is for driver "));
		if (!other) {
			v = &b->served[i];
			free(err);
			err = e;
		} else if (!err) {
			err = e; /* said if no served driver is its base */
		} else {
			free(e);
		}
	}
	free(buf);
	if (!v) {
		fprintf(f, "error: %s (it applies to none of the %zu driver(s) served)\n",
			err ? err : "refused", b->nserved);
		free(err);
		return 0;
	}
	return change(b, v, rc, rec, err, f);
}

/* A line for the requester and the boot's own output (a reload by SIGHUP has no requester). */
__attribute__((format(printf, 2, 3))) static void note(FILE *f, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fputs(line, f);
	printf("boot: serving: %s", line);
	fflush(stdout);
}

/* The configuration read again: measured; each served driver's parameters re-specialized
 * where they changed. */
static int reload(struct boot *b, FILE *f)
{
	uint8_t *cbuf = NULL;
	size_t clen = 0;
	char *err = NULL, hex[65], qa[1024];
	struct boot_config *nc = NULL;
	int rc = xdrv_read_file(b->cfg_path, BOOT_CONFIG_MAX, &cbuf, &clen, &err);
	if (!rc) {
		uint8_t d[32];
		unsigned int dl = 32;
		EVP_Digest(cbuf, clen, d, &dl, EVP_sha256(), NULL);
		xdrv_hex(d, 32, hex);
		char *dir = strdup(b->cfg_path);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash)
			*slash = 0;
		rc = boot_config_parse(cbuf, clen, slash ? dir : ".", &nc, &err);
		free(dir);
	}
	free(cbuf);
	if (rc) {
		fprintf(f, "error: reload: %s: %s (nothing changed)\n", b->cfg_path,
			err ? err : "?");
		printf("boot: serving: reload refused: %s\n", err ? err : "?");
		fflush(stdout);
		free(err);
		return 0;
	}
	rc = boot_measure(b, BOOT_PCR_PLATFORM, &err, "xdrv.boot.reload config_sha256=%s path=%s",
			  hex, boot_q(b->cfg_path, qa, sizeof qa));
	if (rc) {
		fprintf(f, "error: %s\n", err ? err : "measuring failed");
		free(err);
		boot_config_free(nc);
		return rc;
	}
	printf("boot: serving: configuration reloaded (sha256 %.16s...)\n", hex);
	fprintf(f, "reload %s sha256 %s\n", b->cfg_path, hex);
	if (nc->ndrivers != b->cfg->ndrivers)
		note(f,
		     "note: %zu drivers configured, %zu booted: drivers added or removed "
		     "take effect at the next boot\n",
		     nc->ndrivers, b->cfg->ndrivers);
	unsigned swaps = 0, failed = 0;
	for (size_t i = 0; i < b->nserved && !b->fatal; i++) {
		struct boot_served *v = &b->served[i];
		const struct boot_driver *od = &b->cfg->drivers[v->index];
		const struct boot_driver *nd =
			v->index < nc->ndrivers ? &nc->drivers[v->index] : NULL;
		if (!nd || strcmp(nd->package, od->package) != 0 ||
		    strcmp(nd->device, od->device) != 0 || strcmp(nd->backend, od->backend) != 0) {
			note(f,
			     "note: driver %s: its package, device or backend changed: that "
			     "takes effect at the next boot\n",
			     v->name);
			continue;
		}
		const uint64_t *vals = NULL;
		size_t np = 0;
		const struct sdk_param *p = ldr_gen_params(v->gen, &vals, &np);
		for (size_t k = 0; k < np && !b->fatal; k++) {
			const char *want = NULL;
			char def[32];
			for (size_t j = 0; j < nd->nparams; j++)
				if (!strcmp(nd->params[j].name, p[k].name))
					want = nd->params[j].value;
			if (!want) { /* left out: the declared default */
				int sgn =
					p[k].type == XDRV_PARAM_I32 || p[k].type == XDRV_PARAM_I64;
				snprintf(def, sizeof def, sgn ? "%lld" : "%llu",
					 (unsigned long long)p[k].def);
				want = def;
			}
			struct ldr_compiled *rec = NULL;
			char *e = NULL;
			char name[64];
			snprintf(name, sizeof name, "%s", p[k].name); /* p may move */
			int r = ldr_gen_param(v->gen, name, want, &rec, &e);
			if (r == -EALREADY) {
				free(e);
				continue;
			}
			if (r == -EPERM) {
				note(f,
				     "note: driver %s: param %s=%s is fixed from probe to remove: "
				     "it takes effect at the next boot\n",
				     v->name, name, want);
				free(e);
				failed++;
				continue;
			}
			if (r) {
				note(f, "note: driver %s: param %s=%s not applied: %s\n", v->name,
				     name, want, e ? e : "?");
				free(e);
				failed++;
				continue;
			}
			free(e);
			size_t before = b->nserved;
			r = swap(b, v, rec, f);
			ldr_compiled_free(rec);
			if (r)
				failed++;
			else
				swaps++;
			if (b->nserved != before) { /* v was ended and taken off the list */
				i--;
				break;
			}
			p = ldr_gen_params(v->gen, &vals, &np);
		}
	}
	boot_config_free(nc);
	printf("boot: serving: reload: %u swap%s, %u not applied\n", swaps, swaps == 1 ? "" : "s",
	       failed);
	fflush(stdout);
	if (b->fatal)
		return -EIO;
	fprintf(f, "%s", failed ? "error: some changes were not applied (above)\n" : "ok\n");
	return 0;
}

/* A live update of a served driver: the new package checked as the boot checks a driver's
 * (signature, vendor, revocation, floor) and its security_version not below the running one's,
 * compiled by the compiler process, measured (xdrv.driver.update, PCR 12), then sent to the
 * driver's process, which replaces the driver on the same device with its interfaces and disks
 * kept. The floor is raised as at boot. */
static int do_update(struct boot *b, const char *path, FILE *f)
{
	struct drv_state s;
	struct boot_driver d;
	char *err = NULL, qa[1024], qb[512], hex[65];
	struct ldr_compiled *rec = NULL;
	struct ldr_gen *g = NULL;
	uint8_t *w = NULL;
	size_t wl = 0;
	memset(&s, 0, sizeof s);
	memset(&d, 0, sizeof d);
	if (path[0] != '/') {
		fprintf(f, "error: update wants the absolute path of a package, not '%s'\n", path);
		return 0;
	}
	d.package = (char *)path;
	s.d = &d;
	s.base = strrchr(path, '/') + 1;
	int rc = boot_check_package(b, &s, &err);
	struct boot_served *v = NULL;
	for (size_t i = 0; !rc && i < b->nserved && !v; i++)
		if (!strcmp(b->served[i].name, s.name))
			v = &b->served[i];
	if (!rc && !v)
		rc = xdrv_err(&err, -ENOENT, "is driver %s, which the boot does not serve", s.name);
	if (!rc && s.secver < v->secver)
		rc = xdrv_err(&err, -EKEYREVOKED,
			      "security_version %llu is below the running %s %s's %llu "
			      "(security_version only goes up)",
			      (unsigned long long)s.secver, v->name, v->version,
			      (unsigned long long)v->secver);
	/* compiled with the parameters the driver was booted with */
	const struct boot_driver *od = v ? &b->cfg->drivers[v->index] : NULL;
	if (!rc) {
		s.step = "jit";
		rc = ldr_package_compile_mem(b->ctx, s.buf, s.len, s.base, od->params, od->nparams,
					     &rec, &err);
	}
	if (!rc)
		rc = ldr_gen_new(b->ctx, s.buf, s.len, s.base, od->params, od->nparams, rec, &g,
				 &err);
	if (!rc)
		rc = ldr_compiled_wire_write(rec, &w, &wl, &err);
	if (rc) {
		if (b->fatal) { /* the floors' TPM stopped answering */
			fprintf(f, "error: %s\n", err ? err : "the TPM failed");
		} else {
			fprintf(f, "error: update %s: %s: %s; the running driver is unchanged\n",
				s.base, s.step ? s.step : "check", err ? err : "refused");
			printf("boot: serving: update %s refused: %s\n", s.base, err ? err : "?");
			fflush(stdout);
		}
		free(s.buf);
		free(err);
		ldr_gen_free(g);
		ldr_compiled_free(rec);
		return b->fatal ? -EIO : 0;
	}
	uint8_t dg[32];
	ldr_compiled_sha256(rec, dg);
	xdrv_hex(dg, 32, hex);
	/* measured before the driver's process links it */
	rc = boot_measure(b, BOOT_PCR_DRIVERS, &err,
			  "xdrv.driver.update name=%s from=%s version=%s security_version=%llu "
			  "floor=%llu sha256=%s payload_sha256=%s signer=%s issuer=%s "
			  "object_sha256=%s functions=%u",
			  s.name, v->version, s.version, (unsigned long long)s.secver,
			  (unsigned long long)s.floor, s.hex, s.payload,
			  boot_q(s.signed_ok ? s.sig.signer : "unsigned", qa, sizeof qa),
			  boot_q(s.signed_ok ? s.sig.issuer : "", qb, sizeof qb), hex,
			  ldr_compiled_functions(rec));
	if (!rc)
		rc = send_frame(v, 'U', w, wl, NULL, 0, b->cfg->probe_timeout_ms, &err);
	free(w);
	struct boot_answer *a = rc ? NULL : malloc(sizeof *a);
	int gone = rc != 0 && !b->fatal;
	if (!rc && !a) {
		rc = xdrv_err(&err, -ENOMEM, "out of memory");
		gone = 1;
	}
	if (!rc) {
		rc = boot_child_recv(&v->ch, b->cfg->probe_timeout_ms, a, &err);
		gone = rc != 0;
	}
	if (!rc && a->kind == 'F' && a->nfields == 2) {
		char esc[1400];
		rc = (int)strtol(a->field[0], NULL, 10);
		rc = rc < 0 && rc > -4096 ? rc : -EIO;
		xdrv_err(&err, rc, "its process refused it: %s",
			 xdrv_escape_text(a->field[1], esc, sizeof esc));
	} else if (!rc && (a->kind != 'U' || a->nfields != 6 || !numeric(a, 1, 5) ||
			   strcmp(a->field[0], hex) != 0)) {
		gone = 1;
		rc = xdrv_err(&err, -EBADMSG, "its process answered an update it was not sent");
	}
	if (!rc) {
		printf("boot: serving: driver %s updated %s -> %s (object sha256 %.16s...): %s "
		       "interface(s)/disk(s) kept, %s frame(s) dropped; quiesce %s ms, remove %s "
		       "ms, probe %s ms\n",
		       v->name, v->version, s.version, hex, a->field[1], a->field[2], a->field[3],
		       a->field[4], a->field[5]);
		fflush(stdout);
		fprintf(f,
			"%s %s -> %s (package sha256 %s): %s interface(s)/disk(s) kept, %s "
			"frame(s) in flight dropped; quiesce %s ms, remove %s ms, probe %s "
			"ms\nok\n",
			v->name, v->version, s.version, s.payload, a->field[1], a->field[2],
			a->field[3], a->field[4], a->field[5]);
		ldr_gen_free(v->gen);
		v->gen = g;
		g = NULL;
		snprintf(v->version, sizeof v->version, "%s", s.version);
		v->secver = s.secver;
		v->updates++;
		v->swaps = 0;
		if (b->cfg->raise_floors && s.secver > s.floor &&
		    boot_floors_raise(b->floors, s.name, s.secver, &err) != 0) {
			b->fatal = b->tpm != NULL;
			fprintf(f, "warning: raising the rollback floor: %s\n", err ? err : "?");
		}
	} else if (!b->fatal) {
		char *merr = NULL;
		int mr = boot_measure(b, BOOT_PCR_DRIVERS, &merr,
				      "xdrv.driver.update_refused name=%s version=%s reason=%s",
				      v->name, s.version, boot_q(err ? err : "?", qa, sizeof qa));
		fprintf(f, "error: update of %s to %s: %s%s\n", v->name, s.version, err ? err : "?",
			gone ? "; its process is ended" : "");
		printf("boot: serving: update of %s to %s failed: %s\n", v->name, s.version,
		       err ? err : "?");
		fflush(stdout);
		if (gone)
			drop_served(b, v, err ? err : "update failed", NULL);
		free(merr);
		(void)mr; /* a measurement that failed set b->fatal */
	} else {
		fprintf(f, "error: %s\n", err ? err : "measuring failed");
	}
	free(a);
	ldr_gen_free(g);
	ldr_compiled_free(rec);
	free(s.buf);
	free(err);
	return b->fatal ? -EIO : 0;
}

/* One request line, answered into f. Negative only when the boot cannot go on. */
static int serve_line(struct boot *b, char *req, FILE *f)
{
	char *save = NULL;
	char *w0 = strtok_r(req, " ", &save), *w1 = strtok_r(NULL, " ", &save);
	char *w2 = strtok_r(NULL, " ", &save), *w3 = strtok_r(NULL, " ", &save);
	char *w4 = strtok_r(NULL, " ", &save), *w5 = strtok_r(NULL, " ", &save);
	struct boot_served *v = NULL;
	struct ldr_compiled *rec = NULL;
	char *err = NULL;
	(void)w5;
	if (!w0) {
		fprintf(f, "error: an empty request\n");
	} else if (!strcmp(w0, "status") && !w1) {
		do_status(b, f);
	} else if (!strcmp(w0, "reload") && !w1) {
		return reload(b, f);
	} else if (!strcmp(w0, "update") && w1 && !w2) {
		return do_update(b, w1, f);
	} else if (!strcmp(w0, "param") && w1 && (!strcmp(w1, "list") || !strcmp(w1, "status")) &&
		   !w3) {
		if ((v = served_named(b, w2, f)))
			(!strcmp(w1, "list") ? param_list : param_status)(v, f);
	} else if (!strcmp(w0, "param") && w1 && !strcmp(w1, "set") && w4 && !w5) {
		if ((v = served_named(b, w2, f)))
			return change(b, v, ldr_gen_param(v->gen, w3, w4, &rec, &err), rec, err, f);
	} else if (!strcmp(w0, "patch") && w1 && !strcmp(w1, "list") && !w3) {
		if ((v = served_named(b, w2, f)))
			patch_list(v, f);
	} else if (!strcmp(w0, "patch") && w1 && !strcmp(w1, "apply") && w2 && !w3) {
		return patch_apply(b, w2, f);
	} else if (!strcmp(w0, "patch") && w1 && !strcmp(w1, "revert") && !w3) {
		if ((v = served_named(b, w2, f)))
			return change(b, v, ldr_gen_patch_revert(v->gen, &rec, &err), rec, err, f);
	} else {
		fprintf(f, "error: unknown request (status, reload, update PATH, param list|status "
			   "[DRIVER], "
			   "param set DRIVER NAME VALUE, patch list [DRIVER], patch apply PATH, "
			   "patch revert [DRIVER])\n");
	}
	return 0;
}

/* A client: its credentials checked, its line read (a short deadline), answered. */
static int serve_client(struct boot *b, int cfd)
{
	char req[REQ_MAX];
	if (xdrv_ctl_read_line(cfd, "boot", req, sizeof req) != 0)
		return 0; /* answered */
	FILE *f = fdopen(dup(cfd), "w");
	if (!f)
		return 0;
	int rc = serve_line(b, req, f);
	fclose(f);
	return rc;
}

int boot_serve(struct boot *b, char **err)
{
	int lfd = -1, rc = 0;
	char sig[32];
	if (b->control && (lfd = xdrv_ctl_listen(b->control, 0, err)) < 0) {
		xdrv_err_prefix(err, "control socket %s", b->control);
		return lfd;
	}
	struct sigaction sa = {.sa_handler = on_hup}, old_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, &old_hup);
	reload_wanted = 0;
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* tier auto: each driver's code compiled again at the optimized level and swapped in,
	 * measured as any swap */
	for (size_t i = 0; b->tier2_opt && i < b->nserved && !rc; i++) {
		struct ldr_compiled *rec = NULL;
		char *e = NULL;
		FILE *sink = fopen("/dev/null", "w");
		size_t before = b->nserved;
		int r = ldr_gen_tier2(b->served[i].gen, b->tier2_opt, &rec, &e);
		if (r)
			printf("boot: serving: driver %s: tier 2 (O%u) not compiled, O0 runs on: "
			       "%s\n",
			       b->served[i].name, b->tier2_opt, e ? e : "?");
		else if (swap(b, &b->served[i], rec, sink ? sink : stderr) != 0 && b->fatal)
			rc = xdrv_err(err, -EIO, "measuring tier 2 failed");
		if (b->nserved != before)
			i--; /* the driver's process was ended: the next one moved here */
		if (sink)
			fclose(sink);
		ldr_compiled_free(rec);
		free(e);
	}
	if (rc) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		if (lfd >= 0) {
			close(lfd);
			unlink(b->control);
		}
		return rc;
	}
	printf("boot: serving %zu driver(s)%s%s: code swaps measured into PCR 12; SIGHUP reloads "
	       "the configuration, SIGINT or SIGTERM ends the boot\n",
	       b->nserved, b->control ? "; control socket " : "", b->control ? b->control : "");
	fflush(stdout);
	while (!rc && !boot_stop_signal()) {
		if (reload_wanted) {
			reload_wanted = 0;
			FILE *sink = fopen("/dev/null", "w");
			rc = reload(b, sink ? sink : stderr);
			if (sink)
				fclose(sink);
			continue;
		}
		struct pollfd p[1 + BOOT_MAX_DRIVERS];
		size_t np = 0;
		p[np++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (size_t i = 0; i < b->nserved && np < sizeof p / sizeof p[0]; i++)
			p[np++] = (struct pollfd){.fd = b->served[i].ch.pidfd, .events = POLLIN};
		int n = ppoll(p, np, NULL, &old);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = xdrv_err(err, -errno, "serving: %s", strerror(errno));
			break;
		}
		for (size_t i = np; i-- > 1;) /* a driver's process that ended on its own */
			if (p[i].revents && i - 1 < b->nserved)
				rc = drop_served(b, &b->served[i - 1],
						 "its process ended while served", err);
		if (!rc && p[0].revents) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (cfd >= 0) {
				rc = serve_client(b, cfd);
				close(cfd);
				if (rc && err && !*err)
					xdrv_err(err, rc, "serving: a measurement failed");
			}
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (lfd >= 0) {
		close(lfd);
		unlink(b->control);
	}
	if (!rc)
		printf("boot: serving ended by %s\n",
		       boot_signal_name(boot_stop_signal(), sig, sizeof sig));
	fflush(stdout);
	return rc;
}

void boot_serve_end(struct boot *b)
{
	for (size_t i = 0; i < b->nserved; i++) {
		struct boot_served *v = &b->served[i];
		/* removed by the driver's own process (it unbinds), else killed */
		if (send_frame(v, 'E', NULL, 0, NULL, 0, 1000, NULL) == 0 && v->ch.pidfd >= 0) {
			struct pollfd p = {.fd = v->ch.pidfd, .events = POLLIN};
			poll(&p, 1, (int)b->cfg->probe_timeout_ms);
		}
		boot_child_end(&v->ch, NULL, 0);
		hvb_split_stop(v->server);
		hvb_split_plan_free(v->plan);
		free(v->plan);
		ldr_gen_free(v->gen);
	}
	free(b->served);
	b->served = NULL;
	b->nserved = 0;
}
