// SPDX-License-Identifier: MIT
/*
 * The transport-independent half of xt.h: dispatch to the loop or xen implementation through
 * their ops tables, state names, reading and validating the other end's keys (copied once,
 * printable ASCII only, bounded, decimal in range; errors name the device, the key and the
 * escaped value), waiting for the other end's state over the control fd, statistics.
 */
#include "xt_priv.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/util.h>

static const char *const state_names[] = {
	"Unknown", "Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed",
};

const char *xt_state_name(int state)
{
	if (state < 0 || state > XT_CLOSED)
		return "?";
	return state_names[state];
}

void xt_init_common(struct xt *t, const struct xt_ops *ops, const char *transport,
		    const struct xt_cfg *cfg)
{
	t->ops = ops;
	t->transport = transport;
	t->event_fd = -1;
	t->ctl_fd = -1;
	t->timeout_ms = cfg && cfg->timeout_ms ? cfg->timeout_ms : XT_DEFAULT_TIMEOUT_MS;
	if (cfg && cfg->name && *cfg->name)
		snprintf(t->name, sizeof t->name, "%s", cfg->name);
	else if (cfg && cfg->type)
		snprintf(t->name, sizeof t->name, "%s.%u", cfg->type, (unsigned)cfg->handle);
	else
		snprintf(t->name, sizeof t->name, "xt");
}

bool xt_key_valid(const char *key, size_t len)
{
	char prev = '/'; /* at the start of a component: neither '/' nor '.' */
	if (len == 0 || len > XT_KEY_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '@' ||
			  ((c == '.' || c == '/') && prev != '/');
		if (!ok)
			return false;
		prev = c;
	}
	return prev != '/';
}

bool xt_val_printable(const char *val, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)val[i] < 0x20 || (unsigned char)val[i] > 0x7e)
			return false;
	return true;
}

const char *xt_escape(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		char tmp[5];
		int n;
		if (c >= 0x20 && c <= 0x7e && c != '\\')
			n = snprintf(tmp, sizeof tmp, "%c", c);
		else if (c == '\\')
			n = snprintf(tmp, sizeof tmp, "\\\\");
		else
			n = snprintf(tmp, sizeof tmp, "\\x%02x", c);
		if (o + (size_t)n + 4 > cap) { /* room for "..." and the NUL */
			if (o + 4 <= cap) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, tmp, (size_t)n);
		o += (size_t)n;
	}
	out[o] = '\0';
	return out;
}

const char *xt_peer_word(const struct xt *t)
{
	return t->is_backend ? "frontend" : "backend";
}

/* ---- dispatch ------------------------------------------------------------------------------- */

int xt_open(const struct xt_cfg *cfg, struct xt **out, char **err)
{
	const char *name = cfg && cfg->name ? cfg->name : "xt";
	*out = NULL;
	if (!cfg || !cfg->type || !*cfg->type)
		return xdrv_err(err, -EINVAL, "%s: transport: no device type", name);
	if (!xt_key_valid(cfg->type, strlen(cfg->type)) || strchr(cfg->type, '/') ||
	    strlen(cfg->type) > 15)
		return xdrv_err(err, -EINVAL, "%s: transport: device type '%s' is not a plain name",
				name, cfg->type);
	if (!cfg->transport || !strcmp(cfg->transport, "loop"))
		return xt_loop_open(cfg, out, err);
	if (!strcmp(cfg->transport, "xen"))
		return xt_xen_open(cfg, out, err);
	return xdrv_err(err, -EINVAL, "%s: transport '%s': unknown (xen, loop)", name,
			cfg->transport);
}

void xt_close(struct xt *t)
{
	if (t)
		t->ops->close(t);
}

int xt_notify(struct xt *t)
{
	int r = t->ops->notify(t);
	if (r == 0)
		t->stats.notify_sent++;
	return r;
}

int xt_event_fd(const struct xt *t)
{
	return t->event_fd;
}

int xt_event_ack(struct xt *t)
{
	int r = t->ops->event_ack(t);
	if (r > 0)
		t->stats.events_taken++;
	return r;
}

int xt_ctl_fd(const struct xt *t)
{
	return t->ctl_fd;
}

int xt_ctl_process(struct xt *t, char **err)
{
	return t->ops->ctl_process(t, err);
}

void *xt_share(struct xt *t, uint32_t n, uint32_t *refs, char **err)
{
	if (!t->ops->share) {
		xdrv_err(err, -ENOTSUP, "%s: only a frontend shares pages", t->name);
		return NULL;
	}
	if (n == 0 || n > XT_LOOP_PAGES) {
		xdrv_err(err, -EINVAL, "%s: share %u pages: out of range 1..%u", t->name, n,
			 XT_LOOP_PAGES);
		return NULL;
	}
	return t->ops->share(t, n, refs, err);
}

void xt_unshare(struct xt *t, void *addr, uint32_t n)
{
	if (t && addr && t->ops->unshare)
		t->ops->unshare(t, addr, n);
}

uint32_t xt_evtchn_port(const struct xt *t)
{
	return t->ops->evtchn_port ? t->ops->evtchn_port(t) : 1;
}

void xt_get_stats(const struct xt *t, struct xt_stats *out)
{
	*out = t->stats;
}

const char *xt_name(const struct xt *t)
{
	return t->name;
}

const char *xt_transport(const struct xt *t)
{
	return t->transport;
}

/* ---- keys ----------------------------------------------------------------------------------- */

int xt_write(struct xt *t, const char *key, const char *fmt, ...)
{
	char val[XT_VAL_MAX + 1];
	va_list ap;
	int n;
	if (!key || !xt_key_valid(key, strlen(key)))
		return -EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(val, sizeof val, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n > XT_VAL_MAX)
		return -E2BIG;
	if (!xt_val_printable(val, (size_t)n))
		return -EINVAL;
	return t->ops->write(t, key, val);
}

