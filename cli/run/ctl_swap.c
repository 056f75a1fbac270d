// SPDX-License-Identifier: MIT
/*
 * Code swaps in a driver domain (`xdrv param set`, `xdrv patch apply|revert` against `xdrv run
 * --control` without --in-process; ctl.c has the protocol). The roles split as the loader's
 * struct ldr_gen has them (loader/gen.c):
 *
 *   supervisor, relay thread (here)      compiler process              driver host (here too)
 *   the request checked against the      generation N compiled from    the swap message parsed,
 *   running values and live patches; --> the package the run loaded -> the object linked into
 *   a patch read and verified; the       (the same bytes), the live    the running image, every
 *   object's digest logged               values and patches            slot stored at once
 *
 * One change at a time, synchronously: the client's request is answered once the driver host
 * has made the new generation live (or refused it; then nothing changed, and `param status`
 * says "failed" with the reason).
 *
 * A restarted driver host: it is forked from the supervisor, and the record of the generation
 * the supervisor last saw go live is kept here (an atomic pointer, replaced only after the
 * host's answer); the new host links generation 0 (the record it was forked with) and swaps that
 * generation in before its first dispatch (run_swap_catch_up), so the live values and patches
 * survive a restart, and the log says so. Known limit: a host that dies between sending its
 * answer and the relay reading it (the relay reads at once; a restart waits 10 ms at least) can
 * be restarted with the generation before; the next change compiles from the supervisor's
 * state and brings it level.
 *
 * `--tier auto` (run_swap_set_run): generation 0 is compiled at O0; before its first request
 * the relay has tier 2 compiled at the optimized level (ldr_gen_tier2) and handed over as any
 * generation, logged as the in-process tier 2 is; later changes compile at that level.
 *
 * `xdrv update PATH` (update()): the new version read here, compiled by the compiler process
 * with the run's parameters (swappable, generation 0 of its own), checked as in process
 * (run_update_check: signed, not revoked, the same driver, security_version not going down, the
 * --floors floor), then sent (RUN_CTL_SWAP_UPDATE); the driver host links it and replaces the
 * driver on the device, keeping its interfaces and disks (run_update_host). On the host's "ok"
 * the supervisor's state is the new version's: its ldr_gen for later changes, and the record a
 * restarted driver host is linked from (run_swap_base) instead of the run's first.
 */
#include "ctl.h"

#include "ctl_msg.h"
#include "run_ext.h"
#include "update.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <xdrv/loader.h>
#include <xdrv/sdk.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#define ANS_MAX 65536

/* A record handed over that went live: what a restarted driver host links or swaps in. */
struct swap_rec {
	uint32_t what;
	char change[RUN_CTL_CHANGE_MAX];
	size_t len;
	uint8_t wire[]; /* ldr_compiled_wire_write's */
};

/* What a driver host forked now starts from: the record of the version `xdrv update` made live
 * (run_swap's base; NULL: the run's first) and the generation of it that runs (owned; NULL: its
 * generation 0). Replaced whole, never changed in place: only the relay thread writes it, and
 * only a host forked from the supervisor reads it (its copy). */
struct swap_snap {
	const struct swap_rec *base;
	struct swap_rec *live;
};

struct run_swap {
	struct ldr_ctx *ctx; /* the relay thread's own */
	struct ldr_gen *g;
	const struct sig_revocation *rev;
	const char *floors;		    /* xdrv update: --floors, or NULL */
	const struct ldr_param_value *pv;   /* the run's parameters (borrowed) */
	size_t npv;			    /* for an update's compile */
	const struct ldr_compiled *running; /* generation 0 of the version that runs */
	struct ldr_compiled *updated;	    /* owned: that record after an update */
	struct swap_rec *base;		    /* its wire bytes, for a restarted host */
	_Atomic(struct swap_snap *) snap;   /* NULL: the run's first record, generation 0 */
	uint32_t tier2_opt;		    /* --tier auto: tier 2's level; 0: none */
	int tier2_due;			    /* the relay has tier 2 to do */
	uint64_t t_gen0;		    /* generation 0 compiled: tier 2's "live after" */
	const volatile int *stop;	    /* the relay's: the run is ending */
	/* the newest swap handed to the driver host, for status */
	uint32_t what, state;
	char change[RUN_CTL_CHANGE_MAX], error[512];
	uint8_t obj[32];
	uint64_t compile_ns, swap_ns;
};

