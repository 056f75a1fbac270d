// SPDX-License-Identifier: MIT
/*
 * Packet extensions on a network interface: the RX and TX chains of xdrv/net_ext.h, run by
 * runtime_net.c at its two attach points through ldr_net_ext_rx and ldr_net_ext_tx.
 *
 * A chain is an immutable array of attachments; attach, replace and detach build a new array
 * and swap the interface's pointer. A chain run reads the pointer once, so one frame never
 * sees two versions of a chain, even when something changes the chain while the frame is in it
 * (an extension that fails is detached in the middle of a run). What the swap left behind (the
 * old array, the attachments it alone held, and their extensions) is retired and freed once no
 * run is under way (`running` is 0): at the end of the run, or at once when the change came
 * from outside a run.
 */
#include "runtime_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/ext.h>
#include <xdrv/net_ext.h>
#include <xdrv/util.h>

enum { HOOK_RX, HOOK_TX, NHOOKS };

struct att {
	struct ldr_ext *e;
	uint32_t id, hook, policy;
	bool failed;
	uint32_t hist_no; /* 1 + its history entry's number, 0 if none */
	struct att *next; /* retired list */
};

struct chain {
	struct chain *next; /* retired list */
	uint32_t n;
	struct att *a[];
};

struct ldr_net_ext {
	struct chain *chain[NHOOKS]; /* NULL: empty */
	struct chain *old_chains;    /* retired */
	struct att *old_atts;	     /* retired: unloaded with them */
	uint32_t running;	     /* chain runs under way (a run may nest in a callback) */
	uint32_t next_id;
	uint64_t rx_dropped, rx_bounced, rx_bounce_lost, tx_dropped, failures, policy_dropped;
	struct ldr_net_ext_info hist[LDR_NET_EXT_HISTORY]; /* detached ones, a ring */
	uint32_t nhist;
};

static const struct ldr_ext_calls real_calls = {
	.run = ldr_ext_run,
	.failure = ldr_ext_failure,
	.name = ldr_ext_name,
	.version = ldr_ext_version,
	.hooks = ldr_ext_hooks,
	.stats = ldr_ext_stats,
	.unload = ldr_ext_unload,
	.run_batch = ldr_ext_run_batch,
	.writes = ldr_ext_writes,
};
static const struct ldr_ext_calls *calls = &real_calls;

const struct ldr_ext_calls *ldr_net_ext_set_calls(const struct ldr_ext_calls *c)
{
	const struct ldr_ext_calls *old = calls;
	calls = c ? c : &real_calls;
	return old == &real_calls ? NULL : old;
}

static int hook_index(uint32_t hook)
{
	return hook == XDRV_EXT_HOOK_RX ? HOOK_RX : hook == XDRV_EXT_HOOK_TX ? HOOK_TX : -1;
}

static const char *hook_name(uint32_t hook)
{
	return hook == XDRV_EXT_HOOK_RX ? "rx" : "tx";
}

static const char *ext_name(const struct att *a)
{
	const char *n = a->e ? calls->name(a->e) : NULL;
	return n ? n : "?";
}

static const struct ldr_net_ext_hooks net_hooks = {
	.rx_batch = ldr_net_ext_rx_batch,
	.rx_active = ldr_net_ext_rx_active,
	.tx = ldr_net_ext_tx,
	.bounce_lost = ldr_net_ext_bounce_lost,
	.release = ldr_net_ext_release,
};

static struct ldr_net_ext *state(struct ldr_netdev *nd, bool create)
{
	struct ldr_net_ext **x = ldr_netdev_ext(nd);
	if (!*x && create) {
		ldr_netdev_set_ext_hooks(&net_hooks);
		*x = calloc(1, sizeof **x);
		if (*x)
			(*x)->next_id = 1;
	}
	return *x;
}

