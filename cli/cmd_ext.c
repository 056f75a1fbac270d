// SPDX-License-Identifier: MIT
/*
 * `xdrv ext`: packet extensions (issue 16). `xdrv ext test` runs a signed extension over a pcap
 * capture, as Linux's BPF_PROG_TEST_RUN does for a BPF program: every frame through the
 * verified, JIT-compiled extension (loader/ext.c), a verdict line per frame, the output capture
 * (the frames that go on, as the extension rewrote them), a summary. The same capture through
 * the same signed extension gives the same verdict file and output capture on every host
 * (tests/e2e/ext_test.sh, tests/e2e/cross_arch.sh): nothing in them depends on the host (the
 * metadata time is the frame's capture timestamp, queue and interface index are 0).
 *
 * `xdrv ext attach|detach|list|stats` act on a running `xdrv run --control` and live in
 * cli/cmd_ext_ctl.c (cmd_ext_ctl, commands.h); this file dispatches to them.
 */
#include "cmd_json.h"
#include "commands.h"
#include "pcap.h"
#include "verify_args.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/ext_host.h>
#include <xdrv/loader.h>
#include <xdrv/revocation.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#define CMD	       "ext test"
#define MAX_PARAMS     SDK_MAX_PARAMS
#define MAX_TABLE_ARGS 64
#define PKG_MAX	       (512u << 20) /* bytes of a package file read (the loader caps more) */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv ext test [--trust root.pem | --allow-unsigned] [--store DIR]\n"
		"                     [--crl FILE] [--deny-list FILE]\n"
		"                     [--param NAME=VALUE]... [--budget N] [--hook rx|tx]\n"
		"                     [--table NAME=KEY[:VALUE][,KEY[:VALUE]]...]...\n"
		"                     [--table-file NAME=FILE]... [--on-fail pass|drop]\n"
		"                     [--out OUT.pcap] [--verdicts FILE|-] [--dump-tables] "
		"[--json]\n"
		"                     --pcap IN.pcap EXT.xdrv\n"
		"       xdrv ext attach|detach|list|stats ...   (xdrv-ext(1))\n"
		"\n"
		"Run a packet extension over a capture, like BPF_PROG_TEST_RUN: the package is\n"
		"verified, linted for the extension profile, checked by the loader's memory-check\n"
		"pass and compiled as a host would; then each frame of IN.pcap goes through it.\n"
		"\n"
		"  --pcap FILE         the capture: classic pcap (microsecond or nanosecond, "
		"either\n"
		"                      byte order), LINKTYPE_ETHERNET, snaplen at most 262144\n"
		"  --out FILE          write the frames that go on (PASS, TX, CLASS(n), and those "
		"a\n"
		"                      failure lets pass), as the extension rewrote them\n"
		"  --verdicts FILE|-   one line per frame: INDEX VERDICT LENGTH SHA256, where\n"
		"                      VERDICT is pass, drop, tx or class0..class3; the frame\n"
		"                      where the extension failed is failed-pass or failed-drop "
		"and\n"
		"                      every later one policy-pass or policy-drop; SHA256 is the\n"
		"                      digest of the frame after the run (with -, the summary "
		"goes\n"
		"                      to stderr)\n"
		"  --hook rx|tx        the attach point the frames are seen at (default rx)\n"
		"  --table NAME=KEY[:VALUE],...  put keys into the extension's table NAME before\n"
		"                      the run (VALUE default 1); KEY and VALUE are decimal, 0x "
		"hex\n"
		"                      or a dotted IPv4 address (10.0.0.2 = 0x0a000002)\n"
		"  --table-file NAME=FILE  the same from a file: one 'KEY [VALUE]' a line, # "
		"starts\n"
		"                      a comment\n"
		"  --param NAME=VALUE  set a declared parameter of the extension\n"
		"  --budget N          back edges per frame (default 4096, at most 1000000)\n"
		"  --on-fail pass|drop what the frames get once the extension failed (default "
		"pass)\n"
		"  --dump-tables       print the tables after the run (non-zero array entries, "
		"every\n"
		"                      hash key, in key order)\n"
		"  --json              the summary as one JSON object\n"
		"  --trust FILE        the pinned root (default $XDRV_TRUST, else "
		"STORE/trust-root.pem)\n"
		"  --store DIR         the store whose trust root to use\n"
		"  --allow-unsigned    development: accept an unsigned package\n"
		"  --crl FILE          the root's CRL: refuse a package signed by a revoked "
		"certificate\n"
		"  --deny-list FILE    refuse a package whose payload digest it lists\n"
		"\n"
		"An extension that faults, exceeds its budget, accesses out of bounds or returns\n"
		"something that is no verdict is stopped: the summary names the frame and what\n"
		"happened. The exit status is 0 when the capture was run, failed extension or "
		"not.\n");
}

