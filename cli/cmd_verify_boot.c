// SPDX-License-Identifier: MIT
/*
 * `xdrv verify-boot BUNDLE --nonce HEX [--expect REFERENCE] [--ak PEM]`: check an attestation
 * bundle and print the boot chain it proves (loader/attest.c), as text or one JSON object.
 * Arguments and output only.
 */
#include "cmd_json.h"
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <xdrv/boot.h>
#include <xdrv/util.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv verify-boot BUNDLE --nonce HEX [--expect REFERENCE] [--ak AK.pem] "
		"[--json]\n"
		"\n"
		"Check an attestation bundle from `xdrv attest`: the quote is a TPM quote over "
		"PCRs\n"
		"11 and 12 carrying the nonce, signed by the attestation key; the event log "
		"parses,\n"
		"every event's digest matches its data, and the log replays to the quoted PCRs; "
		"the\n"
		"log is a complete xdrv boot (a log closed by xdrv.boot.stopped is shown, then\n"
		"refused). Then print the chain: loader, configuration, trust, policy, revocation\n"
		"inputs, each driver with its signer and how it was compiled, refusals.\n"
		"\n"
		"  --nonce HEX         the nonce given to xdrv attest\n"
		"  --expect REFERENCE  allow-list (JSON): {\"drivers\": {\"NAME\": "
		"[\"PAYLOAD_SHA256\",\n"
		"                      ...]}, \"loader_sha256\": [...], \"config_sha256\": "
		"[...]}\n"
		"                      (the last two optional); every measured driver must be\n"
		"                      listed, by its payload digest (`xdrv verify` prints it):\n"
		"                      the package's identity, which a new signature of the\n"
		"                      same payload keeps\n"
		"  --ak AK.pem         the attestation key this host is known by (pinned)\n"
		"  --json              one JSON object: {\"bundle\", \"ok\", \"chain\": [lines of\n"
		"                      the text report], \"error\" (only when ok is false, exit "
		"1)}\n");
}

/* The --json document; takes chain and err. */
static int print_json(const char *bundle, int rc, char *chain, char *err)
{
	json_t *doc = json_pack("{s:s, s:b}", "bundle", bundle, "ok", rc == 0);
	json_t *lines = json_array();
	for (char *p = chain, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		json_array_append_new(lines, json_string(p));
		if (!nl)
			break;
	}
	json_object_set_new(doc, "chain", lines);
	if (rc)
		json_object_set_new(doc, "error", json_string(err ? err : "failed"));
	free(chain);
	free(err);
	int prc = cmd_json_print("verify-boot", doc);
	return rc ? 1 : prc;
}

int cmd_verify_boot(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"nonce", required_argument, NULL, 'n'},
		{"expect", required_argument, NULL, 'x'},
		{"ak", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
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
		case 'j':
			json = true;
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
	char *chain = NULL;
	size_t chain_len = 0;
	FILE *out = json ? open_memstream(&chain, &chain_len) : stdout;
	if (!out)
		rc = xdrv_err(&err, -ENOMEM, "out of memory");
	if (!rc)
		rc = attest_verify(argv[optind], n, nlen, ref, pin, out, &err);
	free(pin);
	char eb[4096]; /* a message may quote the event log: shown escaped */
	if (json) {
		if (out)
			fclose(out);
		if (rc)
			fprintf(stderr, "xdrv verify-boot: FAILED: %s\n",
				xdrv_escape_text(err ? err : "failed", eb, sizeof eb));
		return print_json(argv[optind], rc, chain, err);
	}
	fflush(stdout);
	if (rc) {
		fprintf(stderr, "xdrv verify-boot: FAILED: %s\n",
			xdrv_escape_text(err ? err : "failed", eb, sizeof eb));
		free(err);
		return 1;
	}
	printf("verify-boot: OK\n");
	return 0;
}
