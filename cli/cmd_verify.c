// SPDX-License-Identifier: MIT
/*
 * `xdrv verify`: check a signed package (a file, or an installed driver's by NAME[@VERSION])
 * against the host's package root (--trust, $XDRV_TRUST or the store's: verify_args.h) with
 * sig_verify, or, with --split,
 * only cut it into payload and DER signature so that `openssl cms -verify` can check it
 * independently. Text or, with --json, one JSON object. Argument handling and output only.
 */
#include "cmd_json.h"
#include "commands.h"
#include "verify_args.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv verify [--trust root.pem] [--store DIR] [--time-floor WHEN]\n"
		"                   [--quiet|--json] PKG|NAME[@VERSION]\n"
		"       xdrv verify --split DIR PKG|NAME[@VERSION]\n"
		"\n"
		"Check a signed package: trailer bounds, the CMS signature, the certificate chain\n"
		"to the pinned root, key usage, the driver-signing EKU and certificate policy,\n"
		"certificate expiry against the time floor (not the host clock), and the payload\n"
		"digest. Prints OK and the signer, or the reason for rejection (exit 1).\n"
		"PKG is a package file; NAME or NAME@VERSION (a driver name, no such file here)\n"
		"is the package of an installed driver, looked up in the store.\n"
		"\n"
		"  --trust FILE       the pinned root certificate (PEM); default $XDRV_TRUST, "
		"else\n"
		"                     STORE/trust-root.pem; the one taken is named on stderr:\n"
		"                     'trust: PATH (SOURCE)' (not with --quiet or --json)\n"
		"  --store DIR        local store of installed drivers, for NAME and its trust\n"
		"                     root (default $XDRV_STORE, else /var/lib/xdrv; read only)\n"
		"  --time-floor WHEN  a lower bound on the current time, Unix seconds or\n"
		"                     YYYY-MM-DD (UTC); default: the source date of this build.\n"
		"                     A certificate that expired before it is rejected.\n"
		"  --quiet            print nothing on success\n"
		"  --json             print one JSON object, also when the package is rejected:\n"
		"                     {\"package\", \"ok\": true, \"signer\", \"issuer\",\n"
		"                     \"payload_sha256\", \"payload_bytes\", \"signing_time\" "
		"(Unix\n"
		"                     seconds claimed by the signer, or null)} or {\"package\",\n"
		"                     \"ok\": false, \"error\"} (exit 1); both with "
		"\"trust_root\"\n"
		"                     and \"trust_source\"\n"
		"  --split DIR        do NOT verify: check the trailer only, write DIR/payload "
		"and\n"
		"                     DIR/signature.der, and print the openssl command that "
		"checks\n"
		"                     them independently\n"
		"\n"
		"driver-signing EKU: %s\n"
		"policy OID:         %s\n",
		SIG_OID_EKU_DRIVER_SIGNING, SIG_OID_POLICY_DRIVER);
}

static int split(const char *dir, const char *pkg, const uint8_t *buf, size_t len)
{
	size_t plen = 0, coff = 0, clen = 0;
	char *err = NULL;
	char p_payload[4096], p_sig[4096];
	int rc = sig_trailer_parse(buf, len, &plen, &coff, &clen, &err);
	if (rc == 0 && (xdrv_snprintf(p_payload, sizeof p_payload, "%s/payload", dir) != 0 ||
			xdrv_snprintf(p_sig, sizeof p_sig, "%s/signature.der", dir) != 0))
		rc = xdrv_err(&err, -ENAMETOOLONG, "%s: path too long", dir);
	if (rc == 0)
		rc = xdrv_mkdirs(dir, 0755, &err);
	if (rc == 0)
		rc = xdrv_write_file_atomic(p_payload, buf, plen, 0644, &err);
	if (rc == 0)
		rc = xdrv_write_file_atomic(p_sig, buf + coff, clen, 0644, &err);
	if (rc != 0) {
		fprintf(stderr, "xdrv verify: %s: %s\n", pkg, err ? err : "failed");
		free(err);
		return 1;
	}
	printf("split %s (trailer checked only; the signature was NOT verified):\n"
	       "  %s  %zu bytes\n"
	       "  %s  %zu bytes\n"
	       "check it independently with:\n"
	       "  openssl cms -verify -binary -inform DER -in %s -content %s -CAfile root.pem "
	       "-purpose any -policy %s -explicit_policy -out /dev/null\n",
	       pkg, p_payload, plen, p_sig, clen, p_sig, p_payload, SIG_OID_POLICY_DRIVER);
	return 0;
}

