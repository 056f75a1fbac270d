// SPDX-License-Identifier: MIT
/*
 * `xdrv sign`: append a detached CMS signature and the trailer to a package. Argument handling
 * only; the signing is sig_sign_file (signer/sign.c).
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <xdrv/signer.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv sign --cert signer.pem --key signer.key --chain vendor.pem -o OUT IN\n"
		"\n"
		"Sign the package IN into OUT: OUT = IN ‖ DER CMS SignedData ‖ 48-byte trailer.\n"
		"The CMS is detached, SHA-256 + ECDSA, with signed content-type, message-digest\n"
		"and signing-time, and carries the signer certificate and the chain. A package\n"
		"that is already signed is refused. OUT is written atomically (may equal IN).\n"
		"\n"
		"  --cert FILE    signer certificate (PEM)\n"
		"  --key FILE     its private key (PEM, unencrypted)\n"
		"  --chain FILE   intermediate certificate(s) to include, PEM (the vendor CA)\n"
		"  -o, --out FILE the signed package to write\n");
}

int cmd_sign(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"chain", required_argument, NULL, 'C'},
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	const char *cert = NULL, *key = NULL, *chain = NULL, *out = NULL;
	int c;
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	opterr = 0;
	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'C':
			chain = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case ':':
			return xdrv_cli_usage_error("sign", "missing value for", argv[optind - 1]);
		default:
			return xdrv_cli_option_error("sign", longopts, argv[optind - 1]);
		}
	}
	if (!cert || !key || !chain || !out)
		return xdrv_cli_usage_error("sign",
					    "--cert, --key, --chain and -o are all required", NULL);
	if (argc - optind != 1)
		return xdrv_cli_usage_error("sign", "wants exactly one input package", NULL);
	const char *in = argv[optind];

	char *err = NULL;
	if (sig_sign_file(in, out, cert, key, chain, &err) != 0) {
		fprintf(stderr, "xdrv sign: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	return 0;
}