/* A record of the wire bytes (NULL when out of memory). */
static struct swap_rec *rec_new(uint32_t what, const char *change, const uint8_t *wire, size_t len)
{
	struct swap_rec *r = malloc(sizeof *r + len);
	if (r) {
		r->what = what;
		snprintf(r->change, sizeof r->change, "%s", change);
		r->len = len;
		memcpy(r->wire, wire, len);
	}
	return r;
}

/* A restarted host starts from s->base and swaps in live (taken; NULL: generation 0). 0, or -1
 * out of memory (then it would start from the snapshot before: the caller says so). */
static int snap_set(struct run_swap *s, struct swap_rec *live)
{
	struct swap_snap *n = calloc(1, sizeof *n);
	if (!n) {
		free(live);
		return -1;
	}
	n->base = s->base;
	n->live = live;
	struct swap_snap *old = atomic_exchange(&s->snap, n);
	if (old)
		free(old->live);
	free(old);
	return 0;
}

int run_swap_new(const struct ldr_config *cfg, const uint8_t *pkg, size_t len, const char *label,
		 const struct ldr_param_value *pv, size_t npv, const struct ldr_compiled *gen0,
		 const struct sig_revocation *rev, struct run_swap **out, char **err)
{
	*out = NULL;
	struct run_swap *s = calloc(1, sizeof *s);
	if (!s)
		return xdrv_err(err, -ENOMEM, "out of memory");
	int rc = ldr_ctx_create(cfg, &s->ctx, err);
	if (rc == 0)
		rc = ldr_gen_new(s->ctx, pkg, len, label, pv, npv, gen0, &s->g, err);
	if (rc) {
		run_swap_free(s);
		return rc;
	}
	s->rev = rev;
	s->pv = pv;
	s->npv = npv;
	s->running = gen0;
	s->t_gen0 = xdrv_now_ns();
	s->state = LDR_TIER_LIVE;
	atomic_init(&s->snap, NULL);
	*out = s;
	return 0;
}

void run_swap_set_run(struct run_swap *s, uint32_t opt_level, const char *floors)
{
	if (s) {
		s->tier2_opt = opt_level;
		s->tier2_due = opt_level != 0;
		s->floors = floors;
	}
}

void run_swap_free(struct run_swap *s)
{
	if (!s)
		return;
	struct swap_snap *p = atomic_load(&s->snap);
	if (p)
		free(p->live);
	free(p);
	free(s->base);
	ldr_gen_free(s->g);
	ldr_compiled_free(s->updated);
	ldr_ctx_destroy(s->ctx);
	free(s);
}

int run_ctl_exchange(int pair, uint32_t seq, const void *msg, size_t len, uint64_t timeout_ns,
		     char *ans, size_t cap, const char **err)
{
	*err = NULL;
	if (send(pair, msg, len, 0) < 0) {
		*err = errno == EMSGSIZE ? "too large to hand to the driver host"
					 : "the driver host cannot be reached";
		return -1;
	}
	char tag[16];
	snprintf(tag, sizeof tag, "#%u\n", seq);
	uint64_t until = xdrv_now_ns() + timeout_ns;
	for (;;) {
		uint64_t now = xdrv_now_ns();
		struct pollfd p = {.fd = pair, .events = POLLIN};
		if (now >= until || poll(&p, 1, (int)((until - now) / 1000000u) + 1) <= 0) {
			*err = "the driver host did not answer (restarting?)";
			return -1;
		}
		ssize_t r = recv(pair, ans, cap - 1, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			*err = "the driver host cannot be reached"; /* the run ends: shut down */
			return -1;
		}
		if (r < 0)
			continue;
		ans[r] = 0;
		if (strncmp(ans, tag, strlen(tag)) != 0)
			continue; /* a late answer to an earlier request */
		size_t tl = strlen(tag);
		memmove(ans, ans + tl, (size_t)r - tl + 1);
		return 0;
	}
}