int xt_set_state(struct xt *t, enum xt_state s, char **err)
{
	int r = xt_write(t, "state", "%d", (int)s);
	if (r < 0)
		return xdrv_err(err, r, "%s: writing state %s: %s", t->name, xt_state_name(s),
				strerror(-r));
	return 0;
}

int xt_read(struct xt *t, const char *key, char *buf, size_t cap)
{
	char *raw = NULL;
	size_t len = 0;
	int r;
	if (cap)
		buf[0] = '\0';
	if (!key || !xt_key_valid(key, strlen(key)))
		return -EINVAL;
	r = t->ops->read_raw(t, key, &raw, &len);
	if (r < 0)
		return r;
	if (len >= cap)
		r = -E2BIG;
	else if (!xt_val_printable(raw, len))
		r = -EINVAL;
	else {
		memcpy(buf, raw, len);
		buf[len] = '\0';
	}
	free(raw);
	return r;
}

/* A decimal without sign, spaces or overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

int xt_read_u64(struct xt *t, const char *key, uint64_t min, uint64_t max, uint64_t dflt,
		uint64_t *out, char **err)
{
	char *raw = NULL, esc[96];
	size_t len = 0;
	uint64_t v;
	int r;
	*out = dflt;
	if (!key || !xt_key_valid(key, strlen(key)))
		return xdrv_err(err, -EINVAL, "%s: key '%s': not a valid key name", t->name,
				key ? key : "(null)");
	r = t->ops->read_raw(t, key, &raw, &len);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return xdrv_err(err, r, "%s: %s key %s: %s", t->name, xt_peer_word(t), key,
				strerror(-r));
	xt_escape(raw, len, esc, sizeof esc);
	if (len > 20 || !xt_val_printable(raw, len) || strlen(raw) != len || !parse_u64(raw, &v))
		r = xdrv_err(err, -EINVAL, "%s: %s key %s: '%s' is not an unsigned decimal",
			     t->name, xt_peer_word(t), key, esc);
	else if (v < min || v > max)
		r = xdrv_err(err, -EINVAL, "%s: %s key %s: '%s' out of range %llu..%llu", t->name,
			     xt_peer_word(t), key, esc, (unsigned long long)min,
			     (unsigned long long)max);
	else
		*out = v;
	free(raw);
	return r;
}

int xt_peer_state(struct xt *t)
{
	uint64_t v;
	int r;
	if (t->peer_gone)
		return XT_CLOSED;
	r = xt_read_u64(t, "state", 0, XT_CLOSED, XT_UNKNOWN, &v, NULL);
	if (r == -ENOENT)
		return XT_UNKNOWN;
	if (r < 0)
		return -EINVAL;
	return (int)v;
}

/* The other end's key, escaped for a message; "" if absent. */
static const char *peer_escaped(struct xt *t, const char *key, char *out, size_t cap)
{
	char *raw = NULL;
	size_t len = 0;
	out[0] = '\0';
	if (t->ops->read_raw(t, key, &raw, &len) == 0 && raw)
		xt_escape(raw, len, out, cap);
	free(raw);
	return out;
}

/* `want` reached: that state, or for the set-up states a later one before Closing (a backend
 * waiting for Initialised may find the frontend already Connected). */
static bool reached(int st, enum xt_state want)
{
	if (st == (int)want || (want == XT_CLOSING && st == XT_CLOSED))
		return true;
	return want >= XT_INITWAIT && want < XT_CLOSING && st > (int)want && st < XT_CLOSING;
}

int xt_wait_peer_state_ms(struct xt *t, enum xt_state want, uint32_t timeout_ms, char **err)
{
	uint64_t deadline = xdrv_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int st = XT_UNKNOWN;
	for (;;) {
		uint64_t now;
		struct pollfd p = {.fd = t->ctl_fd, .events = POLLIN};
		int r;
		st = xt_peer_state(t);
		if (st < 0) {
			char esc[96];
			return xdrv_err(err, -EPROTO, "%s: %s key state: '%s' is not a state 0..6",
					t->name, xt_peer_word(t),
					peer_escaped(t, "state", esc, sizeof esc));
		}
		if (t->ops->peer_state_seen) {
			r = t->ops->peer_state_seen(t, st, err);
			if (r < 0)
				return r;
		}
		if (reached(st, want))
			return 0;
		if ((st == XT_CLOSING && want < XT_CLOSING) || st == XT_CLOSED) {
			char esc[300];
			bool has = *peer_escaped(t, "error", esc, sizeof esc) != '\0';
			return xdrv_err(err, -ECONNRESET,
					"%s: %s went to %s while waiting for %s%s%s", t->name,
					xt_peer_word(t), xt_state_name(st), xt_state_name(want),
					has ? ": " : "", esc);
		}
		now = xdrv_now_ns();
		if (now >= deadline)
			break;
		r = poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
		if (r < 0 && errno != EINTR)
			return xdrv_err(err, -errno, "%s: waiting for the %s: poll: %s", t->name,
					xt_peer_word(t), strerror(errno));
		if (r > 0) {
			r = xt_ctl_process(t, err);
			if (r < 0 && r != -ENOTCONN)
				return r;
		}
	}
	return xdrv_err(err, -ETIMEDOUT, "%s: %s still %s after %u ms, waiting for %s", t->name,
			xt_peer_word(t), xt_state_name(st), timeout_ms, xt_state_name(want));
}

int xt_wait_peer_state(struct xt *t, enum xt_state want, char **err)
{
	return xt_wait_peer_state_ms(t, want, t->timeout_ms, err);
}
