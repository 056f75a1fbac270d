// SPDX-License-Identifier: MIT
/*
 * The measured boot sequence of `xdrv boot` (docs/BOOT.md):
 *
 *   platform, into PCR 11: the loader (SHA-256 of /proc/self/exe), the boot configuration (the
 *   bytes parsed), the trust anchor, the policy, the revocation inputs;
 *   per driver, into PCR 12: signature chain -> revocation (CRL, deny-list, security_version vs
 *   its floor) -> package event -> JIT -> JIT event (loader and LLVM versions, host CPU and
 *   features, optimization level and mode, specialization values, safety policy, object code
 *   digest in eager mode, whether the object came from the object cache) -> probe -> probe
 *   event; a refusal is measured too.
 *
 * Each event is appended to the log, the log is rewritten (atomically), then the digest is
 * extended into the TPM: a crash or a TPM that stops answering leaves a log that is a prefix of
 * what was meant, never one that claims less than the PCRs hold. Every byte measured is the byte
 * used: the configuration and each package are read once and parsed from that copy.
 */
#include "boot_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <llvm-c/Core.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xdrv/abi.h"
#include "xdrv/domain.h"
#include "xdrv/ext.h"
#include "xdrv/ext_host.h"
#include "xdrv/hvb.h"
#include "xdrv/hvb_split.h"
#include "xdrv/revocation.h"
#include "xdrv/runtime.h"
#include "xdrv/sandbox.h"
#include "xdrv/sdk.h"
#include "xdrv/signer.h"
#include "xdrv/util.h"
#include "xdrv/wire.h"

#define PKG_MAX	 (64u << 20)  /* a driver package; SDK caps admit 32 MiB of members */
#define EXE_MAX	 (1u << 30)   /* the loader binary (a sanitizer build is ~100 MiB) */
#define TEXT_MAX EVL_MAX_DATA /* one event's text */

static int file_hex(const char *path, size_t max, char hex[65], char **err)
{
	uint8_t *b = NULL;
	size_t n = 0;
	int rc = xdrv_read_file(path, max, &b, &n, err);
	if (!rc)
		boot_sha256_hex(b, n, hex);
	free(b);
	return rc;
}

/* ---- platform -------------------------------------------------------------------------------- */
static int measure_platform(struct boot *b, const char *cfg_path, const char *cfg_hex, char **err)
{
	struct boot_config *c = b->cfg;
	unsigned maj = 0, min = 0, pat = 0;
	LLVMGetVersion(&maj, &min, &pat);
	int rc = file_hex("/proc/self/exe", EXE_MAX, b->exe_hex, err);
	if (rc) {
		xdrv_err_prefix(err, "measuring the loader");
		return rc;
	}
	char qa[512], qb[512], qc[512];
	rc = boot_measure(b, BOOT_PCR_PLATFORM, err,
			  "xdrv.loader sha256=%s abi=%u.%u.%u llvm=%u.%u.%u source_date=%lld",
			  b->exe_hex, XDRV_ABI_VERSION / 1000000u, XDRV_ABI_VERSION / 1000u % 1000u,
			  XDRV_ABI_VERSION % 1000u, maj, min, pat, (long long)XDRV_SOURCE_DATE);
	if (!rc)
		rc = boot_measure(b, BOOT_PCR_PLATFORM, err, "xdrv.config sha256=%s path=%s",
				  cfg_hex, boot_q(cfg_path, qa, sizeof qa));
	char root_hex[65] = "none";
	if (!rc && c->trust_root && (rc = file_hex(c->trust_root, 1u << 20, root_hex, err)))
		xdrv_err_prefix(err, "trust root");
	if (!rc)
		rc = boot_measure(b, BOOT_PCR_PLATFORM, err,
				  "xdrv.trust root_sha256=%s time_floor=%lld", root_hex,
				  (long long)c->time_floor);
	char vendors[1024] = "", mins[1024] = "";
	size_t o = 0;
	for (size_t i = 0; i < c->nvendors && o < sizeof vendors; i++)
		o += (size_t)snprintf(vendors + o, sizeof vendors - o, "%s%s", i ? "|" : "",
				      c->vendors[i]);
	o = 0;
	for (size_t i = 0; i < c->nminsv && o < sizeof mins; i++)
		o += (size_t)snprintf(mins + o, sizeof mins - o, "%s%s:%llu", i ? "," : "",
				      c->minsv[i].name, (unsigned long long)c->minsv[i].min);
	if (!rc)
		rc = boot_measure(b, BOOT_PCR_PLATFORM, err,
				  "xdrv.policy require_signatures=%d allowed_vendors=%s safety=%s "
				  "min_security_versions=%s continue_on_failure=%d raise_floors=%d "
				  "jit=%s opt=%u floors=%s floors_state=%s tpm_owner_auth=%s "
				  "jit_timeout_ms=%u probe_timeout_ms=%u",
				  c->require_signatures,
				  boot_q(c->nvendors ? vendors : "*", qa, sizeof qa),
				  boot_q(c->safety, qb, sizeof qb), boot_q(mins, qc, sizeof qc),
				  c->continue_on_failure, c->raise_floors,
				  c->jit_mode == LDR_JIT_LAZY ? "lazy" : "eager", c->opt_level,
				  boot_floors_store(b->floors), boot_floors_state(b->floors),
				  b->tpm_auth, c->jit_timeout_ms, c->probe_timeout_ms);
	char crl_hex[65] = "none", deny_hex[65] = "none";
	size_t nser = 0, ndig = 0;
	sig_revocation_counts(b->rev, &nser, &ndig);
	if (!rc && c->crl)
		rc = file_hex(c->crl, 16u << 20, crl_hex, err);
	if (!rc && c->deny_list)
		rc = file_hex(c->deny_list, 16u << 20, deny_hex, err);
	if (!rc)
		rc = boot_measure(
			b, BOOT_PCR_PLATFORM, err,
			"xdrv.revocation crl_sha256=%s revoked_serials=%zu deny_sha256=%s "
			"denied_digests=%zu crl_number=%llu crl_state=%s",
			crl_hex, nser, deny_hex, ndig, (unsigned long long)b->crl_number,
			b->crl_state ? b->crl_state : "none");
	return rc;
}