/* ---- arguments ---------------------------------------------------------------------------- */
/* decimal or 0x hex, all of it, no sign */
static int parse_u64(const char *s, uint64_t *v)
{
	char *end = NULL;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || !end || *end || (s[0] == '0' && s[1] && s[1] != 'x' && s[1] != 'X'))
		return -1;
	*v = x;
	return 0;
}

static int parse_num(const char *s, uint64_t *v)
{
	unsigned a, b, c, d;
	int end = 0;
	if (sscanf(s, "%3u.%3u.%3u.%3u%n", &a, &b, &c, &d, &end) == 4 && s[end] == 0) {
		if (a > 255 || b > 255 || c > 255 || d > 255)
			return -1;
		*v = (uint64_t)a << 24 | b << 16 | c << 8 | d;
		return 0;
	}
	return parse_u64(s, v);
}

struct table_arg {
	const char *name;
	const char *list; /* KEY[:VALUE],... */
	const char *file; /* or a file */
};

static int table_put(struct ldr_ext *e, const char *name, const char *key, const char *val)
{
	int t = ldr_ext_table_find(e, name);
	uint64_t k, v = 1;
	if (t < 0) {
		fprintf(stderr, "xdrv " CMD ": the extension has no table '%s'\n", name);
		return 1;
	}
	if (parse_num(key, &k) != 0 || (val && parse_num(val, &v) != 0)) {
		fprintf(stderr,
			"xdrv " CMD ": table %s: '%s%s%s' is not KEY[:VALUE] (decimal, 0x "
			"hex or IPv4)\n",
			name, key, val ? ":" : "", val ? val : "");
		return 1;
	}
	int rc = ldr_ext_table_set(e, (uint32_t)t, k, v);
	if (rc) {
		fprintf(stderr, "xdrv " CMD ": table %s: key %s: %s\n", name, key,
			rc == -ENOSPC ? "the table is full" : "out of the array's range");
		return 1;
	}
	return 0;
}

static int tables_fill(struct ldr_ext *e, const struct table_arg *ta, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ta[i].list) {
			char *copy = strdup(ta[i].list), *save = NULL;
			if (!copy)
				return 1;
			for (char *p = strtok_r(copy, ",", &save); p;
			     p = strtok_r(NULL, ",", &save)) {
				char *colon = strchr(p, ':');
				if (colon)
					*colon = 0;
				if (table_put(e, ta[i].name, p, colon ? colon + 1 : NULL)) {
					free(copy);
					return 1;
				}
			}
			free(copy);
			continue;
		}
		FILE *f = fopen(ta[i].file, "r");
		if (!f) {
			fprintf(stderr, "xdrv " CMD ": %s: %s\n", ta[i].file, strerror(errno));
			return 1;
		}
		char line[512];
		unsigned ln = 0;
		while (fgets(line, sizeof line, f)) {
			ln++;
			char *hash = strchr(line, '#');
			if (hash)
				*hash = 0;
			char *save = NULL, *k = strtok_r(line, " \t\r\n", &save);
			if (!k)
				continue;
			char *v = strtok_r(NULL, " \t\r\n", &save);
			if (strtok_r(NULL, " \t\r\n", &save) || table_put(e, ta[i].name, k, v)) {
				fprintf(stderr, "xdrv " CMD ": %s:%u: wants 'KEY [VALUE]'\n",
					ta[i].file, ln);
				fclose(f);
				return 1;
			}
		}
		fclose(f);
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------------------------ */
static const char *verdict_name(int32_t v, char *buf, size_t n)
{
	switch (v) {
	case XDRV_EXT_PASS:
		return "pass";
	case XDRV_EXT_DROP:
		return "drop";
	case XDRV_EXT_TX:
		return "tx";
	default:
		snprintf(buf, n, "class%d", v & 0xff);
		return buf;
	}
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t d[32];
	unsigned int dl = 32;
	if (!EVP_Digest(p, n, d, &dl, EVP_sha256(), NULL))
		memset(d, 0, sizeof d);
	xdrv_hex(d, 32, out);
}