/* The status of the code that runs in the driver host, as the in-process one reads. */
static void status(struct run_swap *s, FILE *f)
{
	struct ldr_tier_info ti;
	memset(&ti, 0, sizeof ti);
	ti.state = s->state;
	ti.what = s->what;
	ti.generation = ldr_gen_live(s->g);
	ti.swappable = 1;
	snprintf(ti.change, sizeof ti.change, "%s", s->change);
	snprintf(ti.error, sizeof ti.error, "%s", s->error);
	memcpy(ti.obj_sha256, s->obj, 32);
	ti.compile_ns = s->compile_ns;
	ti.swap_ns = s->swap_ns;
	run_ctl_status_print(f, ldr_gen_name(s->g), &ti);
}

/* The change compiled (rec) handed to the driver host and its answer taken: 0 live, -1 not
 * (s->error says why). The log names the object the supervisor measured. */
static int hand_over(struct run_swap *s, int pair, uint32_t seq, struct ldr_compiled *rec,
		     uint64_t compile_ns)
{
	const char *name = ldr_gen_name(s->g);
	uint32_t gen = ldr_compiled_generation(rec);
	uint8_t *wire = NULL, *msg = NULL;
	size_t wlen = 0, mlen = 0;
	char *err = NULL, hex[65], got[65] = "";
	uint8_t d[32]; /* the object's SHA-256, as the host's status and the in-process one say */
	size_t olen = 0;
	const uint8_t *obj = ldr_compiled_object(rec, &olen);
	unsigned int dl = 32;
	if (!obj || !EVP_Digest(obj, olen, d, &dl, EVP_sha256(), NULL))
		memset(d, 0, sizeof d);
	xdrv_hex(d, sizeof d, hex);
	s->what = ldr_gen_what(s->g);
	snprintf(s->change, sizeof s->change, "%s", ldr_gen_change(s->g));
	s->compile_ns = compile_ns;
	s->swap_ns = 0;
	int rc = ldr_compiled_wire_write(rec, &wire, &wlen, &err);
	if (rc == 0)
		rc = run_ctl_swap_write(seq, s->what, s->change, wire, wlen, &msg, &mlen, &err);
	static char ans[ANS_MAX];
	const char *xerr = NULL;
	if (rc == 0 &&
	    run_ctl_exchange(pair, seq, msg, mlen, 60000000000ull, ans, sizeof ans, &xerr) != 0)
		rc = xdrv_err(&err, -EIO, "%s", xerr);
	unsigned hgen = 0, slots = 0;
	double swap_us = 0;
	if (rc == 0 && !strncmp(ans, "error: ", 7)) {
		char esc[400]; /* the host's text: one line, escaped */
		ans[strcspn(ans, "\n")] = 0;
		rc = xdrv_err(&err, -EIO, "the driver host refused generation %u: %s", gen,
			      xdrv_escape_text(ans + 7, esc, sizeof esc));
	} else if (rc == 0 && (sscanf(ans, "generation %u object %64s swap_us %lf slots %u", &hgen,
				      got, &swap_us, &slots) != 4 ||
			       hgen != gen || strcmp(got, hex) != 0)) {
		rc = xdrv_err(&err, -EIO,
			      "the driver host's answer does not name generation %u with object "
			      "sha256 %.16s...",
			      gen, hex);
	}
	/* tier 2 is the run's own doing (--tier auto), not a control request's */
	bool tier2 = s->what == LDR_SWAP_TIER2;
	const char *who = tier2 ? "domain" : "control";
	if (rc == 0) {
		/* a restarted host runs it (without: generation 0, said below) */
		int kept = snap_set(s, rec_new(s->what, s->change, wire, wlen));
		ldr_gen_done(s->g, 1);
		s->state = LDR_TIER_LIVE;
		s->error[0] = 0;
		memcpy(s->obj, d, 32);
		if (!(swap_us >= 0 && swap_us < 1e12)) /* the host's number: not trusted */
			swap_us = 0;
		s->swap_ns = (uint64_t)(swap_us * 1000.0);
		printf("%s: driver %s: %s: generation %u live in the driver host (compiled by "
		       "the supervisor's compiler process in %" PRIu64 " ms; swap %.1f us; object "
		       "sha256 %s)%s\n",
		       who, name, s->change, gen, compile_ns / 1000000u, swap_us, hex,
		       kept == 0 ? ""
				 : "; out of memory: a restarted driver host would run the "
				   "generation before");
		if (tier2) /* as the in-process tier 2 says it (loader/tier.c) */
			fprintf(stderr,
				"xdrv loader: driver %s: tier 2 (O%u) live after %" PRIu64
				" ms (compiled in %" PRIu64
				" ms in the background; swap %.0f us: %u slots)\n",
				name, s->tier2_opt, (xdrv_now_ns() - s->t_gen0) / 1000000u,
				compile_ns / 1000000u, swap_us, slots);
	} else if (tier2 && s->stop && *s->stop) {
		ldr_gen_done(s->g, 0);
		s->state = LDR_TIER_FAILED;
		snprintf(s->error, sizeof s->error, "the run ended before tier 2 was swapped in");
		printf("domain: driver %s: %s: generation %u not swapped in: the run ended first\n",
		       name, s->change, gen);
	} else {
		ldr_gen_done(s->g, 0);
		s->state = LDR_TIER_FAILED;
		snprintf(s->error, sizeof s->error, "%s", err ? err : "?");
		printf("%s: driver %s: %s: generation %u (object sha256 %s) FAILED, "
		       "generation %u "
		       "keeps running: %s\n",
		       who, name, s->change, gen, hex, ldr_gen_live(s->g), s->error);
		if (tier2) {
			char esc[400];
			fprintf(stderr,
				"xdrv loader: driver %s: tier 2 (O%u) FAILED, tier 1 (O0) keeps "
				"running: %s\n",
				name, s->tier2_opt, xdrv_escape_text(s->error, esc, sizeof esc));
		}
	}
	fflush(stdout);
	free(err);
	free(wire);
	free(msg);
	return rc ? -1 : 0;
}