/* ---- one driver ------------------------------------------------------------------------------ */

/* An extension's package, checked by the boot process as a driver's is (check_package). */
struct ext_state {
	struct drv_state s;
	struct boot_driver d; /* its package and params, for check_package */
};

/* ---- the driver's process (boot_child.c) ------------------------------------------------------
 * The child compiles, answers 'J' (what the JIT event needs) or 'F' (rc, message), waits for the
 * go, probes and removes the driver, answers 'P' (the device's name) or 'F', and exits. */
static _Noreturn void child_fail(const struct boot_child *ch, int rc, const char *err)
{
	char rcs[16];
	snprintf(rcs, sizeof rcs, "%d", rc);
	const char *f[2] = {rcs, err ? err : "failed"};
	boot_child_answer(ch, 'F', f, 2);
	_exit(0);
}

/* The driver host confines itself here: its code is linked, the JIT event measured, the go
 * received and its device set up, and the driver's code runs next (probe). The driver-host
 * sandbox (xdrv/domain.h, xdrv/sandbox.h): what it has open stays (its pipes to the boot, its
 * device's files), nothing new can be opened, executed, forked or connected; a denied system
 * call ends it with SIGSYS, which the boot measures as the driver's refusal. A build without
 * libseccomp (a cross build) probes unconfined, and says so. */
static int driver_host_confine(struct drv_state *s, char **err)
{
	(void)s;
	if (!xdrv_sandbox_available()) {
		fprintf(stderr, "xdrv boot: this build has no sandbox (no libseccomp): the driver "
				"host runs unconfined\n");
		return 0;
	}
	return ldr_domain_sandbox(NULL, 0, 0, 0, true, NULL, NULL, err);
}

/* In the child, after the go: bind (probe) on the configured device, let it run a little,
 * unbind (remove); *devname gets the device's name. */
static int child_probe(struct drv_state *s, int stay, char *devname, size_t dn, char **err)
{
	const struct xdrv_driver *desc = ldr_image_descriptor(s->img);
	if (!desc)
		return xdrv_err(err, -EINVAL, "no driver descriptor");
	char model[128];
	const char *device = s->host_device ? s->host_device : s->d->device;
	const char *colon = strchr(device, ':');
	size_t n = colon ? (size_t)(colon - device) : strlen(device);
	if (n == 0 || n >= sizeof model)
		return xdrv_err(err, -EINVAL, "device %s: bad model name", s->d->device);
	memcpy(model, device, n);
	model[n] = 0;
	struct hvb_device *dev = NULL;
	int rc = s->split_socket ? hvb_split_frontends(s->split_socket, err) : 0;
	if (!rc)
		rc = hvb_backend_create_spec(s->d->backend, &s->be, err);
	if (!rc)
		rc = hvb_device_create(s->be, model, colon ? colon + 1 : NULL, &dev, err);
	if (!rc && s->d->wire) { /* the NIC's cable: KIND[:OPTIONS] */
		char kind[32];
		const char *wc = strchr(s->d->wire, ':');
		size_t wn = wc ? (size_t)(wc - s->d->wire) : strlen(s->d->wire);
		if (wn == 0 || wn >= sizeof kind)
			return xdrv_err(err, -EINVAL, "wire %s: bad kind", s->d->wire);
		memcpy(kind, s->d->wire, wn);
		kind[wn] = 0;
		rc = hvb_wire_create(kind, wc ? wc + 1 : NULL, &s->wire, err);
		if (!rc)
			rc = hvb_wire_attach(s->wire, dev, err);
		if (rc)
			xdrv_err_prefix(err, "wire %s", s->d->wire);
	}
	if (!rc)
		rc = driver_host_confine(s, err);
	if (!rc)
		rc = ldr_driver_bind(desc, dev, NULL, &s->drv, err);
	if (rc)
		return rc;
	/* the extensions join the interface the driver registered in its probe, before the first
	 * frame; then the wire's traffic runs through them (as xdrv run: open, dispatch) */
	rc = boot_ext_attach(s->drv, s->loads, s->nexts, err);
	if (!rc && s->wire)
		rc = boot_ext_traffic(s->drv, s->wire, s->name, err);
	for (int i = 0; !rc && !s->wire && i < 64 && ldr_driver_dispatch(s->drv) > 0; i++)
		; /* let probe's first interrupts and polls run */
	if (!rc && s->nexts)
		boot_ext_figures(s->drv, s->name, stdout);
	if (rc) {
		ldr_driver_unbind(s->drv);
		return rc;
	}
	snprintf(devname, dn, "%s", hvb_device_name(dev) ? hvb_device_name(dev) : "?");
	if (!stay)
		ldr_driver_unbind(s->drv); /* remove: the boot only probes */
	return 0;
}

/* The driver host. Eager mode: it links the object the compiler process made (`comp`, compiled
 * and measured by the parent; no bitcode here). Lazy mode (comp NULL): it compiles the package
 * itself, function by function as they are first called: the compiler process does not serve
 * lazy compilation (not done), so a lazy boot parses bitcode in the driver's process. */
