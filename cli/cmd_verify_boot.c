// SPDX-License-Identifier: MIT
/*
 * `xdrv verify-boot BUNDLE --nonce HEX [--expect REFERENCE] [--ak PEM]`: check an attestation
 * bundle and print the boot chain it proves (loader/attest.c). Arguments and output only.
 */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <xdrv/boot.h>
#include <xdrv/util.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv verify-boot BUNDLE --nonce HEX [--expect REFERENCE] [--ak AK.pem]\n"
		"\n"
		"Check an attestation bundle from `xdrv attest`: the quote is a TPM quote over "
		"PCRs\n"
		"11 and 12 carrying the nonce, signed by the attestation key; the event log "
		"parses,\n"
		"every event's digest matches its data, and the log replays to the quoted PCRs; "
		"the\n"
		"log is a complete xdrv boot. Then print the chain: loader, configuration, trust,\n"
		"policy, revocation inputs, each driver with its signer and how it was compiled.\n"
		"\n"
		"  --nonce HEX         the nonce given to xdrv attest\n"
		"  --expect REFERENCE  allow-list (JSON): {\"drivers\": {\"NAME\": [\"SHA256\", "
		"...]},\n"
		"                      \"loader_sha256\": [...], \"config_sha256\": [...]} (the "
		"last\n"
		"                      two optional); every measured driver package must be "
		"listed\n"
		"  --ak AK.pem         the attestation key this host is known by (pinned)\n");
}

int cmd_verify_boot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"nonce", required_argument, NULL, 'n'},
		{"expect", required_argument, NULL, 'x'},
		{"ak", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *nonce = NULL, *ref = NULL, *ak = NULL;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			nonce = optarg;
			break;
		case 'x':
			ref = optarg;
			break;
		case 'a':
			ak = optarg;
			break;
		default:
			return xdrv_cli_option_error("verify-boot", longopts, argv[optind - 1]);
		}
	}
	uint8_t n[64];
	size_t nlen = 0;
	if (!nonce || boot_hex_decode(nonce, n, sizeof n, &nlen) || nlen == 0 ||
	    argc - optind != 1) {
		fprintf(stderr, "xdrv verify-boot: wants BUNDLE and --nonce HEX (1..64 bytes); try "
				"'xdrv verify-boot --help'\n");
		return 2;
	}
	char *err = NULL, *pin = NULL;
	int rc = 0;
	if (ak) {
		uint8_t *b = NULL;
		size_t len = 0;
		rc = xdrv_read_file(ak, 65536, &b, &len, &err);
		pin = (char *)b;
	}
	if (!rc)
		rc = attest_verify(argv[optind], n, nlen, ref, pin, stdout, &err);
	free(pin);
	fflush(stdout);
	if (rc) {
		fprintf(stderr, "xdrv verify-boot: FAILED: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	printf("verify-boot: OK\n");
	return 0;
}