struct entry {
	uint64_t k, v;
};

static int collect(void *arg, uint64_t k, uint64_t v)
{
	struct {
		struct entry *e;
		size_t n, cap;
	} *c = arg;
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		struct entry *ne = realloc(c->e, nc * sizeof *ne);
		if (!ne)
			return -ENOMEM;
		c->e = ne;
		c->cap = nc;
	}
	c->e[c->n++] = (struct entry){k, v};
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	uint64_t x = ((const struct entry *)a)->k, y = ((const struct entry *)b)->k;
	return x < y ? -1 : x > y;
}

/* The tables, in key order: printed, or as a JSON object. */
static json_t *tables_dump(const struct ldr_ext *e, FILE *f)
{
	json_t *o = f ? NULL : json_object();
	for (uint32_t t = 0; t < ldr_ext_table_count(e); t++) {
		struct {
			struct entry *e;
			size_t n, cap;
		} c = {0};
		ldr_ext_table_scan(e, t, collect, &c);
		if (c.n)
			qsort(c.e, c.n, sizeof *c.e, cmp_entry);
		const char *kind =
			ldr_ext_table_kind(e, t) == XDRV_EXT_TABLE_ARRAY ? "array" : "hash";
		if (f) {
			fprintf(f, "table %s (%s): %zu entr%s\n", ldr_ext_table_name(e, t), kind,
				c.n, c.n == 1 ? "y" : "ies");
			for (size_t i = 0; i < c.n; i++)
				fprintf(f, "  %#" PRIx64 " %" PRIu64 "\n", c.e[i].k, c.e[i].v);
		} else {
			json_t *arr = json_array();
			for (size_t i = 0; i < c.n; i++) {
				char k[24], v[24];
				snprintf(k, sizeof k, "%" PRIu64, c.e[i].k);
				snprintf(v, sizeof v, "%" PRIu64, c.e[i].v);
				json_array_append_new(arr, json_pack("[s,s]", k, v));
			}
			json_object_set_new(o, ldr_ext_table_name(e, t),
					    json_pack("{s:s, s:o}", "kind", kind, "entries", arr));
		}
		free(c.e);
	}
	return o;
}

struct opts {
	const char *pcap, *out, *verdicts, *pkg, *store, *trust, *crl, *deny;
	uint32_t hook;
	int on_fail_drop, dump, json, allow_unsigned;
	uint64_t budget;
	struct ldr_param_value params[MAX_PARAMS];
	size_t nparams;
	struct table_arg tables[MAX_TABLE_ARGS];
	size_t ntables;
};

