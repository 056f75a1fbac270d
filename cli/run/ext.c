// SPDX-License-Identifier: MIT
/*
 * `xdrv run --ext`: parse the option, read the table files, compile (supervisor) or load
 * (driver host, or in process) each extension, fill its tables, attach it to the NIC's chain,
 * and print the counters at the end. See ext.h.
 */
#include "run_ext.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/ext.h>
#include <xdrv/ext_host.h>
#include <xdrv/loader.h>
#include <xdrv/net_ext.h>
#include <xdrv/revocation.h>
#include <xdrv/util.h>

/* the format and its parser are the loader's (boot configurations read the same files) */
int run_ext_table_read(const char *path, struct run_ext_table *t, char **err)
{
	int rc = ldr_ext_table_file_read(path, &t->keys, &t->vals, &t->n, err);
	if (rc)
		xdrv_err_prefix(err, "--ext");
	return rc;
}

int run_ext_parse(const char *arg, struct run_ext_spec *s, char **err)
{
	memset(s, 0, sizeof *s);
	s->arg = arg;
	char *copy = strdup(arg);
	if (!copy)
		return xdrv_err(err, -ENOMEM, "out of memory");
	int rc = 0;
	char *save = NULL;
	char *hook = strtok_r(copy, ":", &save);
	char *pkg = hook ? strtok_r(NULL, ":", &save) : NULL;
	if (!hook || !pkg) {
		rc = xdrv_err(err, -EINVAL,
			      "--ext %s: want HOOK:PKG[:policy=pass|drop][:table=NAME=FILE]", arg);
		goto out;
	}
	if (!strcmp(hook, "rx")) {
		s->hook = XDRV_EXT_HOOK_RX;
	} else if (!strcmp(hook, "tx")) {
		s->hook = XDRV_EXT_HOOK_TX;
	} else {
		rc = xdrv_err(err, -EINVAL, "--ext %s: hook '%s' is neither rx nor tx", arg, hook);
		goto out;
	}
	if (strlen(pkg) >= sizeof s->pkg) {
		rc = xdrv_err(err, -ENAMETOOLONG, "--ext %s: package path too long", arg);
		goto out;
	}
	strcpy(s->pkg, pkg);
	for (char *o; rc == 0 && (o = strtok_r(NULL, ":", &save));) {
		if (!strcmp(o, "policy=pass")) {
			s->policy = LDR_NET_EXT_PASS;
		} else if (!strcmp(o, "policy=drop")) {
			s->policy = LDR_NET_EXT_DROP;
		} else if (!strncmp(o, "table=", 6)) {
			char *name = o + 6, *eq = strchr(name, '=');
			if (!eq || eq == name || !eq[1] || (size_t)(eq - name) >= 32) {
				rc = xdrv_err(err, -EINVAL,
					      "--ext %s: want table=NAME=FILE, not %s", arg, o);
				break;
			}
			if (s->ntables == RUN_EXT_TABLES_MAX) {
				rc = xdrv_err(err, -E2BIG, "--ext %s: more than %d tables", arg,
					      RUN_EXT_TABLES_MAX);
				break;
			}
			struct run_ext_table *t = &s->tables[s->ntables++];
			memcpy(t->name, name, (size_t)(eq - name));
			t->name[eq - name] = 0;
			rc = run_ext_table_read(eq + 1, t, err);
		} else {
			rc = xdrv_err(err, -EINVAL,
				      "--ext %s: unknown option '%s' (policy=pass|drop, "
				      "table=NAME=FILE)",
				      arg, o);
		}
	}
out:
	free(copy);
	return rc;
}

void run_ext_free(struct run_ext_spec *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t t = 0; t < s[i].ntables; t++) {
			free(s[i].tables[t].keys);
			free(s[i].tables[t].vals);
		}
		ldr_compiled_free(s[i].compiled);
		s[i].compiled = NULL;
		s[i].ntables = 0;
	}
}

#define PKG_MAX (512u << 20) /* bytes of a package file read (the loader caps more) */

static const struct sig_revocation *revocation;

void run_ext_set_revocation(const struct sig_revocation *r)
{
	revocation = r;
}

int run_ext_read(const char *pkg, uint8_t **buf, size_t *len, char **err)
{
	return xdrv_read_file(pkg, PKG_MAX, buf, len, err);
}

int run_ext_revoked(const uint8_t *buf, size_t len, char **err)
{
	return revocation ? sig_revocation_check(revocation, buf, len, err) : 0;
}

int run_ext_compile_one(struct ldr_ctx *ctx, const char *pkg, struct ldr_compiled **out, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *base = strrchr(pkg, '/') ? strrchr(pkg, '/') + 1 : pkg;
	*out = NULL;
	int rc = run_ext_read(pkg, &buf, &len, err);
	if (rc == 0) /* from the manifest, before a driver is compiled as an extension */
		rc = ldr_ext_refuse_driver(ctx, buf, len, base, err);
	if (rc == 0)
		rc = ldr_package_compile_mem(ctx, buf, len, base, NULL, 0, out, err);
	if (rc == 0) /* after the signature's verification, on the same bytes */
		rc = run_ext_revoked(buf, len, err);
	if (rc) {
		ldr_compiled_free(*out);
		*out = NULL;
	}
	free(buf);
	return rc;
}

