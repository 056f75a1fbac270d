// SPDX-License-Identifier: MIT
/*
 * `xdrv load`: verify, extract, check, specialize, optimize and JIT-compile one driver package,
 * report what was done and how long each step took, then unload it. It does not bind the driver
 * to a device (that is `xdrv run`). Argument handling and output only; the work is in image.c and
 * the files it calls.
 */
#include "budget_args.h"
#include "cache_args.h"
#include "commands.h"
#include "verify_args.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/abi.h>
#include <xdrv/loader.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include <xdrv/signer.h>

#define MAX_PARAMS SDK_MAX_PARAMS

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv load [--trust root.pem | --allow-unsigned] [--store DIR]\n"
		"                 [--eager | --lazy] [--param NAME=VALUE]... [--time-floor WHEN]\n"
		"                 [--O0|--O1|--O2|--O3] [--cache DIR | --no-cache]\n"
		"                 [--cache-max MIB] [--json] PKG|NAME[@VERSION]\n"
		"\n"
		"Load a driver package the way a host boots it, without binding it to a device:\n"
		"check the signature, extract the archive under caps, parse and verify the "
		"bitcode,\n"
		"lint it against the ABI, check its descriptor against the manifest, turn its\n"
		"parameters into constants, optimize it for this CPU and JIT-compile it. Prints "
		"the\n"
		"driver, the host target, the functions compiled, the time of each step and the "
		"peak\n"
		"memory, then unloads it. `xdrv run` is the command that probes a device.\n"
		"With an object cache (--cache), says whether the code came from it.\n"
		"PKG is a package file; NAME or NAME@VERSION (a driver name, no such file here)\n"
		"is the package of an installed driver, looked up in the store.\n"
		"\n"
		"  --trust FILE        the pinned root certificate (PEM); signed packages are "
		"verified;\n"
		"                      default $XDRV_TRUST, else STORE/trust-root.pem; the one\n"
		"                      taken is named on stderr: 'trust: PATH (SOURCE)' (with\n"
		"                      --json: in the document)\n"
		"  --store DIR         local store of installed drivers, for NAME and its trust\n"
		"                      root (default $XDRV_STORE, else /var/lib/xdrv; read only)\n"
		"  --allow-unsigned    development: accept packages without a signature\n"
		"  --eager             compile every function now (default)\n"
		"  --lazy              compile each function on its first call (stubs now)\n"
		"  --param NAME=VALUE  set a declared parameter (decimal, 0x hex, true/false);\n"
		"                      checked against its declared range, then a constant\n"
		"  --time-floor WHEN   lower bound on the current time for certificate expiry, "
		"Unix\n"
		"                      seconds or YYYY-MM-DD (UTC); default: this build's source "
		"date\n"
		"  --O0 ... --O3       optimization level (default --O2)\n" CLI_CACHE_USAGE
			CLI_BUDGET_USAGE
		"  --json              print the report as one JSON object (with \"trust_root\" "
		"and\n"
		"                      \"trust_source\" instead of the line on stderr)\n");
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void param_text(const struct sdk_param *p, uint64_t v, char *buf, size_t n)
{
	if (p->type == XDRV_PARAM_I32 || p->type == XDRV_PARAM_I64)
		snprintf(buf, n, "%" PRId64, (int64_t)v);
	else if (p->type == XDRV_PARAM_BOOL)
		snprintf(buf, n, "%s", v ? "true" : "false");
	else
		snprintf(buf, n, "%" PRIu64, v);
}

static const char *sig_state(const struct ldr_image *img)
{
	return ldr_image_signature(img) ? "verified" : "not checked";
}

static void report_text(struct ldr_ctx *ctx, struct ldr_image *img, uint64_t rss)
{
	const struct sdk_manifest *m = ldr_image_manifest(img);
	struct ldr_timings t;
	ldr_image_timings(img, &t);
	uint32_t abi = m ? m->abi_version : ldr_image_abi_version(img);
	const struct sig_info *sig = ldr_image_signature(img);
	size_t nvals = 0;
	const uint64_t *vals = ldr_image_param_values(img, &nvals);
	printf("driver:     %s %s (ABI %u.%u.%u, security version %" PRIu64 ")\n",
	       ldr_image_name(img), m ? m->version : "?", abi / 1000000u, abi / 1000u % 1000u,
	       abi % 1000u, m ? m->security_version : 0);
	if (sig)
		printf("signature:  verified, signer %s\n            issuer %s\n", sig->signer,
		       sig->issuer);
	else
		printf("signature:  not checked (allowed by --allow-unsigned)\n");
	printf("host:       %s\n", ldr_host_description(ctx));
	printf("jit:        %s, O%u\n", ldr_image_jit_mode(img) == LDR_JIT_LAZY ? "lazy" : "eager",
	       ldr_ctx_opt_level(ctx));
	if (m && m->desc.nparams) {
		printf("params:    ");
		for (size_t i = 0; i < m->desc.nparams && i < nvals; i++) {
			char v[32];
			param_text(&m->desc.params[i], vals[i], v, sizeof v);
			printf(" %s=%s", m->desc.params[i].name, v);
		}
		printf("\n");
	}
	if (strcmp(ldr_image_cache_state(img), "off") != 0)
		printf("cache:      %s (%.3f ms)\n", ldr_image_cache_state(img), ms(t.cache_ns));
	printf("functions:  %u/%u compiled%s\n", ldr_image_compiled_functions(img),
	       ldr_image_total_functions(img),
	       ldr_image_jit_mode(img) == LDR_JIT_LAZY ? " (the rest on first call)" : "");
	printf("timings:    verify %.3f ms, extract %.3f ms, parse+lint %.3f ms, optimize %.3f ms, "
	       "jit %.3f ms, total %.3f ms\n",
	       ms(t.verify_ns), ms(t.extract_ns), ms(t.parse_ns), ms(t.opt_ns), ms(t.jit_ns),
	       ms(t.total_ns));
	printf("peak rss:   %" PRIu64 " KiB\n", rss);
}