/* Free what the swaps retired, unless a run may still hold it. */
static void quiesce(struct ldr_net_ext *x)
{
	if (x->running)
		return;
	while (x->old_chains) {
		struct chain *c = x->old_chains;
		x->old_chains = c->next;
		free(c);
	}
	while (x->old_atts) {
		struct att *a = x->old_atts;
		x->old_atts = a->next;
		/* the history gets its figures as they are now, runs that were under way included
		 */
		if (a->hist_no && x->nhist - (a->hist_no - 1) <= LDR_NET_EXT_HISTORY) {
			struct ldr_ext_stats *st =
				&x->hist[(a->hist_no - 1) % LDR_NET_EXT_HISTORY].st;
			uint64_t failed = st->failed;
			calls->stats(a->e, st);
			st->failed |= failed;
		}
		calls->unload(a->e);
		free(a);
	}
}

/* A copy of chain `c` (may be NULL) without the entry at `drop` (UINT32_MAX: none) and with
 * `add` (may be NULL) at position `at`. NULL with *empty when the result has no entry. */
static struct chain *chain_edit(const struct chain *c, uint32_t drop, struct att *add, uint32_t at,
				bool *failed)
{
	uint32_t n = c ? c->n : 0;
	uint32_t m = n - (drop < n) + (add != NULL);
	*failed = false;
	if (m == 0)
		return NULL;
	struct chain *r = calloc(1, sizeof *r + m * sizeof r->a[0]);
	if (!r) {
		*failed = true;
		return NULL;
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i <= n; i++) {
		if (add && i == at)
			r->a[k++] = add;
		if (i < n && i != drop)
			r->a[k++] = c->a[i];
	}
	r->n = k;
	return r;
}

/* Swap chain h for r; the old array is retired. */
static void chain_swap(struct ldr_net_ext *x, int h, struct chain *r)
{
	struct chain *old = x->chain[h];
	x->chain[h] = r;
	if (old) {
		old->next = x->old_chains;
		x->old_chains = old;
	}
}

static void retire_att(struct ldr_net_ext *x, struct att *a)
{
	a->next = x->old_atts;
	x->old_atts = a;
}

static void fill_info(const struct att *a, uint32_t pos, struct ldr_net_ext_info *o)
{
	memset(o, 0, sizeof *o);
	o->id = a->id;
	o->hook = a->hook;
	o->pos = pos;
	o->policy = a->policy;
	o->attached = pos != UINT32_MAX;
	snprintf(o->name, sizeof o->name, "%s", ext_name(a));
	const char *v = calls->version(a->e);
	snprintf(o->version, sizeof o->version, "%s", v ? v : "?");
	calls->stats(a->e, &o->st);
}

/* Keep a's last figures in the history, with why it was detached. */
static struct ldr_net_ext_info *remember(struct ldr_net_ext *x, struct att *a, const char *why)
{
	a->hist_no = x->nhist + 1;
	struct ldr_net_ext_info *hi = &x->hist[x->nhist++ % LDR_NET_EXT_HISTORY];
	fill_info(a, UINT32_MAX, hi);
	snprintf(hi->failure, sizeof hi->failure, "%s", why);
	return hi;
}

/* Extension `a` at position i of chain h failed with status st (or returned a verdict the hook
 * does not take): detach it, count it, one log line, and remember it. */
static void ext_failed(struct ldr_netdev *nd, struct ldr_net_ext *x, int h, struct att *a,
		       int32_t st, const char *why)
{
	a->failed = true;
	x->failures++;
	const char *f = calls->failure(a->e);
	char reason[160];
	if (why)
		snprintf(reason, sizeof reason, "%s", why);
	else if (f)
		snprintf(reason, sizeof reason, "%s", f);
	else
		snprintf(reason, sizeof reason, "failed: %s", strerror(st < 0 ? -st : EPROTO));
	ldr_rt_log(ldr_netdev_driver(nd), XDRV_LOG_WARN,
		   "net%u: extension %s detached from the %s hook: %s (its frames now %s)",
		   ldr_netdev_index(nd), ext_name(a), hook_name(a->hook), reason,
		   a->policy == LDR_NET_EXT_DROP ? "dropped" : "passed on");
	remember(x, a, reason)->st.failed = 1;
	/* the running chain keeps its entry (marked failed); later frames get a chain without */
	const struct chain *c = x->chain[h];
	uint32_t at = UINT32_MAX;
	for (uint32_t k = 0; c && k < c->n; k++)
		if (c->a[k] == a)
			at = k;
	if (at == UINT32_MAX)
		return; /* replaced or detached meanwhile: retired already */
	bool oom = false;
	struct chain *r = chain_edit(c, at, NULL, 0, &oom);
	if (oom)
		return; /* stays in the chain, skipped as failed */
	chain_swap(x, h, r);
	retire_att(x, a);
}