int run_ext_compile(struct ldr_ctx *ctx, struct run_ext_spec *s, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++) {
		int rc = run_ext_compile_one(ctx, s[i].pkg, &s[i].compiled, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* In process: load the package file's bytes, checked for revocation. */
static int load_checked(struct ldr_ctx *ctx, const char *pkg, struct ldr_ext **e, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *base = strrchr(pkg, '/') ? strrchr(pkg, '/') + 1 : pkg;
	int rc = run_ext_read(pkg, &buf, &len, err);
	if (rc == 0)
		rc = ldr_ext_load_buf(ctx, buf, len, base, NULL, 0, NULL, e, err);
	if (rc == 0)
		rc = run_ext_revoked(buf, len, err);
	if (rc) {
		ldr_ext_unload(*e);
		*e = NULL;
	}
	free(buf);
	return rc;
}

int run_ext_load(struct ldr_ctx *ctx, const char *pkg, struct ldr_ext **e, char **err)
{
	*e = NULL;
	return load_checked(ctx, pkg, e, err);
}

int run_ext_fill_tables(struct ldr_ext *e, const struct run_ext_spec *s, char **err)
{
	for (size_t t = 0; t < s->ntables; t++) {
		const struct run_ext_table *tb = &s->tables[t];
		int idx = ldr_ext_table_find(e, tb->name);
		if (idx < 0)
			return xdrv_err(err, -ENOENT, "--ext %s: extension %s has no table '%s'",
					s->arg, ldr_ext_name(e), tb->name);
		for (size_t k = 0; k < tb->n; k++) {
			int rc = ldr_ext_table_set(e, (uint32_t)idx, tb->keys[k], tb->vals[k]);
			if (rc)
				return xdrv_err(err, rc,
						"--ext %s: table %s: key %" PRIu64 " refused (%s)",
						s->arg, tb->name, tb->keys[k],
						rc == -ENOSPC ? "table full" : "out of range");
		}
	}
	return 0;
}

int run_ext_attach(struct ldr_ctx *ctx, struct ldr_netdev *nd, struct run_ext_spec *s, size_t n,
		   char **err)
{
	for (size_t i = 0; i < n; i++) {
		struct ldr_ext *e = NULL;
		int rc = s[i].compiled ? ldr_ext_load_compiled(ctx, s[i].compiled, NULL, &e, err)
				       : run_ext_load(ctx, s[i].pkg, &e, err);
		if (rc == 0)
			rc = run_ext_fill_tables(e, &s[i], err);
		if (rc) {
			ldr_ext_unload(e);
			return rc;
		}
		char name[64], ver[32];
		snprintf(name, sizeof name, "%s", ldr_ext_name(e));
		snprintf(ver, sizeof ver, "%s", ldr_ext_version(e));
		/* the runtime owns e from here */
		rc = ldr_net_ext_attach(nd, s[i].hook, LDR_NET_EXT_END, e, s[i].policy, err);
		if (rc < 0)
			return rc;
		s[i].id = rc;
		printf("ext: %s %s attached to the %s hook (id %d, policy %s", name, ver,
		       s[i].hook == XDRV_EXT_HOOK_RX ? "rx" : "tx", rc,
		       s[i].policy == LDR_NET_EXT_DROP ? "drop" : "pass");
		for (size_t t = 0; t < s[i].ntables; t++)
			printf(", table %s: %zu entries", s[i].tables[t].name, s[i].tables[t].n);
		printf(")\n");
	}
	fflush(stdout);
	return 0;
}

void run_ext_summary(struct ldr_netdev *nd, FILE *f)
{
	struct ldr_net_ext_info info[LDR_NET_EXT_CHAIN_MAX * 2 + LDR_NET_EXT_HISTORY];
	size_t n = ldr_net_ext_list(nd, info, sizeof info / sizeof info[0]);
	if (n > sizeof info / sizeof info[0])
		n = sizeof info / sizeof info[0];
	struct ldr_net_ext_counts c;
	ldr_net_ext_counts(nd, &c);
	for (size_t i = 0; i < n; i++) {
		const struct ldr_net_ext_info *x = &info[i];
		double per = x->st.runs ? (double)x->st.run_ns / (double)x->st.runs : 0;
		fprintf(f,
			"  ext         %s %s %s (id %u): %" PRIu64 " runs, pass %" PRIu64
			", drop %" PRIu64 ", tx %" PRIu64 ", class %" PRIu64 ", %.1f ns/run",
			x->hook == XDRV_EXT_HOOK_RX ? "rx" : "tx", x->name, x->version, x->id,
			x->st.runs, x->st.pass, x->st.drop, x->st.tx, x->st.classed, per);
		if (x->st.table_full)
			fprintf(f, ", %" PRIu64 " table inserts refused", x->st.table_full);
		if (!x->attached)
			fprintf(f, "; detached: %s", x->failure);
		fprintf(f, "\n");
	}
	fprintf(f,
		"  ext frames  rx dropped %" PRIu64 ", sent back %" PRIu64 " (%" PRIu64
		" lost); tx dropped %" PRIu64 "; %" PRIu64 " extension failure%s (%" PRIu64
		" frames dropped by policy)\n",
		c.rx_dropped, c.rx_bounced, c.rx_bounce_lost, c.tx_dropped, c.failures,
		c.failures == 1 ? "" : "s", c.policy_dropped);
	fprintf(f, "  classes     sent");
	for (unsigned k = 0; k < XDRV_EXT_CLASSES; k++)
		fprintf(f, " %u:%" PRIu64, k, c.class_sent[k]);
	fprintf(f, "; backlog full, dropped");
	for (unsigned k = 0; k < XDRV_EXT_CLASSES; k++)
		fprintf(f, " %u:%" PRIu64, k, c.class_dropped[k]);
	fprintf(f, "\n");
	fflush(f);
}