/* A change asked of ldr_gen (rc and rec as it answered), made live in the driver host;
 * `said` answers the client on success. */
static void change(struct run_swap *s, int pair, uint32_t seq, int rc, struct ldr_compiled *rec,
		   char *err, uint64_t t0, FILE *f, const char *said)
{
	if (rc == 0 && hand_over(s, pair, seq, rec, xdrv_now_ns() - t0) != 0)
		fprintf(f, "error: %s\n", s->error);
	else if (rc == 0)
		fprintf(f, "%s\nok\n", said);
	else
		fprintf(f, "error: %s\n", err ? err : strerror(-rc));
	ldr_compiled_free(rec);
	free(err);
}

/* "REQUEST" or "REQUEST DRIVER" (as main's ctl_param.c takes them): 1 when it asks for this
 * run's driver (or none), -1 after saying another driver's into f, 0 another request. */
static int is_request(struct run_swap *s, FILE *f, const char *args, const char *req)
{
	size_t n = strlen(req);
	if (strncmp(args, req, n) != 0 || (args[n] && args[n] != ' '))
		return 0;
	if (args[n] && strcmp(args + n + 1, ldr_gen_name(s->g)) != 0) {
		fprintf(f, "error: this run drives %s, not %s\n", ldr_gen_name(s->g), args + n + 1);
		return -1;
	}
	return 1;
}

static void param(struct run_swap *s, int pair, uint32_t seq, char *args, FILE *f)
{
	int list = is_request(s, f, args, "list"), st = 0;
	if (list < 0 || (!list && (st = is_request(s, f, args, "status")) < 0))
		return;
	if (list) {
		const uint64_t *vals = NULL;
		size_t n = 0;
		const struct sdk_param *p = ldr_gen_params(s->g, &vals, &n);
		run_ctl_params_print(f, p, n, vals);
		fprintf(f, "ok\n");
		return;
	}
	if (st) {
		status(s, f);
		return;
	}
	if (strncmp(args, "set ", 4) != 0) {
		fprintf(f, "error: unknown param request (list, status, set DRIVER NAME VALUE)\n");
		return;
	}
	char *save = NULL;
	char *drv = strtok_r(args + 4, " ", &save);
	char *name = strtok_r(NULL, " ", &save);
	char *value = strtok_r(NULL, " ", &save);
	if (!drv || !name || !value || strtok_r(NULL, " ", &save)) {
		fprintf(f, "error: param set wants DRIVER NAME VALUE\n");
		return;
	}
	if (strcmp(drv, ldr_gen_name(s->g)) != 0) {
		fprintf(f, "error: this run drives %s, not %s\n", ldr_gen_name(s->g), drv);
		return;
	}
	char *err = NULL, said[300];
	struct ldr_compiled *rec = NULL;
	uint64_t t0 = xdrv_now_ns();
	int rc = ldr_gen_param(s->g, name, value, &rec, &err);
	snprintf(said, sizeof said, "compiling %s=%s", name, value);
	change(s, pair, seq, rc, rec, err, t0, f, said);
}