static int run_capture(const struct opts *o, struct ldr_ext *e, const struct xpcap *cap, FILE *vf,
		       FILE *of, FILE *sum)
{
	uint64_t counts[3 + XDRV_EXT_CLASSES] = {0}, policy = 0;
	long fail_at = -1;
	int32_t fail_rc = 0;
	uint8_t *buf = malloc(XPCAP_SNAPLEN_MAX);
	if (!buf) {
		fprintf(stderr, "xdrv " CMD ": out of memory\n");
		return 1;
	}
	if (of && xpcap_write_header(of, cap->nsec, cap->snaplen) != 0)
		goto io;
	for (size_t i = 0; i < cap->n; i++) {
		const struct xpcap_rec *r = &cap->recs[i];
		memcpy(buf, r->data, r->caplen);
		struct ldr_ext_meta m = {.hook = o->hook,
					 .time_ns =
						 (uint64_t)r->ts_sec * 1000000000ull +
						 (uint64_t)r->ts_frac * (cap->nsec ? 1u : 1000u)};
		char vb[16];
		const char *vname;
		int out;
		if (fail_at < 0) {
			int32_t v = ldr_ext_run(e, buf, r->caplen, &m);
			if (v >= 0) {
				vname = verdict_name(v, vb, sizeof vb);
				out = v != XDRV_EXT_DROP;
				/* ldr_ext_run returns 0..2 or CLASS(0..3), nothing else */
				counts[v >= 0x100 ? 3u + ((uint32_t)v & 3u) : (uint32_t)v % 3u]++;
			} else {
				fail_at = (long)i;
				fail_rc = v;
				memcpy(buf, r->data, r->caplen); /* the frame as it came */
				vname = o->on_fail_drop ? "failed-drop" : "failed-pass";
				out = !o->on_fail_drop;
				policy++;
			}
		} else {
			vname = o->on_fail_drop ? "policy-drop" : "policy-pass";
			out = !o->on_fail_drop;
			policy++;
		}
		if (vf) {
			char hex[65];
			sha256_hex(buf, r->caplen, hex);
			if (fprintf(vf, "%zu %s %u %s\n", i, vname, r->caplen, hex) < 0)
				goto io;
		}
		if (of && out &&
		    xpcap_write_record(of, r->ts_sec, r->ts_frac, buf, r->caplen, r->origlen) != 0)
			goto io;
	}
	free(buf);
	struct ldr_ext_stats st;
	ldr_ext_stats(e, &st);
	const char *msg = ldr_ext_failure(e);
	uint64_t mean = st.runs ? st.run_ns / st.runs : 0;
	char hexd[65];
	uint8_t dg[32];
	ldr_ext_digest(e, dg);
	xdrv_hex(dg, 32, hexd);
	if (o->json) {
		json_t *cls = json_array();
		for (uint32_t c = 0; c < XDRV_EXT_CLASSES; c++)
			json_array_append_new(cls, json_integer((json_int_t)counts[3 + c]));
		json_t *doc = json_pack(
			"{s:s, s:s, s:s, s:s, s:I, s:{s:I, s:I, s:I, s:o}, s:I, s:s, s:I, s:I}",
			"extension", ldr_ext_name(e), "version", ldr_ext_version(e), "digest", hexd,
			"hook", o->hook == XDRV_EXT_HOOK_TX ? "tx" : "rx", "frames",
			(json_int_t)cap->n, "verdicts", "pass", (json_int_t)counts[0], "drop",
			(json_int_t)counts[1], "tx", (json_int_t)counts[2], "class", cls, "policy",
			(json_int_t)policy, "on_fail", o->on_fail_drop ? "drop" : "pass",
			"table_full", (json_int_t)st.table_full, "run_ns_mean", (json_int_t)mean);
		json_object_set_new(doc, "failed",
				    fail_at < 0 ? json_null()
						: json_pack("{s:I, s:i, s:s}", "frame",
							    (json_int_t)fail_at, "rc", fail_rc,
							    "message", msg ? msg : ""));
		if (o->dump)
			json_object_set_new(doc, "tables", tables_dump(e, NULL));
		return cmd_json_print(CMD, doc);
	}
	fprintf(sum, "extension %s %s (%.16s), hook %s: %zu frames\n", ldr_ext_name(e),
		ldr_ext_version(e), hexd, o->hook == XDRV_EXT_HOOK_TX ? "tx" : "rx", cap->n);
	fprintf(sum, "verdicts: pass %" PRIu64 ", drop %" PRIu64 ", tx %" PRIu64, counts[0],
		counts[1], counts[2]);
	for (uint32_t c = 0; c < XDRV_EXT_CLASSES; c++)
		fprintf(sum, ", class%u %" PRIu64, c, counts[3 + c]);
	fprintf(sum, "\n");
	if (fail_at >= 0)
		fprintf(sum,
			"FAILED at frame %ld: %s; %" PRIu64 " frame%s got the policy verdict %s\n",
			fail_at, msg ? msg : "?", policy, policy == 1 ? "" : "s",
			o->on_fail_drop ? "drop" : "pass");
	fprintf(sum, "table inserts refused (full): %" PRIu64 "; mean run time %" PRIu64 " ns\n",
		st.table_full, mean);
	if (o->dump)
		tables_dump(e, sum);
	return 0;
io:
	free(buf);
	fprintf(stderr, "xdrv " CMD ": writing the output: %s\n", strerror(errno));
	return 1;
}