/* Run chain h over one frame: XDRV_EXT_PASS (with *cls), _DROP or _TX. */
static int chain_run(struct ldr_netdev *nd, struct ldr_net_ext *x, int h, uint8_t *frame,
		     uint32_t len, const struct ldr_ext_meta *m, uint32_t *cls)
{
	const struct chain *c = x->chain[h]; /* read once: the frame's version of the chain */
	int verdict = XDRV_EXT_PASS;
	x->running++;
	for (uint32_t i = 0; c && i < c->n; i++) {
		struct att *a = c->a[i];
		if (a->failed) {
			if (a->policy == LDR_NET_EXT_DROP) {
				x->policy_dropped++;
				verdict = XDRV_EXT_DROP;
				break;
			}
			continue;
		}
		int32_t v = calls->run(a->e, frame, len, m);
		if (v == XDRV_EXT_PASS)
			continue;
		if (v == XDRV_EXT_DROP || (v == XDRV_EXT_TX && h == HOOK_RX)) {
			verdict = v;
			break;
		}
		if (v >= XDRV_EXT_CLASS(0) && v < XDRV_EXT_CLASS(XDRV_EXT_CLASSES)) {
			*cls = (uint32_t)v & 0xffu;
			continue;
		}
		ext_failed(nd, x, h, a, v,
			   v == XDRV_EXT_TX ? "verdict TX on the transmit hook" : NULL);
		if (a->policy == LDR_NET_EXT_DROP) {
			x->policy_dropped++;
			verdict = XDRV_EXT_DROP;
			break;
		}
	}
	x->running--;
	if (x->old_chains || x->old_atts)
		quiesce(x);
	return verdict;
}

bool ldr_net_ext_rx_active(struct ldr_netdev *nd)
{
	struct ldr_net_ext *x = state(nd, false);
	return x && x->chain[HOOK_RX];
}

int ldr_net_ext_rx(struct ldr_netdev *nd, uint8_t *frame, uint32_t len, uint64_t now_ns)
{
	struct ldr_net_ext *x = state(nd, false);
	if (!x || !x->chain[HOOK_RX])
		return XDRV_EXT_PASS;
	struct ldr_ext_meta m = {
		.hook = XDRV_EXT_HOOK_RX, .ifindex = ldr_netdev_index(nd) + 1, .time_ns = now_ns};
	uint32_t cls = 0;
	int v = chain_run(nd, x, HOOK_RX, frame, len, &m, &cls);
	if (v == XDRV_EXT_DROP)
		x->rx_dropped++;
	else if (v == XDRV_EXT_TX)
		x->rx_bounced++;
	return v;
}

int ldr_net_ext_tx(struct ldr_netdev *nd, uint8_t *frame, uint32_t len, uint32_t *cls)
{
	struct ldr_net_ext *x = state(nd, false);
	*cls = 0;
	if (!x || !x->chain[HOOK_TX])
		return XDRV_EXT_PASS;
	struct ldr_ext_meta m = {.hook = XDRV_EXT_HOOK_TX,
				 .ifindex = ldr_netdev_index(nd) + 1,
				 .time_ns = xdrv_now_ns()};
	int v = chain_run(nd, x, HOOK_TX, frame, len, &m, cls);
	if (v != XDRV_EXT_PASS)
		x->tx_dropped++;
	return v == XDRV_EXT_PASS ? XDRV_EXT_PASS : XDRV_EXT_DROP;
}

static bool may_write(const struct att *a)
{
	return !calls->writes || calls->writes(a->e);
}

/* Copy the frames still in the chain (idx[0..alive-1]) out of the receive pool. */
static void copy_out(uint8_t **frames, const uint32_t *lens, const uint32_t *idx, uint32_t alive,
		     uint8_t *copy, size_t stride)
{
	for (uint32_t j = 0; j < alive; j++) {
		uint32_t f = idx[j];
		uint8_t *to = copy + (size_t)f * stride;
		if (frames[f])
			memcpy(to, frames[f], lens[f]);
		frames[f] = to;
	}
}