static void patch(struct run_swap *s, int pair, uint32_t seq, char *args, FILE *f)
{
	char *err = NULL;
	struct ldr_compiled *rec = NULL;
	uint64_t t0 = xdrv_now_ns();
	int rc, list = is_request(s, f, args, "list"), rev = 0;
	if (list < 0 || (!list && (rev = is_request(s, f, args, "revert")) < 0))
		return;
	if (list) {
		struct ldr_patch_info info[64];
		size_t n = ldr_gen_patches(s->g, info, sizeof info / sizeof info[0]);
		run_ctl_patches_print(
			f, ldr_gen_name(s->g), info,
			n < sizeof info / sizeof info[0] ? n : sizeof info / sizeof info[0]);
		fprintf(f, "ok\n");
		return;
	} else if (!strncmp(args, "apply ", 6) && args[6] == '/') {
		const char *path = args + 6;
		const char *base = strrchr(path, '/') + 1;
		uint8_t *buf = NULL;
		size_t len = 0;
		rc = run_ext_read(path, &buf, &len, &err); /* read here: the host opens nothing */
		if (rc)
			xdrv_err_prefix(&err, "patch %s", base);
		else
			rc = ldr_gen_patch_apply(s->g, buf, len, base, s->rev, &rec, &err);
		free(buf);
	} else if (!strncmp(args, "apply ", 6)) {
		fprintf(f, "error: patch apply wants an absolute path\n");
		return;
	} else if (rev) {
		rc = ldr_gen_patch_revert(s->g, &rec, &err);
	} else {
		fprintf(f, "error: unknown patch request (list, apply PATH, revert)\n");
		return;
	}
	change(s, pair, seq, rc, rec, err, t0, f, "compiling");
}

void run_swap_tier2(struct run_swap *s, int pair, uint32_t seq, const volatile int *stop)
{
	if (!s || !s->tier2_due)
		return;
	s->tier2_due = 0;
	s->stop = stop;
	char *err = NULL;
	struct ldr_compiled *rec = NULL;
	uint64_t t0 = xdrv_now_ns();
	int rc = ldr_gen_tier2(s->g, s->tier2_opt, &rec, &err);
	if (rc == 0) {
		hand_over(s, pair, seq, rec, xdrv_now_ns() - t0);
	} else {
		char esc[400];
		s->state = LDR_TIER_FAILED;
		snprintf(s->error, sizeof s->error, "%s", err ? err : strerror(-rc));
		printf("domain: driver %s: tier 2 (O%u) not compiled, O0 runs on: %s\n",
		       ldr_gen_name(s->g), s->tier2_opt, s->error);
		fflush(stdout);
		fprintf(stderr,
			"xdrv loader: driver %s: tier 2 (O%u) FAILED, tier 1 (O0) keeps running: "
			"%s\n",
			ldr_gen_name(s->g), s->tier2_opt,
			xdrv_escape_text(s->error, esc, sizeof esc));
	}
	ldr_compiled_free(rec);
	free(err);
}

/* The driver host's answer to an update names the package the supervisor checked and ends in
 * "ok": the new version runs. */
static bool update_done(const char *ans, const char *digest)
{
	char want[96];
	size_t n = strlen(ans);
	snprintf(want, sizeof want, "(package sha256 %s)", digest);
	return strstr(ans, want) && n >= 3 && !strcmp(ans + n - 3, "ok\n") &&
	       strncmp(ans, "error: ", 7) != 0;
}