static int verify_json(const char *pkg, const struct repo_trust *tr, int rc,
		       const struct sig_info *info, const char *err)
{
	json_t *doc = json_pack("{s:s, s:b, s:s, s:s}", "package", pkg, "ok", rc == 0, "trust_root",
				tr->path, "trust_source", repo_trust_source_name(tr->source));
	if (doc && rc != 0) {
		json_object_set_new(doc, "error", json_string(err ? err : "failed"));
	} else if (doc) {
		json_object_set_new(doc, "signer", json_string(info->signer));
		json_object_set_new(doc, "issuer", json_string(info->issuer));
		json_object_set_new(doc, "payload_sha256", json_string(info->digest_hex));
		json_object_set_new(doc, "payload_bytes",
				    json_integer((json_int_t)info->payload_len));
		json_object_set_new(doc, "signing_time",
				    info->signing_time
					    ? json_integer((json_int_t)info->signing_time)
					    : json_null());
	}
	int prc = cmd_json_print("verify", doc);
	return rc != 0 ? 1 : prc;
}

/* quiet: 0 text, 1 nothing, 2 JSON */
static int verify(const struct repo_trust *tr, int64_t floor, int quiet, const char *pkg,
		  const uint8_t *buf, size_t len)
{
	struct sig_trust *t = NULL;
	struct sig_info info;
	char *err = NULL;
	int rc = sig_trust_create(tr->path, floor, &t, &err);
	if (rc == 0)
		rc = sig_verify(t, buf, len, &info, &err);
	sig_trust_destroy(t);
	if (quiet == 2) {
		if (rc != 0)
			fprintf(stderr, "xdrv verify: %s: %s\n", pkg, err ? err : "failed");
		rc = verify_json(pkg, tr, rc, &info, err);
		free(err);
		return rc;
	}
	if (rc != 0) {
		fprintf(stderr, "xdrv verify: %s: %s\n", pkg, err ? err : "failed");
		free(err);
		return 1;
	}
	if (!quiet) {
		char when[64] = "(none)";
		struct tm tm;
		time_t st = (time_t)info.signing_time;
		if (info.signing_time && gmtime_r(&st, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC (claimed by the signer)",
				 &tm);
		printf("OK\n"
		       "signer:         %s\n"
		       "issuer:         %s\n"
		       "payload sha256: %s\n"
		       "payload bytes:  %zu\n"
		       "signing time:   %s\n",
		       info.signer, info.issuer, info.digest_hex, info.payload_len, when);
	}
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"trust", required_argument, NULL, 't'},
		{"time-floor", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"split", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"store", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	const char *trust = NULL, *split_dir = NULL, *store = NULL;
	int64_t floor = 0;
	int quiet = 0, c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	opterr = 0;
	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			trust = optarg;
			break;
		case 'f':
			if (xdrv_parse_when(optarg, &floor) != 0)
				return xdrv_cli_usage_error(
					"verify",
					"--time-floor wants Unix seconds or YYYY-MM-DD, not",
					optarg);
			break;
		case 'q':
			quiet = quiet == 2 ? 3 : 1;
			break;
		case 'j':
			quiet = quiet == 1 ? 3 : 2;
			break;
		case 's':
			split_dir = optarg;
			break;
		case 'S':
			store = optarg;
			break;
		case ':':
			return xdrv_cli_usage_error("verify", "missing value for",
						    argv[optind - 1]);
		default:
			return xdrv_cli_option_error("verify", longopts, argv[optind - 1]);
		}
	}
	if (quiet == 3)
		return xdrv_cli_usage_error("verify", "--quiet and --json exclude each other",
					    NULL);
	if (split_dir && (trust || floor || quiet == 2))
		return xdrv_cli_usage_error("verify",
					    "--split only cuts the package; it takes no --trust, "
					    "--time-floor or --json",
					    NULL);
	if (argc - optind != 1)
		return xdrv_cli_usage_error("verify", "wants exactly one package", NULL);
	const char *pkg = argv[optind];
	struct repo_trust tr = {0};
	char path[4096];
	/* --quiet: nothing on success; --json: the root is in the document */
	int trc = split_dir ? 0 : cli_trust("verify", store, trust, false, false, quiet != 0, &tr);
	if (trc != 0)
		return trc;
	if (cli_package("verify", store, pkg, quiet == 1, path, sizeof path) != 0)
		return 1;

	uint8_t *buf = NULL;
	size_t len = 0;
	char *err = NULL;
	if (xdrv_read_file(path, SIG_PACKAGE_MAX, &buf, &len, &err) != 0) {
		fprintf(stderr, "xdrv verify: %s\n", err ? err : "cannot read the package");
		free(err);
		return 1;
	}
	int rc = split_dir ? split(split_dir, pkg, buf, len)
			   : verify(&tr, floor, quiet, pkg, buf, len);
	free(buf);
	return rc;
}