/*
 * The batched RX chain: extension 1 over all the frames, then extension 2 over those that are
 * still in the chain (PASS or CLASS), and so on. Per frame this is the order of the per-frame
 * chain, and the results are the same: extensions share nothing (each has its own tables and
 * sees only the frame it is given; the metadata's time is one reading per batch either way), so
 * which frame an extension sees first from another extension's point of view cannot be told.
 * The batch runs one version of the chain, read once (as one frame does). When extension a
 * fails on frame k: frames before k keep their verdicts, frame k gets a's policy (as a frame
 * does on which it fails), and the frames after k go on without a, as the next frame of the
 * per-frame chain would (a is detached at once).
 */
void ldr_net_ext_rx_batch(struct ldr_netdev *nd, uint8_t **frames, const uint32_t *lens, uint32_t n,
			  uint64_t now_ns, uint8_t *copy, size_t stride, int *verdicts)
{
	struct ldr_net_ext *x = state(nd, false);
	if (n > LDR_NET_EXT_BATCH)
		n = LDR_NET_EXT_BATCH; /* callers batch by RX_BATCH, which is this */
	for (uint32_t i = 0; i < n; i++)
		verdicts[i] = XDRV_EXT_PASS;
	if (!x || !x->chain[HOOK_RX] || !n)
		return;
	const struct chain *c = x->chain[HOOK_RX]; /* read once: the batch's version */
	uint32_t idx[LDR_NET_EXT_BATCH], ln[LDR_NET_EXT_BATCH];
	uint8_t *fr[LDR_NET_EXT_BATCH];
	int32_t out[LDR_NET_EXT_BATCH];
	uint32_t alive = n;
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	if (!calls->run_batch) {
		/* frame by frame (a test's double), each frame with the chain as it is then */
		if (copy)
			copy_out(frames, lens, idx, n, copy, stride);
		for (uint32_t i = 0; i < n; i++)
			verdicts[i] = ldr_net_ext_rx(nd, frames[i], lens[i], now_ns);
		return;
	}
	struct ldr_ext_meta m = {
		.hook = XDRV_EXT_HOOK_RX, .ifindex = ldr_netdev_index(nd) + 1, .time_ns = now_ns};
	x->running++;
	for (uint32_t i = 0; i < c->n && alive; i++) {
		struct att *a = c->a[i];
		if (a->failed) {
			if (a->policy == LDR_NET_EXT_DROP) {
				x->policy_dropped += alive;
				for (uint32_t j = 0; j < alive; j++)
					verdicts[idx[j]] = XDRV_EXT_DROP;
				alive = 0;
			}
			continue;
		}
		if (copy && may_write(a)) {
			copy_out(frames, lens, idx, alive, copy, stride);
			copy = NULL;
		}
		for (uint32_t j = 0; j < alive; j++) {
			fr[j] = frames[idx[j]];
			ln[j] = lens[idx[j]];
		}
		uint32_t done = calls->run_batch(a->e, fr, ln, alive, &m, out);
		uint32_t k = 0;
		for (uint32_t j = 0; j < alive; j++) {
			uint32_t f = idx[j];
			int32_t v = out[j];
			if (j < done && (v == XDRV_EXT_DROP || v == XDRV_EXT_TX)) {
				verdicts[f] = v; /* taken */
				continue;
			}
			if (j != done) { /* PASS, CLASS (no class on rx), or after a's failure */
				idx[k++] = f;
				continue;
			}
			ext_failed(nd, x, HOOK_RX, a, v, NULL);
			if (a->policy == LDR_NET_EXT_DROP) {
				x->policy_dropped++;
				verdicts[f] = XDRV_EXT_DROP;
			} else {
				idx[k++] = f;
			}
		}
		alive = k;
	}
	x->running--;
	for (uint32_t i = 0; i < n; i++) {
		if (verdicts[i] == XDRV_EXT_DROP)
			x->rx_dropped++;
		else if (verdicts[i] == XDRV_EXT_TX)
			x->rx_bounced++;
	}
	if (x->old_chains || x->old_atts)
		quiesce(x);
}