/* "update PATH": the new version checked and compiled here, made the driver in the host. */
static void update(struct run_swap *s, int pair, uint32_t seq, const char *path, FILE *f)
{
	uint8_t *buf = NULL, *wire = NULL, *msg = NULL;
	size_t len = 0, wlen = 0, mlen = 0;
	char *err = NULL, change[RUN_CTL_CHANGE_MAX], obj[65] = "", digest[65] = "";
	struct ldr_compiled *rec = NULL;
	struct ldr_gen *g = NULL;
	const struct sdk_manifest *mn = NULL;
	const char *label = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	uint64_t t0 = xdrv_now_ns();
	int rc = path[0] != '/'
			 ? xdrv_err(&err, -EINVAL,
				    "update wants the absolute path of a package, not '%s'", path)
			 : run_ext_read(path, &buf, &len, &err);
	/* compiled as the run's driver was (the run's parameters, swappable), then checked */
	if (rc == 0)
		rc = ldr_package_compile_mem(s->ctx, buf, len, label, s->pv, s->npv, &rec, &err);
	if (rc == 0) {
		mn = ldr_compiled_manifest(rec);
		rc = run_update_check(s->rev, s->floors, ldr_compiled_manifest(s->running), mn,
				      ldr_compiled_signature(rec), buf, len, path, &err);
	}
	if (rc == 0)
		rc = ldr_gen_new(s->ctx, buf, len, label, s->pv, s->npv, rec, &g, &err);
	if (rc == 0) {
		uint8_t d[32];
		ldr_compiled_sha256(rec, d);
		xdrv_hex(d, sizeof d, obj);
		snprintf(digest, sizeof digest, "%s", ldr_compiled_signature(rec)->digest_hex);
		snprintf(change, sizeof change, "update to %s %.64s", mn->name,
			 mn->version ? mn->version : "?");
		for (char *c = change; *c; c++) /* printable, as the message wants */
			if (*c < 0x20 || *c > 0x7e)
				*c = '?';
		rc = ldr_compiled_wire_write(rec, &wire, &wlen, &err);
	}
	if (rc == 0)
		rc = run_ctl_swap_write(seq, RUN_CTL_SWAP_UPDATE, change, wire, wlen, &msg, &mlen,
					&err);
	free(buf);
	if (rc != 0) {
		run_update_refused(f, err ? err : strerror(-rc));
		goto out;
	}
	uint64_t compile_ns = xdrv_now_ns() - t0;
	static char ans[ANS_MAX];
	const char *xerr = NULL;
	/* a probe takes its time: give a loaded machine a minute */
	if (run_ctl_exchange(pair, seq, msg, mlen, 60000000000ull, ans, sizeof ans, &xerr) != 0) {
		fprintf(f, "error: update %s: %s\n", path, xerr);
		printf("control: update of %s to %s: %s\n", ldr_gen_name(s->g), change + 10, xerr);
		goto out;
	}
	fputs(ans, f); /* the host's answer, as in process */
	if (!update_done(ans, digest)) {
		printf("control: update of %s: the driver host did not make %s live\n",
		       ldr_gen_name(s->g), change + 10);
		goto out;
	}
	struct swap_rec *nb = rec_new(RUN_CTL_SWAP_UPDATE, change, wire, wlen);
	ldr_gen_free(s->g); /* later changes: of the new version */
	s->g = g;
	g = NULL;
	ldr_compiled_free(s->updated);
	s->running = s->updated = rec;
	rec = NULL;
	free(s->base);
	s->base = nb;
	s->what = 0;
	s->state = LDR_TIER_LIVE;
	s->change[0] = s->error[0] = 0;
	memset(s->obj, 0, sizeof s->obj);
	s->t_gen0 = xdrv_now_ns();
	s->tier2_due = s->tier2_opt != 0; /* its tier 2, as at the start */
	int kept = nb ? snap_set(s, NULL) : -1;
	printf("control: driver %s: %s (package sha256 %s, object sha256 %s, compiled by the "
	       "supervisor's compiler process in %" PRIu64 " ms) live in the driver host%s\n",
	       ldr_gen_name(s->g), change, digest, obj, compile_ns / 1000000u,
	       kept == 0 ? ""
			 : "; out of memory: a restarted driver host would run the version before");
out:
	fflush(stdout);
	ldr_gen_free(g);
	ldr_compiled_free(rec);
	free(err);
	free(wire);
	free(msg);
}

