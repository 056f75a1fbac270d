// SPDX-License-Identifier: MIT
/*
 * `xdrv pki`: create the development PKI (root CA → vendor CA → driver signer) in a folder.
 * Argument handling only; the certificates are made by sig_pki_create (signer/pki.c).
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/signer.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv pki --out DIR [--vendor NAME] [--days N] [--force] [--quiet]\n"
		"\n"
		"Create a development PKI for signing drivers, ECDSA P-256:\n"
		"  DIR/root.pem, root.key      root CA (self-signed; keep root.key offline)\n"
		"  DIR/vendor.pem, vendor.key  vendor CA (pathlen 0, driver policy)\n"
		"  DIR/signer.pem, signer.key  driver signer (digitalSignature, driver-signing "
		"EKU)\n"
		"Keys are PEM (PKCS#8), mode 0600. Existing files are never replaced without "
		"--force.\n"
		"\n"
		"  --out DIR       folder to write (created if missing)\n"
		"  --vendor NAME   vendor organisation name (default \"xdrv dev vendor\")\n"
		"  --days N        validity of the signer certificate in days (default 365);\n"
		"                  the vendor CA gets 10 years and the root 20\n"
		"  --force         replace existing keys and certificates\n"
		"  --quiet         print nothing on success\n"
		"\n"
		"driver-signing EKU: %s\n"
		"policy OID:         %s\n",
		SIG_OID_EKU_DRIVER_SIGNING, SIG_OID_POLICY_DRIVER);
}

int cmd_pki(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"out", required_argument, NULL, 'o'},	{"vendor", required_argument, NULL, 'v'},
		{"days", required_argument, NULL, 'd'}, {"force", no_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},	{NULL, 0, NULL, 0},
	};
	struct sig_pki_opts o = {0};
	int quiet = 0, c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	opterr = 0;
	optind = 0; /* glibc: full re-initialisation, in case another command ran getopt */
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out_dir = optarg;
			break;
		case 'v':
			o.vendor = optarg;
			break;
		case 'd': {
			char *end = NULL;
			errno = 0;
			unsigned long d = strtoul(optarg, &end, 10);
			if (errno || !*optarg || *end || optarg[0] == '-' || d == 0 || d > 36525)
				return xdrv_cli_usage_error(
					"pki", "--days wants a number of days 1..36525, not",
					optarg);
			o.days = (uint32_t)d;
			break;
		}
		case 'f':
			o.overwrite = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case ':':
			return xdrv_cli_usage_error("pki", "missing value for", argv[optind - 1]);
		default:
			return xdrv_cli_option_error("pki", longopts, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return xdrv_cli_usage_error("pki", "unexpected argument", argv[optind]);
	if (!o.out_dir)
		return xdrv_cli_usage_error("pki", "--out DIR is required", NULL);

	char *err = NULL;
	if (sig_pki_create(&o, &err) != 0) {
		fprintf(stderr, "xdrv pki: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	if (!quiet) {
		const char *d = o.out_dir;
		printf("created a development PKI in %s:\n"
		       "  %s/root.pem    root CA (keep root.key offline; pin root.pem)\n"
		       "  %s/vendor.pem  vendor CA \"%s\"\n"
		       "  %s/signer.pem  driver signer, %u days\n"
		       "driver-signing EKU: %s\n"
		       "policy OID:         %s\n"
		       "sign:   xdrv sign --cert %s/signer.pem --key %s/signer.key --chain "
		       "%s/vendor.pem -o OUT IN\n"
		       "verify: xdrv verify --trust %s/root.pem PKG\n",
		       d, d, d, o.vendor ? o.vendor : "xdrv dev vendor", d, o.days ? o.days : 365,
		       SIG_OID_EKU_DRIVER_SIGNING, SIG_OID_POLICY_DRIVER, d, d, d, d);
	}
	return 0;
}