void ldr_net_ext_bounce_lost(struct ldr_netdev *nd)
{
	struct ldr_net_ext *x = state(nd, false);
	if (x)
		x->rx_bounce_lost++;
}

void ldr_net_ext_release(struct ldr_netdev *nd)
{
	struct ldr_net_ext *x = state(nd, false);
	if (!x)
		return;
	for (int h = 0; h < NHOOKS; h++) {
		struct chain *c = x->chain[h];
		for (uint32_t i = 0; c && i < c->n; i++)
			retire_att(x, c->a[i]);
		chain_swap(x, h, NULL);
	}
	x->running = 0; /* unbind: no run can be under way */
	quiesce(x);
	free(x);
	*ldr_netdev_ext(nd) = NULL;
}

/* ---- the host's API ---------------------------------------------------------------------------
 */

static int check_new(struct ldr_netdev *nd, uint32_t hook, struct ldr_ext *ext, uint32_t policy,
		     char **err)
{
	if (!ldr_netdev_registered(nd))
		return xdrv_err(err, -ENODEV, "extension: the interface is not registered");
	if (!ext)
		return xdrv_err(err, -EINVAL, "extension: none given");
	const char *name = calls->name(ext);
	if (hook_index(hook) < 0)
		return xdrv_err(err, -EINVAL, "extension %s: hook %u is neither rx nor tx",
				name ? name : "?", hook);
	if (!(calls->hooks(ext) & hook))
		return xdrv_err(err, -EINVAL,
				"extension %s: may not be attached to the %s hook (it declares "
				"%s%s%s)",
				name ? name : "?", hook_name(hook),
				calls->hooks(ext) & XDRV_EXT_HOOK_RX ? "rx" : "",
				(calls->hooks(ext) & 3u) == 3u ? " and " : "",
				calls->hooks(ext) & XDRV_EXT_HOOK_TX ? "tx" : "");
	if (policy != LDR_NET_EXT_PASS && policy != LDR_NET_EXT_DROP)
		return xdrv_err(err, -EINVAL, "extension %s: policy %u is neither pass nor drop",
				name ? name : "?", policy);
	return 0;
}

static struct att *att_new(struct ldr_net_ext *x, uint32_t hook, struct ldr_ext *ext,
			   uint32_t policy)
{
	struct att *a = x ? calloc(1, sizeof *a) : NULL;
	if (!a)
		return NULL;
	a->e = ext;
	a->hook = hook;
	a->policy = policy;
	a->id = x->next_id++;
	return a;
}

int ldr_net_ext_attach(struct ldr_netdev *nd, uint32_t hook, uint32_t pos, struct ldr_ext *ext,
		       uint32_t policy, char **err)
{
	int rc = check_new(nd, hook, ext, policy, err);
	struct ldr_net_ext *x = rc ? NULL : state(nd, true);
	if (!rc && !x)
		rc = xdrv_err(err, -ENOMEM, "extension: out of memory");
	int h = hook_index(hook);
	struct chain *c = x ? x->chain[h] : NULL;
	if (!rc && c && c->n >= LDR_NET_EXT_CHAIN_MAX)
		rc = xdrv_err(err, -ENOSPC, "net%u: the %s chain holds %u extensions already",
			      ldr_netdev_index(nd), hook_name(hook), LDR_NET_EXT_CHAIN_MAX);
	struct att *a = rc ? NULL : att_new(x, hook, ext, policy);
	bool oom = false;
	struct chain *r = NULL;
	if (a) {
		r = chain_edit(c, UINT32_MAX, a, pos > (c ? c->n : 0) ? (c ? c->n : 0) : pos, &oom);
		if (oom) {
			free(a);
			a = NULL;
		}
	}
	if (!rc && !a)
		rc = xdrv_err(err, -ENOMEM, "extension: out of memory");
	if (rc) {
		calls->unload(ext);
		return rc;
	}
	chain_swap(x, h, r);
	quiesce(x);
	return (int)a->id;
}

/* Where attachment id is: chain index into *h, position into *pos. */
static struct att *find(struct ldr_net_ext *x, uint32_t id, int *h, uint32_t *pos)
{
	for (int k = 0; x && k < NHOOKS; k++)
		for (uint32_t i = 0; x->chain[k] && i < x->chain[k]->n; i++)
			if (x->chain[k]->a[i]->id == id && !x->chain[k]->a[i]->failed) {
				*h = k;
				*pos = i;
				return x->chain[k]->a[i];
			}
	return NULL;
}