void run_swap_serve(struct run_swap *s, int pair, uint32_t seq, char *req, FILE *f)
{
	if (!strncmp(req, "param ", 6))
		param(s, pair, seq, req + 6, f);
	else if (!strncmp(req, "update ", 7))
		update(s, pair, seq, req + 7, f);
	else
		patch(s, pair, seq, req + 6, f);
}

int run_swap_host(struct ldr_image *img, struct run_update *u, const uint8_t *msg, size_t n,
		  FILE *f)
{
	struct run_ctl_swap m;
	struct ldr_compiled *rec = NULL;
	struct ldr_tier_info ti;
	char *err = NULL;
	int rc = run_ctl_swap_parse(msg, n, &m, &err);
	fprintf(f, "#%u\n", m.seq);
	if (rc == 0 && !img)
		rc = xdrv_err(&err, -ENODEV, "the driver host has no driver image");
	if (rc == 0 && m.what == RUN_CTL_SWAP_UPDATE && !u)
		rc = xdrv_err(&err, -ENOTSUP, "the driver host takes no update");
	if (rc == 0)
		rc = ldr_compiled_wire_read(m.record, m.record_len, &rec, &err);
	if (rc == 0 && m.what == RUN_CTL_SWAP_UPDATE) { /* its answer is the in-process one's */
		run_update_host(u, rec, f);
		ldr_compiled_free(rec);
		return 0;
	}
	if (rc == 0) /* between two dispatches: the run loop serves this */
		rc = ldr_image_swap_generation(img, rec, m.what, m.change, &ti, &err);
	if (rc == 0) {
		char hex[65];
		xdrv_hex(ti.obj_sha256, 32, hex);
		fprintf(f, "generation %u object %s swap_us %.1f slots %u\nok\n", ti.generation,
			hex, (double)ti.swap_ns / 1e3, ti.swapped);
		printf("%s: driver %s: %s: generation %u swapped in the driver host (%u "
		       "slots)\n",
		       m.what == LDR_SWAP_TIER2 ? "domain" : "control", ldr_image_name(img),
		       m.change, ti.generation, ti.swapped);
		fflush(stdout);
	} else {
		fprintf(f, "error: %s\n", err ? err : strerror(-rc));
	}
	ldr_compiled_free(rec);
	free(err);
	return rc;
}

int run_swap_base(const struct run_swap *s, struct ldr_compiled **out, char **err)
{
	const struct swap_snap *p = s ? atomic_load(&((struct run_swap *)s)->snap) : NULL;
	*out = NULL;
	if (!p || !p->base)
		return 0;
	int rc = ldr_compiled_wire_read(p->base->wire, p->base->len, out, err);
	if (rc) {
		xdrv_err_prefix(err,
				"the updated version not linked into the restarted driver host");
		return rc;
	}
	printf("domain: the restarted driver host links the version it was updated to (%s)\n",
	       p->base->change);
	fflush(stdout);
	return 0;
}

int run_swap_catch_up(const struct run_swap *s, struct ldr_image *img, char **err)
{
	const struct swap_snap *p = s ? atomic_load(&((struct run_swap *)s)->snap) : NULL;
	const struct swap_rec *r = p ? p->live : NULL;
	if (!r)
		return 0;
	struct ldr_compiled *rec = NULL;
	struct ldr_tier_info ti;
	int rc = ldr_compiled_wire_read(r->wire, r->len, &rec, err);
	if (rc == 0)
		rc = ldr_image_swap_generation(img, rec, r->what, r->change, &ti, err);
	ldr_compiled_free(rec);
	if (rc) {
		xdrv_err_prefix(err,
				"the live generation not swapped into the restarted driver host");
		return rc;
	}
	printf("domain: the restarted driver host runs generation %u again (%s)\n", ti.generation,
	       r->change);
	fflush(stdout);
	return 0;
}