static _Noreturn void child_jit_and_probe(struct boot *b, struct drv_state *s,
					  const struct boot_child *ch,
					  const struct ldr_compiled *comp)
{
	char *err = NULL, params[1024] = "", devname[128];
	if (b->serve) {
		/* served: the boot ends this process (the frame 'E', else SIGKILL), and its own
		 * death takes it; the terminal's and the operator's signals are the boot's */
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	/* the cache's key is no business of the driver's code, which runs in this process from
	 * the go on: wiped from memory first (cache.c; the process is not sandboxed yet, so what
	 * it can read on disk it still can) */
	if (comp)
		ldr_ctx_drop_cache(b->ctx);
	int rc = comp ? ldr_image_load_compiled(b->ctx, comp, &s->img, &err)
		      : ldr_image_load_buf(b->ctx, s->buf, s->len, s->base, s->d->params,
					   s->d->nparams, &s->img, &err);
	if (!rc)
		rc = boot_ext_link(b->ctx, s->loads, s->nexts, &err);
	if (rc)
		child_fail(ch, rc, err);
	const struct sdk_manifest *m = ldr_image_manifest(s->img);
	size_t nv = 0, o = 0;
	const uint64_t *vals = ldr_image_param_values(s->img, &nv);
	for (size_t i = 0; m && i < nv && i < m->desc.nparams && o < sizeof params; i++)
		o += (size_t)snprintf(params + o, sizeof params - o, "%s%s=%llu", i ? "," : "",
				      m->desc.params[i].name, (unsigned long long)vals[i]);
	uint8_t od[32];
	char obj[65] = "none-lazy", nfun[16];
	if (ldr_image_object_digest(s->img, od) == 0)
		xdrv_hex(od, 32, obj);
	snprintf(nfun, sizeof nfun, "%u", ldr_image_total_functions(s->img));
	ldr_ctx_drop_cache(b->ctx);
	const char *jf[4] = {params, obj, nfun, ldr_image_cache_state(s->img)};
	if (boot_child_answer(ch, 'J', jf, 4) || boot_child_wait_go(ch))
		_exit(1); /* the parent is gone */
	/* measured: now the driver's code may run */
	rc = child_probe(s, b->serve, devname, sizeof devname, &err);
	if (rc)
		child_fail(ch, rc, err);
	fflush(NULL);
	const char *pf[1] = {devname};
	boot_child_answer(ch, 'P', pf, 1);
	if (b->serve) /* xdrv boot --serve: the driver stays bound and runs */
		boot_serve_host(b->ctx, s->img, s->drv, ch);
	_exit(0);
}

/* A token the event text can hold unquoted: the device's name, the object digest. */
static int plain_token(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._:-", *s)))
			return 0;
	return 1;
}

/* Where the code came from (ldr_image_cache_state), as the JIT's process answered it. */
static int cache_state_ok(const char *s)
{
	return !strcmp(s, "hit") || !strcmp(s, "miss") || !strcmp(s, "rejected") ||
	       !strcmp(s, "off");
}

/* The child's next answer, of kind `want` with `nf` fields, within the watchdog; anything else
 * becomes the message of the refusal: the child's own failure, a hang (the child is killed), a
 * process that ended, a stop signal, or a malformed answer. */
static int child_answer(struct boot_child *ch, char want, size_t nf, uint32_t timeout_ms,
			struct boot_answer *a, char **err)
{
	const char *who = want == 'J' ? "the JIT's process" : "the driver's process";
	const char *key = want == 'J' ? "jit_timeout_ms" : "probe_timeout_ms";
	char *e = NULL, how[64], sig[32];
	int rc = boot_child_recv(ch, timeout_ms, a, &e);
	if (rc == -EPIPE && boot_stop_signal())
		rc = -EINTR; /* ^C reached the whole process group: the child died of it */
	if (rc == -ETIMEDOUT) {
		boot_child_end(ch, how, sizeof how);
		rc = xdrv_err(err, rc, "hung: no answer within %u ms (policy.%s); %s was killed",
			      timeout_ms, key, who);
	} else if (rc == -EPIPE) {
		boot_child_end(ch, how, sizeof how);
		if (want == 'J')
			rc = xdrv_err(err, rc,
				      "the JIT's process ended (%s) while compiling or linking",
				      how);
		else
			rc = xdrv_err(err, rc, "driver ended the process (%s)", how);
	} else if (rc == -EINTR) {
		boot_child_end(ch, how, sizeof how);
		rc = xdrv_err(err, rc, "boot interrupted by %s",
			      boot_signal_name(boot_stop_signal(), sig, sizeof sig));
	} else if (rc) {
		boot_child_end(ch, how, sizeof how);
		rc = xdrv_err(err, rc, "%s: %s", who, e ? e : "failed");
	} else if (a->kind == 'F' && a->nfields == 2) {
		char *end = NULL;
		long code = strtol(a->field[0], &end, 10);
		rc = xdrv_err(err, *end || code >= 0 || code < -4095 ? -EIO : (int)code, "%s",
			      a->field[1]);
	} else if (a->kind != want || a->nfields != nf) {
		boot_child_end(ch, how, sizeof how);
		rc = xdrv_err(err, -EBADMSG, "%s sent a malformed answer (kind %d, %zu fields)",
			      who, a->kind, a->nfields);
	}
	free(e);
	return rc;
}

/* An extension of s refused: measured (PCR 12) with its step and reason; *err becomes
 * "FILE: STEP: reason" and the driver's step "extension" (the driver is refused with it: a NIC
 * does not come up without the extensions its configuration attaches). */
static void ext_refused(struct boot *b, struct drv_state *s, struct ext_state *e, char **err)
{
	char qa[512], qb[512];
	s->step = "extension";
	if (b->fatal)
		return;
	int mr = boot_measure(b, BOOT_PCR_DRIVERS, NULL,
			      "xdrv.ext.refused package=%s sha256=%s payload_sha256=%s driver=%s "
			      "step=%s reason=%s",
			      boot_q(e->s.base, qa, sizeof qa), e->s.hex[0] ? e->s.hex : "unread",
			      e->s.payload[0] ? e->s.payload : "unknown", s->name, e->s.step,
			      boot_q(err && *err ? *err : "?", qb, sizeof qb));
	xdrv_err_prefix(err, "%s: %s", e->s.base, e->s.step);
	if (mr)
		xdrv_err_prefix(err, "measuring the refusal failed too");
}

/* Extension j of s (its driver's package checked and measured): the same checks as a driver's
 * package (signature, vendor, revocation, manifest, rollback floor), that it is an extension
 * declaring its hook, its table files read; then its event xdrv.ext.package. */
static int check_ext(struct boot *b, struct drv_state *s, size_t j, char **err)
{
	struct ext_state *e = &s->es[j];
	const struct boot_ext *x = &s->d->exts[j];
	struct boot_ext_load *l = &s->loads[j];
	char qa[512], qb[512];
	e->d.package = x->package;
	e->d.device = s->d->device;
	e->d.backend = s->d->backend;
	e->d.params = x->params;
	e->d.nparams = x->nparams;
	e->s.d = &e->d;
	e->s.ext = x;
	const char *base = strrchr(x->package, '/');
	e->s.base = base ? base + 1 : x->package;
	l->x = x;
	l->label = e->s.base;
	int rc = boot_check_package(b, &e->s, err);
	for (size_t t = 0; !rc && t < x->ntables; t++) {
		e->s.step = "tables";
		rc = ldr_ext_table_file_read(x->tables[t].file, &l->tab[t].keys, &l->tab[t].vals,
					     &l->tab[t].n, err);
	}
	if (!rc)
		rc = boot_measure(
			b, BOOT_PCR_DRIVERS, err,
			"xdrv.ext.package name=%s version=%s security_version=%llu floor=%llu "
			"sha256=%s payload_sha256=%s signer=%s issuer=%s driver=%s hook=%s "
			"policy=%s",
			e->s.name, e->s.version, (unsigned long long)e->s.secver,
			(unsigned long long)e->s.floor, e->s.hex, e->s.payload,
			boot_q(e->s.signed_ok ? e->s.sig.signer : "unsigned", qa, sizeof qa),
			boot_q(e->s.signed_ok ? e->s.sig.issuer : "", qb, sizeof qb), s->name,
			x->hook == XDRV_EXT_HOOK_RX ? "rx" : "tx", x->policy ? "drop" : "pass");
	if (rc)
		ext_refused(b, s, e, err);
	return rc;
}

/* xdrv boot --serve: the driver's process stays, with what its code swaps need (struct ldr_gen:
 * the package bytes, its parameters, generation 0's record) and its backend server. */
static int keep_served(struct boot *b, struct drv_state *s, struct boot_child *ch,
		       const struct ldr_compiled *comp, struct hvb_split **server,
		       struct hvb_split_plan *plan, const char *device, char **err)
{
	struct boot_served *a = realloc(b->served, (b->nserved + 1) * sizeof *a);
	if (!a)
		return xdrv_err(err, -ENOMEM, "out of memory");
	b->served = a;
	struct boot_served *v = &a[b->nserved];
	memset(v, 0, sizeof *v);
	int rc = ldr_gen_new(b->ctx, s->buf, s->len, s->base, s->d->params, s->d->nparams, comp,
			     &v->gen, err);
	if (!rc && !(v->plan = calloc(1, sizeof *v->plan)))
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	if (rc) {
		ldr_gen_free(v->gen);
		return rc;
	}
	snprintf(v->name, sizeof v->name, "%s", s->name);
	snprintf(v->version, sizeof v->version, "%s", s->version);
	v->secver = s->secver;
	snprintf(v->device, sizeof v->device, "%s", device);
	v->index = (size_t)(s->d - b->cfg->drivers);
	v->ch = *ch;
	v->server = *server;
	*v->plan = *plan;
	*server = NULL;
	memset(plan, 0, sizeof *plan);
	b->nserved++;
	return 0;
}

static int jit_and_probe(struct boot *b, struct drv_state *s, char **err)
{
	struct boot_config *c = b->cfg;
	char qa[512], qb[512], qc[1024];
	struct boot_answer *a = malloc(sizeof *a);
	struct boot_child ch;
	struct ldr_compiled *comp = NULL;
	struct hvb_split_plan plan = {0};
	struct hvb_split *server = NULL;
	char params[1024] = "", obj[65] = "", nfun[16] = "", sig[32];
	s->step = "jit";
	if (!a)
		return xdrv_err(err, -ENOMEM, "out of memory");
	int rc = 0;
	if (c->jit_mode == LDR_JIT_EAGER) {
		/* the compiler process (or the object cache): the bytes measured, no bitcode
		 * parsed in this process; the object's digest is computed here */
		rc = ldr_package_compile_mem(b->ctx, s->buf, s->len, s->base, s->d->params,
					     s->d->nparams, &comp, err);
		if (rc == -EINTR && boot_stop_signal()) {
			free(*err);
			*err = NULL;
			rc = xdrv_err(err, rc, "boot interrupted by %s",
				      boot_signal_name(boot_stop_signal(), sig, sizeof sig));
		}
		if (rc)
			goto out_free;
		const struct sdk_manifest *m = ldr_compiled_manifest(comp);
		size_t nv = 0, o = 0;
		const uint64_t *vals = ldr_compiled_param_values(comp, &nv);
		for (size_t i = 0; i < nv && i < m->desc.nparams && o < sizeof params; i++)
			o += (size_t)snprintf(params + o, sizeof params - o, "%s%s=%llu",
					      i ? "," : "", m->desc.params[i].name,
					      (unsigned long long)vals[i]);
		uint8_t od[32];
		ldr_compiled_sha256(comp, od);
		xdrv_hex(od, 32, obj);
		snprintf(nfun, sizeof nfun, "%u", ldr_compiled_functions(comp));
	}
	/* the extensions: compiled by the compiler process too, eagerly in any mode */
	for (size_t j = 0; !rc && j < s->nexts; j++) {
		s->es[j].s.step = "jit";
		rc = boot_ext_compile(b->ctx, s->es[j].s.buf, s->es[j].s.len, s->es[j].s.base,
				      s->loads[j].x, &s->loads[j].comp, err);
		if (rc == -EINTR && boot_stop_signal())
			goto out_free;
		if (rc)
			ext_refused(b, s, &s->es[j], err);
	}
	if (rc)
		goto out_free;
	/* the disks that touch the outside world are served from here (a backend server of the
	 * boot's), the driver host reaches them through blkfront rings */
	if (hvb_split_backend_applies(s->d->backend))
		rc = hvb_split_plan(HVB_SPLIT_AUTO, s->d->device, NULL, &plan, err);
	if (!rc && plan.ndevs) {
		rc = hvb_split_start(&plan, "xdrv boot: backend", false, &server, err);
		if (rc)
			xdrv_err_prefix(err, "device %s", s->d->device);
	}
	if (rc)
		goto out_free;
	if (server) {
		char en[512];
		printf("boot: %s: the boot serves %s to its driver host over split-driver rings "
		       "(backend server %d)\n",
		       xdrv_escape_text(s->name, en, sizeof en), plan.served,
		       hvb_split_pid(server));
		fflush(stdout);
		s->host_device = plan.device;
		s->split_socket = hvb_split_socket(server);
	}
	rc = boot_child_fork(&ch, err);
	if (rc == 0)
		child_jit_and_probe(b, s, &ch, comp);
	if (rc < 0)
		goto out_free;
	rc = child_answer(&ch, 'J', 4, c->jit_timeout_ms, a, err);
	if (!rc && (!plain_token(a->field[1], 64) || !plain_token(a->field[2], 10) ||
		    !cache_state_ok(a->field[3])))
		rc = xdrv_err(err, -EBADMSG, "the JIT's process sent a malformed answer");
	/* eager: what is measured is the parent's own (the compiler's object as received); the
	 * driver host, which has run no driver code yet, must have linked exactly that */
	if (!rc && comp && strcmp(a->field[1], obj) != 0)
		rc = xdrv_err(err, -EIO,
			      "the driver's process linked an object (%s) other than the one "
			      "compiled (%s)",
			      a->field[1], obj);
	if (rc)
		goto out_end;
	if (!comp) {
		snprintf(params, sizeof params, "%s", a->field[0]);
		snprintf(obj, sizeof obj, "%s", a->field[1]);
		snprintf(nfun, sizeof nfun, "%s", a->field[2]);
		snprintf(s->cache, sizeof s->cache, "%s", a->field[3]);
	} else {
		snprintf(s->cache, sizeof s->cache, "%s", ldr_compiled_cache_state(comp));
	}
	unsigned maj = 0, mi = 0, pat = 0;
	LLVMGetVersion(&maj, &mi, &pat);
	rc = boot_measure(
		b, BOOT_PCR_DRIVERS, err,
		"xdrv.driver.jit name=%s loader_sha256=%s llvm=%u.%u.%u host=%s opt=%u mode=%s "
		"params=%s safety=%s object_sha256=%s functions=%s cache=%s budget=%llu/%u",
		s->name, b->exe_hex, maj, mi, pat,
		boot_q(ldr_host_description(b->ctx), qc, sizeof qc), c->opt_level,
		c->jit_mode == LDR_JIT_LAZY ? "lazy" : "eager", boot_q(params, qa, sizeof qa),
		boot_q(c->safety, qb, sizeof qb), obj, nfun, s->cache,
		(unsigned long long)LDR_BUDGET_EDGES_DEFAULT, LDR_BUDGET_DEPTH_DEFAULT);
	for (size_t j = 0; !rc && j < s->nexts; j++) {
		const struct ldr_compiled *ec = s->loads[j].comp;
		uint8_t od[32];
		char eo[65];
		ldr_compiled_sha256(ec, od);
		xdrv_hex(od, 32, eo);
		rc = boot_measure(
			b, BOOT_PCR_DRIVERS, err,
			"xdrv.ext.jit name=%s driver=%s opt=%u object_sha256=%s functions=%u "
			"cache=%s budget=%u",
			s->es[j].s.name, s->name, c->opt_level, eo, ldr_compiled_functions(ec),
			ldr_compiled_cache_state(ec), LDR_EXT_BUDGET_DEFAULT);
	}
	if (rc)
		goto out_end;
	s->step = "probe";  /* measured: the driver's code may run */
	boot_child_go(&ch); /* if the child is gone, the wait says how it ended */
	rc = child_answer(&ch, 'P', 1, c->probe_timeout_ms, a, err);
	if (!rc && !plain_token(a->field[0], 127))
		rc = xdrv_err(err, -EBADMSG, "the driver's process sent a malformed answer");
	if (rc)
		goto out_end;
	rc = boot_measure(b, BOOT_PCR_DRIVERS, err,
			  "xdrv.driver.probe name=%s device=%s backend=%s status=ok", s->name,
			  a->field[0], s->d->backend);
	if (rc)
		goto out_end;
	if (c->raise_floors && s->secver > s->floor) {
		s->step = "rollback";
		rc = boot_floors_raise(b->floors, s->name, s->secver, err);
		if (rc) {
			b->fatal = b->tpm != NULL;
			xdrv_err_prefix(err, "raising the rollback floor");
		}
	}
	for (size_t j = 0; !rc && c->raise_floors && j < s->nexts; j++) {
		struct drv_state *es = &s->es[j].s;
		if (es->secver <= es->floor)
			continue;
		rc = boot_floors_raise(b->floors, es->name, es->secver, err);
		if (rc) {
			b->fatal = b->tpm != NULL;
			xdrv_err_prefix(err, "raising the rollback floor of extension %s",
					es->base);
		}
	}
	if (!rc && b->serve) {
		rc = keep_served(b, s, &ch, comp, &server, &plan, a->field[0], err);
		if (!rc)
			goto out_free; /* the driver host, its backend server and plan are kept */
	}
out_end:
	boot_child_end(&ch, NULL, 0);
out_free:
	hvb_split_stop(server); /* after the driver host: its frontends closed first */
	hvb_split_plan_free(&plan);
	s->host_device = s->split_socket = NULL;
	ldr_compiled_free(comp);
	free(a);
	return rc;
}

/* One driver; 0 if booted, negative if not (*err says why): refused, or, with b->fatal set,
 * the boot itself must stop (a measurement or the TPM failed). */
static int boot_driver(struct boot *b, size_t i, char **err)
{
	struct drv_state s;
	memset(&s, 0, sizeof s);
	s.d = &b->cfg->drivers[i];
	const char *base = strrchr(s.d->package, '/');
	s.base = base ? base + 1 : s.d->package;
	char qa[512], qb[512];
	uint64_t t0 = xdrv_now_ns();
	int rc = boot_check_package(b, &s, err);
	if (!rc) {
		rc = boot_measure(b, BOOT_PCR_DRIVERS, err,
				  "xdrv.driver.package name=%s version=%s security_version=%llu "
				  "floor=%llu sha256=%s payload_sha256=%s signer=%s issuer=%s",
				  s.name, s.version, (unsigned long long)s.secver,
				  (unsigned long long)s.floor, s.hex, s.payload,
				  boot_q(s.signed_ok ? s.sig.signer : "unsigned", qa, sizeof qa),
				  boot_q(s.signed_ok ? s.sig.issuer : "", qb, sizeof qb));
	}
	if (!rc && s.d->nexts) {
		s.es = calloc(s.d->nexts, sizeof *s.es);
		s.loads = calloc(s.d->nexts, sizeof *s.loads);
		if (!s.es || !s.loads)
			rc = xdrv_err(err, -ENOMEM, "out of memory");
		else
			s.nexts = s.d->nexts;
	}
	for (size_t j = 0; !rc && j < s.nexts; j++)
		rc = check_ext(b, &s, j, err);
	if (!rc)
		rc = jit_and_probe(b, &s, err);
	if (rc && !b->fatal) {
		xdrv_err_prefix(err, "%s: %s", s.base, s.step);
		int mr = boot_measure(
			b, BOOT_PCR_DRIVERS, NULL,
			"xdrv.driver.refused package=%s sha256=%s payload_sha256=%s step=%s "
			"reason=%s",
			boot_q(s.base, qa, sizeof qa), s.hex[0] ? s.hex : "unread",
			s.payload[0] ? s.payload : "unknown", s.step,
			boot_q(err && *err ? *err : "?", qb, sizeof qb));
		if (mr)
			xdrv_err_prefix(err, "measuring the refusal failed too");
	} else if (rc) {
		xdrv_err_prefix(err, "%s", s.base);
	}
	if (!rc) {
		/* name, version and signer come from the package: shown escaped */
		char en[512], ev[256], es[1024];
		printf("boot: [%zu] %s %s (security_version %llu) signed by %s: measured, JIT "
		       "%s%s%s%s, "
		       "probed on %s in %.2f ms\n",
		       i + 1, xdrv_escape_text(s.name, en, sizeof en),
		       xdrv_escape_text(s.version, ev, sizeof ev), (unsigned long long)s.secver,
		       s.signed_ok ? xdrv_escape_text(s.sig.signer, es, sizeof es)
				   : "nobody (unsigned)",
		       b->cfg->jit_mode == LDR_JIT_LAZY ? "lazy" : "eager",
		       strcmp(s.cache, "off") ? " (object cache " : "",
		       strcmp(s.cache, "off") ? s.cache : "", strcmp(s.cache, "off") ? ")" : "",
		       s.d->device, (double)(xdrv_now_ns() - t0) / 1e6);
		for (size_t j = 0; j < s.nexts; j++)
			printf("boot: [%zu] %s: extension %s %s (%s, policy %s) signed by %s: "
			       "measured, compiled, attached\n",
			       i + 1, xdrv_escape_text(s.name, en, sizeof en),
			       xdrv_escape_text(s.es[j].s.name, ev, sizeof ev), s.es[j].s.version,
			       s.d->exts[j].hook == XDRV_EXT_HOOK_RX ? "rx" : "tx",
			       s.d->exts[j].policy ? "drop" : "pass",
			       s.es[j].s.signed_ok
				       ? xdrv_escape_text(s.es[j].s.sig.signer, es, sizeof es)
				       : "nobody (unsigned)");
		fflush(stdout);
	}
	for (size_t j = 0; s.es && s.loads && j < s.nexts; j++) {
		free(s.es[j].s.buf);
		ldr_compiled_free(s.loads[j].comp);
		for (size_t t = 0; t < BOOT_MAX_TABLES; t++) {
			free(s.loads[j].tab[t].keys);
			free(s.loads[j].tab[t].vals);
		}
	}
	free(s.es);
	free(s.loads);
	free(s.buf); /* the image, device and binding lived and died in the driver's process */
	return rc;
}

/* ---- the boot -------------------------------------------------------------------------------- */
static int open_tpm(struct boot *b, const char *tcti, char **err)
{
	if (!tcti)
		return 0;
	char *e = NULL;
	int rc = ldr_tpm_open(tcti, &b->tpm, &e);
	if (rc && b->cfg->tpm_required) {
		xdrv_err(err, rc, "%s", e);
		free(e);
		return rc;
	}
	if (rc) {
		printf("boot: no TPM (%s): continuing unmeasured into PCRs, as tpm_required is "
		       "false\n",
		       e);
		free(e);
		return 0;
	}
	static const uint32_t pcrs[2] = {BOOT_PCR_PLATFORM, BOOT_PCR_DRIVERS};
	static const uint8_t zero[32];
	for (int i = 0; i < 2; i++) {
		uint8_t v[32];
		rc = ldr_tpm_pcr_read(b->tpm, pcrs[i], v, err);
		if (rc)
			return rc;
		if (memcmp(v, zero, 32) != 0)
			return xdrv_err(err, -EBUSY,
					"TPM %s: PCR %u is not at its reset value: a measured boot "
					"needs a TPM reset since the last one (reboot, or restart "
					"swtpm)",
					tcti, pcrs[i]);
	}
	return 0;
}

/* The TPM's owner authorization: warn while it is empty (what that allows against xdrv), and
 * hand xdrv the one the file tpm_owner_auth names (not world- or group-readable: it guards the
 * floors). */
static int tpm_owner_auth(struct boot *b, char **err)
{
	struct ldr_tpm_status st;
	const char *path = b->cfg->tpm_owner_auth;
	b->tpm_auth = "none";
	if (!b->tpm)
		return 0;
	int rc = ldr_tpm_status(b->tpm, &st, err);
	if (rc)
		return rc;
	b->tpm_auth = st.owner_auth_set ? "set" : "empty";
	if (!st.owner_auth_set) {
		printf("boot: warning: %s%s\n", ldr_tpm_empty_owner_auth_warning(),
		       path ? " (the file tpm_owner_auth names is not used)" : "");
		return 0;
	}
	if (!path) {
		if (b->cfg->raise_floors || b->cfg->crl)
			printf("boot: note: the TPM's owner authorization is set and the "
			       "configuration gives none (tpm_owner_auth): a floor or CRL number "
			       "cannot be stored on it\n");
		return 0;
	}
	struct stat sb;
	uint8_t *buf = NULL;
	size_t len = 0;
	if (stat(path, &sb) != 0)
		return xdrv_err(err, -errno, "tpm_owner_auth %s: %s", path, strerror(errno));
	if (sb.st_mode & 077)
		return xdrv_err(
			err, -EPERM,
			"tpm_owner_auth %s: readable by others (mode %04o): it holds the TPM's "
			"owner authorization; chmod 600 it",
			path, (unsigned)(sb.st_mode & 07777));
	rc = xdrv_read_file(path, 256, &buf, &len, err);
	if (!rc) {
		/* `echo secret > file` is the common way to write it: one newline is not part of
		 * it, as tpm2_changeauth -c owner secret sets the bytes "secret" */
		if (len && buf[len - 1] == '\n')
			len--;
		rc = ldr_tpm_set_owner_auth(b->tpm, buf, len, err);
		OPENSSL_cleanse(buf, len);
	}
	free(buf);
	if (rc)
		xdrv_err_prefix(err, "tpm_owner_auth %s", path);
	return rc;
}

/* The configured CRL must be fresh: nextUpdate not before the time floor, cRLNumber not lower
 * than the highest this host has accepted (kept with the floors), which it then becomes. If it
 * is not, the boot stops (revocation.crl_required, the default) or says so and goes on, still
 * honouring the CRL's revocations: an old list of revoked certificates is better than none. */
static int check_crl(struct boot *b, char **err)
{
	struct boot_config *c = b->cfg;
	uint64_t stored = 0, number = 0;
	char *why = NULL;
	b->crl_state = "none";
	if (!c->crl)
		return 0;
	int rc = boot_floors_crl_get(b->floors, &stored, err);
	if (rc) {
		xdrv_err_prefix(err, "revocation: reading the highest CRL number seen");
		return rc;
	}
	rc = sig_revocation_crl_fresh(b->rev, sig_trust_time_floor(b->trust), stored, &number,
				      &why);
	if (rc == 0) {
		b->crl_state = "fresh";
		b->crl_number = number;
		rc = boot_floors_crl_raise(b->floors, number, err);
		if (rc)
			xdrv_err_prefix(err, "revocation: storing CRL number %llu",
					(unsigned long long)number);
	} else if (c->crl_required || rc == -EBADMSG || rc == -EINVAL) {
		rc = xdrv_err(err, rc,
			      "revocation: %s (no fresh CRL, and revocation.crl_required is %s)",
			      why ? why : "?", c->crl_required ? "true" : "false");
	} else {
		b->crl_state = "stale";
		b->crl_number = number;
		printf("boot: warning: revocation: %s; going on with it (revocation.crl_required "
		       "is false)\n",
		       why ? why : "?");
		rc = 0;
	}
	free(why);
	return rc;
}

static int start(struct boot *b, const char *cfg_path, const char *tpm_override, unsigned flags,
		 char **err)
{
	uint8_t *cbuf = NULL;
	size_t clen = 0;
	int rc = xdrv_read_file(cfg_path, BOOT_CONFIG_MAX, &cbuf, &clen, err);
	if (rc)
		return rc;
	char cfg_hex[65];
	boot_sha256_hex(cbuf, clen, cfg_hex);
	char *dir = strdup(cfg_path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = 0;
	rc = boot_config_parse(cbuf, clen, slash ? dir : ".", &b->cfg, err);
	free(dir);
	free(cbuf);
	if (rc)
		return rc;
	struct boot_config *c = b->cfg;
	if (b->serve && c->jit_mode != LDR_JIT_EAGER)
		return xdrv_err(
			err, -EINVAL,
			"xdrv boot --serve swaps code, which lazy mode cannot: the policy's "
			"\"jit\" must be \"eager\"");
	if (flags & BOOT_RUN_TIER_AUTO) { /* O0 now, tier 2 swapped in once served */
		if (!b->serve)
			return xdrv_err(
				err, -EINVAL,
				"tier auto needs xdrv boot --serve (the swap to the optimized "
				"tier happens while the boot serves its drivers)");
		b->tier2_opt = c->tier == LDR_TIER_FAST || c->opt_level == 0 ? 2u : c->opt_level;
		c->tier = LDR_TIER_FAST;
		c->opt_level = 0;
	} else if (flags & BOOT_RUN_TIER_FAST) { /* xdrv boot --tier: over the policy, measured */
		c->tier = LDR_TIER_FAST;
		c->opt_level = 0;
	} else if ((flags & BOOT_RUN_TIER_FULL) && c->tier == LDR_TIER_FAST) {
		c->tier = LDR_TIER_FULL;
		c->opt_level = 2;
	}
	const char *tcti = c->tpm;
	if (tpm_override)
		tcti = strcmp(tpm_override, "none") == 0 ? NULL : tpm_override;
	if ((rc = xdrv_mkdirs(c->state_dir, 0700, err)) || (rc = open_tpm(b, tcti, err)) ||
	    (rc = tpm_owner_auth(b, err)))
		return rc;
	b->res->tpm_used = b->tpm != NULL;
	if (!b->tpm) {
		char note[512];
		snprintf(note, sizeof note,
			 "xdrv: no TPM%s%s: events are logged but extended into no PCR; rollback "
			 "floors in a signed state file",
			 tcti ? " reachable at " : " configured", tcti ? tcti : "");
		if ((rc = evl_append_text(&b->log, BOOT_PCR_PLATFORM, EVL_EV_NO_ACTION, note, err)))
			return rc;
	}
	if (c->trust_root &&
	    (rc = sig_trust_create(c->trust_root, c->time_floor, &b->trust, err))) {
		xdrv_err_prefix(err, "trust root %s", c->trust_root);
		return rc;
	}
	if ((rc = sig_revocation_load(c->trust_root, c->crl, c->deny_list, &b->rev, err)) ||
	    (rc = boot_floors_open(b->tpm, c->state_dir,
				   flags & BOOT_RUN_REINIT_FLOORS ? BOOT_FLOORS_REINIT : 0u,
				   &b->floors, err)) ||
	    (rc = check_crl(b, err)))
		return rc;
	uint64_t t0 = xdrv_now_ns();
	rc = measure_platform(b, cfg_path, cfg_hex, err);
	const char *reinit = boot_floors_reinit_note(b->floors);
	char qa[600];
	if (!rc && reinit) { /* the floors were started again: a verifier must see it */
		rc = boot_measure(b, BOOT_PCR_PLATFORM, err, "xdrv.floors.reinit store=%s found=%s",
				  boot_floors_store(b->floors), boot_q(reinit, qa, sizeof qa));
		if (!rc)
			printf("boot: rollback floors re-initialized (%s): %s\n",
			       boot_floors_store(b->floors), reinit);
	}
	if (rc)
		return rc;
	b->platform_measured = 1;
	printf("boot: platform measured (loader, configuration, trust, policy, revocation) in "
	       "%.2f ms\n",
	       (double)(xdrv_now_ns() - t0) / 1e6);
	struct ldr_config lc = {
		.swappable = b->serve != 0, /* generation 0 with slots (loader/README.md) */
		.trust_root = c->trust_root,
		.allow_unsigned = !c->require_signatures,
		.time_floor = c->time_floor,
		.jit_mode = c->jit_mode,
		.opt_level = c->opt_level,
		.tier = c->tier,
		.cache_dir = c->cache_dir,
		.cache_max_bytes = c->cache_max_bytes,
		.cache_policy = c->safety,
		.compile_timeout_ms = c->jit_timeout_ms,
		/* the budgets compiled into driver code (loader/README.md "Budgets"), measured in
		 * each JIT event */
		.budget_edges = LDR_BUDGET_EDGES_DEFAULT,
		.budget_depth = LDR_BUDGET_DEPTH_DEFAULT,
	};
	/* a cache that cannot be used (a folder others could write, say) costs compile time,
	 * never the boot: said here, and every JIT event then says cache=off */
	struct ldr_cache *probe = NULL;
	char *why = NULL;
	if (c->cache_dir && ldr_cache_open(c->cache_dir, c->cache_max_bytes, 0, &probe, &why)) {
		printf("boot: warning: object cache off: %s\n", why ? why : "?");
		lc.cache_dir = NULL;
	}
	ldr_cache_close(probe);
	free(why);
	return ldr_ctx_create(&lc, &b->ctx, err);
}

int boot_run_flags(const char *config_path, const char *tpm_override, unsigned flags,
		   struct boot_result *res, char **err)
{
	return boot_run_serve(config_path, tpm_override, flags & ~BOOT_RUN_SERVE, NULL, res, err);
}

int boot_run_serve(const char *config_path, const char *tpm_override, unsigned flags,
		   const char *control, struct boot_result *res, char **err)
{
	struct boot b;
	char sig[32];
	memset(&b, 0, sizeof b);
	memset(res, 0, sizeof *res);
	b.res = res;
	b.serve = (flags & BOOT_RUN_SERVE) != 0;
	b.control = b.serve ? control : NULL;
	b.cfg_path = config_path;
	int stop_rc = boot_stop_install(); /* SIGINT, SIGTERM: measured, then the boot stops */
	int rc = stop_rc ? xdrv_err(err, stop_rc, "installing the stop signal handlers")
			 : start(&b, config_path, tpm_override, flags, err);
	for (size_t i = 0; !rc && i < b.cfg->ndrivers; i++) {
		char *e = NULL;
		if (boot_stop_signal()) {
			rc = xdrv_err(err, -EINTR, "boot interrupted by %s",
				      boot_signal_name(boot_stop_signal(), sig, sizeof sig));
			break;
		}
		int r = boot_driver(&b, i, &e);
		if (r == 0) {
			res->booted++;
		} else if (b.fatal) {
			rc = xdrv_err(err, r, "boot stopped: %s", e ? e : "measurement failed");
		} else {
			res->refused++;
			char ee[2048]; /* the reason may quote the package's strings */
			printf("boot: [%zu] refused: %s\n", i + 1,
			       xdrv_escape_text(e ? e : "?", ee, sizeof ee));
			fflush(stdout);
			if (boot_stop_signal())
				rc = xdrv_err(err, -EINTR, "%s", e ? e : "boot interrupted");
			else if (!b.cfg->continue_on_failure)
				rc = xdrv_err(err, r,
					      "boot stopped (policy: continue_on_failure is "
					      "false): %s",
					      e ? e : "?");
		}
		free(e);
	}
	if (!rc) {
		rc = boot_measure(&b, BOOT_PCR_PLATFORM, err, "xdrv.boot.done booted=%u refused=%u",
				  res->booted, res->refused);
		if (!rc && b.serve) /* the drivers run on; their code swaps are measured after */
			rc = boot_serve(&b, err);
	} else if (b.platform_measured && !b.fatal) {
		/* a boot that stops still closes its log, saying why: a verifier tells a stopped
		 * boot from one cut short (a crash of the loader, a TPM gone) */
		char qa[1024];
		int mr = boot_measure(&b, BOOT_PCR_PLATFORM, NULL,
				      "xdrv.boot.stopped booted=%u refused=%u reason=%s",
				      res->booted, res->refused,
				      boot_q(err && *err ? *err : "?", qa, sizeof qa));
		if (mr)
			xdrv_err_prefix(err, "(measuring the stop failed too)");
	}
	if (b.cfg && b.log.n && rc) {
		char *e2 = NULL; /* keep what was measured on disk, whatever stopped us */
		if (evl_write_file(&b.log, b.cfg->event_log, &e2))
			fprintf(stderr, "xdrv boot: %s\n",
				e2 ? e2 : "writing the event log failed");
		free(e2);
	}
	boot_serve_end(&b);
	if (!stop_rc)
		boot_stop_restore();
	ldr_ctx_destroy(b.ctx);
	boot_floors_close(b.floors);
	sig_revocation_free(b.rev);
	sig_trust_destroy(b.trust);
	ldr_tpm_close(b.tpm);
	evl_free(&b.log);
	boot_config_free(b.cfg);
	return rc;
}

int boot_run(const char *config_path, const char *tpm_override, struct boot_result *res, char **err)
{
	return boot_run_flags(config_path, tpm_override, 0, res, err);
}