int ldr_net_ext_replace(struct ldr_netdev *nd, uint32_t id, struct ldr_ext *ext, uint32_t policy,
			char **err)
{
	struct ldr_net_ext *x = ldr_netdev_registered(nd) ? state(nd, false) : NULL;
	int h = 0;
	uint32_t pos = 0;
	struct att *old = find(x, id, &h, &pos);
	int rc = 0;
	if (!old)
		rc = xdrv_err(err, -ENOENT, "extension %u: not attached", id);
	if (!rc)
		rc = check_new(nd, old->hook, ext, policy, err);
	struct att *a = rc ? NULL : att_new(x, old->hook, ext, policy);
	struct chain *r = NULL;
	bool oom = false;
	if (a) {
		/* one array with the new entry where the old one was: drop pos, add at pos */
		r = chain_edit(x->chain[h], pos, a, pos, &oom);
		if (oom) {
			free(a);
			a = NULL;
		}
	}
	if (!rc && !a)
		rc = xdrv_err(err, -ENOMEM, "extension: out of memory");
	if (rc) {
		calls->unload(ext);
		return rc;
	}
	chain_swap(x, h, r);
	remember(x, old, "replaced");
	retire_att(x, old);
	quiesce(x);
	return (int)a->id;
}

int ldr_net_ext_detach(struct ldr_netdev *nd, uint32_t id, char **err)
{
	struct ldr_net_ext *x = ldr_netdev_registered(nd) ? state(nd, false) : NULL;
	int h = 0;
	uint32_t pos = 0;
	struct att *a = x ? find(x, id, &h, &pos) : NULL;
	if (!x || !a)
		return xdrv_err(err, -ENOENT, "extension %u: not attached", id);
	bool oom = false;
	struct chain *r = chain_edit(x->chain[h], pos, NULL, 0, &oom);
	if (oom)
		return xdrv_err(err, -ENOMEM, "extension: out of memory");
	chain_swap(x, h, r);
	remember(x, a, "detached on request");
	retire_att(x, a);
	quiesce(x);
	return 0;
}

struct ldr_ext *ldr_net_ext_get(struct ldr_netdev *nd, uint32_t id)
{
	struct ldr_net_ext *x = ldr_netdev_registered(nd) ? state(nd, false) : NULL;
	int h = 0;
	uint32_t pos = 0;
	struct att *a = find(x, id, &h, &pos);
	return a ? a->e : NULL;
}

size_t ldr_net_ext_list(struct ldr_netdev *nd, struct ldr_net_ext_info *out, size_t cap)
{
	struct ldr_net_ext *x = nd ? state(nd, false) : NULL;
	size_t n = 0;
	for (int h = 0; x && h < NHOOKS; h++) {
		const struct chain *c = x->chain[h];
		for (uint32_t i = 0; c && i < c->n; i++, n++)
			if (n < cap)
				fill_info(c->a[i], i, &out[n]);
	}
	uint32_t kept = x ? (x->nhist < LDR_NET_EXT_HISTORY ? x->nhist : LDR_NET_EXT_HISTORY) : 0;
	for (uint32_t i = 0; i < kept; i++, n++)
		if (n < cap)
			out[n] = x->hist[(x->nhist - kept + i) % LDR_NET_EXT_HISTORY];
	return n;
}

void ldr_net_ext_counts(struct ldr_netdev *nd, struct ldr_net_ext_counts *c)
{
	memset(c, 0, sizeof *c);
	if (!nd)
		return;
	ldr_netdev_class_counts(nd, c->class_sent, c->class_dropped, c->class_waiting);
	struct ldr_net_ext *x = state(nd, false);
	if (!x)
		return;
	c->rx_dropped = x->rx_dropped;
	c->rx_bounced = x->rx_bounced;
	c->rx_bounce_lost = x->rx_bounce_lost;
	c->tx_dropped = x->tx_dropped;
	c->failures = x->failures;
	c->policy_dropped = x->policy_dropped;
}