static int cmd_ext_test(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pcap", required_argument, NULL, 'i'},
		{"out", required_argument, NULL, 'o'},
		{"verdicts", required_argument, NULL, 'v'},
		{"hook", required_argument, NULL, 'H'},
		{"table", required_argument, NULL, 'T'},
		{"table-file", required_argument, NULL, 'F'},
		{"param", required_argument, NULL, 'p'},
		{"budget", required_argument, NULL, 'b'},
		{"on-fail", required_argument, NULL, 'f'},
		{"dump-tables", no_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"trust", required_argument, NULL, 't'},
		{"store", required_argument, NULL, 's'},
		{"allow-unsigned", no_argument, NULL, 'u'},
		{"crl", required_argument, NULL, 'C'},
		{"deny-list", required_argument, NULL, 'D'},
		{NULL, 0, NULL, 0},
	};
	static struct opts o;
	memset(&o, 0, sizeof o);
	o.hook = XDRV_EXT_HOOK_RX;
	int c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.pcap = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'v':
			o.verdicts = optarg;
			break;
		case 'H':
			if (strcmp(optarg, "rx") == 0)
				o.hook = XDRV_EXT_HOOK_RX;
			else if (strcmp(optarg, "tx") == 0)
				o.hook = XDRV_EXT_HOOK_TX;
			else
				return xdrv_cli_usage_error(CMD, "--hook wants rx or tx, not",
							    optarg);
			break;
		case 'T':
		case 'F': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1])
				return xdrv_cli_usage_error(
					CMD,
					c == 'T' ? "--table wants NAME=KEY[:VALUE],..."
						 : "--table-file wants NAME=FILE",
					optarg);
			if (o.ntables == MAX_TABLE_ARGS)
				return xdrv_cli_usage_error(CMD, "too many --table options", NULL);
			*eq = 0;
			o.tables[o.ntables].name = optarg;
			if (c == 'T')
				o.tables[o.ntables].list = eq + 1;
			else
				o.tables[o.ntables].file = eq + 1;
			o.ntables++;
			break;
		}
		case 'p': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return xdrv_cli_usage_error(CMD, "--param wants NAME=VALUE, not",
							    optarg);
			if (o.nparams == MAX_PARAMS)
				return xdrv_cli_usage_error(CMD, "too many --param options", NULL);
			*eq = 0;
			o.params[o.nparams].name = optarg;
			o.params[o.nparams].value = eq + 1;
			o.nparams++;
			break;
		}
		case 'b':
			if (parse_u64(optarg, &o.budget) != 0 || o.budget == 0 ||
			    o.budget > LDR_EXT_BUDGET_MAX)
				return xdrv_cli_usage_error(CMD, "--budget wants 1..1000000, not",
							    optarg);
			break;
		case 'f':
			if (strcmp(optarg, "pass") == 0)
				o.on_fail_drop = 0;
			else if (strcmp(optarg, "drop") == 0)
				o.on_fail_drop = 1;
			else
				return xdrv_cli_usage_error(
					CMD, "--on-fail wants pass or drop, not", optarg);
			break;
		case 'd':
			o.dump = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 't':
			o.trust = optarg;
			break;
		case 's':
			o.store = optarg;
			break;
		case 'u':
			o.allow_unsigned = 1;
			break;
		case 'C':
			o.crl = optarg;
			break;
		case 'D':
			o.deny = optarg;
			break;
		case ':':
			return xdrv_cli_usage_error(CMD, "missing value for", argv[optind - 1]);
		default:
			return xdrv_cli_option_error(CMD, longopts, argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return xdrv_cli_usage_error(CMD, "wants exactly one extension package", NULL);
	if (!o.pcap)
		return xdrv_cli_usage_error(CMD, "wants --pcap IN.pcap", NULL);
	if (o.json && o.verdicts && strcmp(o.verdicts, "-") == 0)
		return xdrv_cli_usage_error(CMD, "--json and --verdicts - both want stdout", NULL);
	o.pkg = argv[optind];

	struct repo_trust tr;
	int trc = cli_trust(CMD, o.store, o.trust, true, o.allow_unsigned, o.json, &tr);
	if (trc != 0)
		return trc;
	struct ldr_config cfg = {.trust_root = tr.source != REPO_TRUST_NONE ? tr.path : NULL,
				 .allow_unsigned = o.allow_unsigned,
				 .jit_mode = LDR_JIT_EAGER,
				 .opt_level = 2};
	/* the capture first: a bad file is refused before anything is compiled */
	uint8_t *pbuf = NULL;
	size_t plen = 0;
	char *err = NULL;
	struct xpcap cap = {0};
	if (xdrv_read_file(o.pcap, XPCAP_FILE_MAX, &pbuf, &plen, &err) != 0 ||
	    xpcap_parse(pbuf, plen, &cap, &err) != 0) {
		fprintf(stderr, "xdrv " CMD ": %s: %s\n", o.pcap, err ? err : "unreadable");
		free(err);
		free(pbuf);
		return 1;
	}
	struct ldr_ctx *ctx = NULL;
	struct ldr_ext *e = NULL;
	struct sig_revocation *rev = NULL;
	struct ldr_ext_opts eo = {.budget = o.budget};
	int rc = 1;
	FILE *vf = NULL, *of = NULL;
	uint8_t *kbuf = NULL;
	size_t klen = 0;
	const char *base = strrchr(o.pkg, '/') ? strrchr(o.pkg, '/') + 1 : o.pkg;
	if ((o.crl || o.deny) && !cfg.trust_root) {
		fprintf(stderr, "xdrv " CMD ": --crl and --deny-list need a trust root\n");
		goto out;
	}
	/* the package read once: what is verified, checked for revocation and compiled is the
	 * same bytes */
	if ((o.crl || o.deny) &&
	    sig_revocation_load(cfg.trust_root, o.crl, o.deny, &rev, &err) != 0) {
		fprintf(stderr, "xdrv " CMD ": %s\n", err ? err : "revocation inputs refused");
		free(err);
		goto out;
	}
	if (xdrv_read_file(o.pkg, PKG_MAX, &kbuf, &klen, &err) != 0 ||
	    ldr_ctx_create(&cfg, &ctx, &err) != 0 ||
	    ldr_ext_load_buf(ctx, kbuf, klen, base, o.params, o.nparams, &eo, &e, &err) != 0 ||
	    (rev && sig_revocation_check(rev, kbuf, klen, &err) != 0)) {
		fprintf(stderr, "xdrv " CMD ": %s\n", err ? err : "failed");
		free(err);
		goto out;
	}
	if (!(ldr_ext_hooks(e) & o.hook)) {
		fprintf(stderr, "xdrv " CMD ": extension %s does not attach to the %s hook\n",
			ldr_ext_name(e), o.hook == XDRV_EXT_HOOK_TX ? "tx" : "rx");
		goto out;
	}
	if (tables_fill(e, o.tables, o.ntables))
		goto out;
	bool vstd = o.verdicts && strcmp(o.verdicts, "-") == 0;
	if (o.verdicts && !(vf = vstd ? stdout : fopen(o.verdicts, "w"))) {
		fprintf(stderr, "xdrv " CMD ": %s: %s\n", o.verdicts, strerror(errno));
		goto out;
	}
	if (o.out && !(of = fopen(o.out, "wb"))) {
		fprintf(stderr, "xdrv " CMD ": %s: %s\n", o.out, strerror(errno));
		goto out;
	}
	rc = run_capture(&o, e, &cap, vf, of, vstd ? stderr : stdout);
	if (vf && vf != stdout && fclose(vf) != 0 && !rc) {
		fprintf(stderr, "xdrv " CMD ": %s: %s\n", o.verdicts, strerror(errno));
		rc = 1;
	}
	vf = NULL;
	if (of && fclose(of) != 0 && !rc) {
		fprintf(stderr, "xdrv " CMD ": %s: %s\n", o.out, strerror(errno));
		rc = 1;
	}
	of = NULL;
out:
	if (vf && vf != stdout)
		fclose(vf);
	if (of)
		fclose(of);
	ldr_ext_unload(e);
	ldr_ctx_destroy(ctx);
	sig_revocation_free(rev);
	free(kbuf);
	xpcap_free(&cap);
	free(pbuf);
	return rc;
}

/* ---- the dispatch ---------------------------------------------------------------------------
 * `test` is here; attach, detach, list and stats are cmd_ext_ctl's (cli/cmd_ext_ctl.c, helper
 * "attach" of issue 16), which gets argv[0] = the subcommand. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} subs[] = {
	{"test", cmd_ext_test}, {"attach", cmd_ext_ctl}, {"detach", cmd_ext_ctl},
	{"list", cmd_ext_ctl},	{"stats", cmd_ext_ctl},
};

int cmd_ext(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc < 2)
			return xdrv_cli_usage_error(
				"ext", "wants test, attach, detach, list or stats", NULL);
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	return xdrv_cli_usage_error("ext", "wants test, attach, detach, list or stats, not",
				    argv[1]);
}