static int report_json(struct ldr_ctx *ctx, struct ldr_image *img, uint64_t rss,
		       const struct repo_trust *tr)
{
	const struct sdk_manifest *m = ldr_image_manifest(img);
	struct ldr_timings t;
	ldr_image_timings(img, &t);
	json_t *o = json_object(), *params = json_object(), *tm = json_object();
	json_object_set_new(o, "driver", json_string(ldr_image_name(img)));
	json_object_set_new(o, "version", json_string(m && m->version ? m->version : ""));
	const struct sig_info *sig = ldr_image_signature(img);
	size_t nvals = 0;
	const uint64_t *vals = ldr_image_param_values(img, &nvals);
	json_object_set_new(o, "abi_version",
			    json_integer(m ? m->abi_version : ldr_image_abi_version(img)));
	json_object_set_new(o, "security_version",
			    json_integer(m ? (json_int_t)m->security_version : 0));
	json_object_set_new(o, "signature", json_string(sig_state(img)));
	/* the root taken (verify_args.h): in the document, as --json keeps stderr quiet */
	json_object_set_new(o, "trust_root",
			    tr->source != REPO_TRUST_NONE ? json_string(tr->path) : json_null());
	json_object_set_new(o, "trust_source", json_string(repo_trust_source_name(tr->source)));
	if (sig) {
		json_object_set_new(o, "signer", json_string(sig->signer));
		json_object_set_new(o, "payload_sha256", json_string(sig->digest_hex));
	}
	json_object_set_new(o, "host", json_string(ldr_host_description(ctx)));
	json_object_set_new(o, "host_triple", json_string(ldr_host_triple(ctx)));
	json_object_set_new(o, "host_cpu", json_string(ldr_host_cpu(ctx)));
	json_object_set_new(
		o, "mode", json_string(ldr_image_jit_mode(img) == LDR_JIT_LAZY ? "lazy" : "eager"));
	json_object_set_new(o, "opt_level", json_integer(ldr_ctx_opt_level(ctx)));
	json_object_set_new(o, "cache", json_string(ldr_image_cache_state(img)));
	uint8_t od[32];
	char oh[65];
	if (ldr_image_object_digest(img, od) == 0) {
		xdrv_hex(od, 32, oh);
		json_object_set_new(o, "object_sha256", json_string(oh));
	}
	for (size_t i = 0; m && i < m->desc.nparams && i < nvals; i++) {
		const struct sdk_param *p = &m->desc.params[i];
		uint64_t v = vals[i];
		json_t *jv = p->type == XDRV_PARAM_BOOL ? json_boolean(v)
			     : (p->type == XDRV_PARAM_I32 || p->type == XDRV_PARAM_I64)
				     ? json_integer((json_int_t)v)
			     : v <= (uint64_t)INT64_MAX ? json_integer((json_int_t)v)
							: json_real((double)v);
		json_object_set_new(params, p->name, jv);
	}
	json_object_set_new(o, "params", params);
	json_object_set_new(o, "functions_compiled",
			    json_integer(ldr_image_compiled_functions(img)));
	json_object_set_new(o, "functions_total", json_integer(ldr_image_total_functions(img)));
	json_object_set_new(tm, "verify_ns", json_integer((json_int_t)t.verify_ns));
	json_object_set_new(tm, "extract_ns", json_integer((json_int_t)t.extract_ns));
	json_object_set_new(tm, "parse_ns", json_integer((json_int_t)t.parse_ns));
	json_object_set_new(tm, "opt_ns", json_integer((json_int_t)t.opt_ns));
	json_object_set_new(tm, "jit_ns", json_integer((json_int_t)t.jit_ns));
	json_object_set_new(tm, "total_ns", json_integer((json_int_t)t.total_ns));
	json_object_set_new(tm, "cache_ns", json_integer((json_int_t)t.cache_ns));
	json_object_set_new(o, "timings", tm);
	json_object_set_new(o, "peak_rss_kib", json_integer((json_int_t)rss));
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (!s) {
		fprintf(stderr, "xdrv load: out of memory\n");
		return 1;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

int cmd_load(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"trust", required_argument, NULL, 't'},
		{"allow-unsigned", no_argument, NULL, 'u'},
		{"eager", no_argument, NULL, 'e'},
		{"lazy", no_argument, NULL, 'l'},
		{"param", required_argument, NULL, 'p'},
		{"time-floor", required_argument, NULL, 'f'},
		{"O0", no_argument, NULL, '0'},
		{"O1", no_argument, NULL, '1'},
		{"O2", no_argument, NULL, '2'},
		{"O3", no_argument, NULL, '3'},
		{"json", no_argument, NULL, 'j'},
		{"store", required_argument, NULL, 's'},
		CLI_CACHE_LONGOPTS,
		CLI_BUDGET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct ldr_config cfg = {.jit_mode = LDR_JIT_EAGER, .opt_level = 2};
	struct cli_cache cache = {0};
	struct cli_budget budget = {0};
	const char *store = NULL;
	struct ldr_param_value params[MAX_PARAMS];
	size_t nparams = 0;
	int json = 0, c, modes = 0, rc = 1;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	opterr = 0;
	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			cfg.trust_root = optarg;
			break;
		case 'u':
			cfg.allow_unsigned = 1;
			break;
		case 'e':
			cfg.jit_mode = LDR_JIT_EAGER;
			modes++;
			break;
		case 'l':
			cfg.jit_mode = LDR_JIT_LAZY;
			modes++;
			break;
		case 'p': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return xdrv_cli_usage_error("load", "--param wants NAME=VALUE, not",
							    optarg);
			if (nparams == MAX_PARAMS)
				return xdrv_cli_usage_error("load", "too many --param options",
							    NULL);
			*eq = 0; /* argv is ours to modify */
			params[nparams].name = optarg;
			params[nparams].value = eq + 1;
			nparams++;
			break;
		}
		case 'f':
			if (xdrv_parse_when(optarg, &cfg.time_floor) != 0)
				return xdrv_cli_usage_error(
					"load",
					"--time-floor wants Unix seconds or YYYY-MM-DD, not",
					optarg);
			break;
		case '0':
		case '1':
		case '2':
		case '3':
			cfg.opt_level = (uint32_t)(c - '0');
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			store = optarg;
			break;
		case ':':
			return xdrv_cli_usage_error("load", "missing value for", argv[optind - 1]);
		default:
			if (cli_cache_is_option(c)) {
				if (cli_cache_option("load", c, optarg, &cache))
					return 2;
				break;
			}
			if (cli_budget_is_option(c)) {
				if (cli_budget_option("load", c, optarg, &budget))
					return 2;
				break;
			}
			return xdrv_cli_option_error("load", longopts, argv[optind - 1]);
		}
	}
	if (modes > 1)
		return xdrv_cli_usage_error("load", "--eager and --lazy exclude each other", NULL);
	if (cache.dir && cache.off)
		return xdrv_cli_usage_error("load", "--cache and --no-cache exclude each other",
					    NULL);
	cfg.cache_dir = cli_cache_dir(&cache);
	cfg.cache_max_bytes = cache.max_bytes;
	cli_budget_apply(&budget, &cfg);
	if (argc - optind != 1)
		return xdrv_cli_usage_error("load", "wants exactly one package", NULL);
	/* the trust root as every verifying command finds it; --allow-unsigned makes it optional
	 * (a signed package is still verified when a root is found) */
	struct repo_trust tr;
	char pkg[4096];
	int trc = cli_trust("load", store, cfg.trust_root, true, cfg.allow_unsigned, json, &tr);
	if (trc != 0)
		return trc;
	cfg.trust_root = tr.source != REPO_TRUST_NONE ? tr.path : NULL;
	if (cli_package("load", store, argv[optind], false, pkg, sizeof pkg) != 0)
		return 1;

	struct ldr_ctx *ctx = NULL;
	struct ldr_image *img = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0 ||
	    ldr_image_load_file(ctx, pkg, params, nparams, &img, &err) != 0) {
		fprintf(stderr, "xdrv load: %s\n", err ? err : "failed");
		free(err);
		ldr_ctx_destroy(ctx);
		return 1;
	}
	uint64_t rss = xdrv_peak_rss_kib();
	if (json)
		rc = report_json(ctx, img, rss, &tr);
	else {
		report_text(ctx, img, rss);
		rc = 0;
	}
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	return rc;
}
