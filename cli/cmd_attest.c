// SPDX-License-Identifier: MIT
/*
 * `xdrv attest`: quote the boot PCRs with a verifier's nonce and write a bundle with the quote,
 * the event log and the attestation key's public part (loader/attest.c). Arguments and output
 * only.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/boot.h>
#include <xdrv/util.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv attest --nonce HEX -o BUNDLE (--config FILE | --tpm TCTI --log FILE)\n"
		"                   [--export DIR]\n"
		"\n"
		"Quote PCRs 11 and 12 (SHA-256) with the attestation key (a restricted ECDSA "
		"P-256\n"
		"key derived from the TPM's endorsement seed), qualified by the verifier's nonce,\n"
		"and write BUNDLE (JSON): quote, signature, AK public key, PCR values, event log.\n"
		"\n"
		"  --nonce HEX     the verifier's fresh nonce, 1..64 bytes\n"
		"  --config FILE   take the TPM and the event log from this boot configuration\n"
		"  --tpm TCTI      e.g. swtpm:host=127.0.0.1,port=2321 or device:/dev/tpmrm0\n"
		"  --log FILE      the event log `xdrv boot` wrote\n"
		"  --export DIR    also write quote.msg, quote.sig, ak.pem, pcrs.bin, eventlog.bin "
		"for\n"
		"                  tpm2_checkquote -u ak.pem -m quote.msg -s quote.sig -f "
		"pcrs.bin\n"
		"                  -l sha256:11,12 -e eventlog.bin -q HEX\n");
}

int cmd_attest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"nonce", required_argument, NULL, 'n'},  {"config", required_argument, NULL, 'c'},
		{"tpm", required_argument, NULL, 't'},	  {"log", required_argument, NULL, 'l'},
		{"export", required_argument, NULL, 'e'}, {NULL, 0, NULL, 0},
	};
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *nonce = NULL, *config = NULL, *tpm = NULL, *log = NULL, *out = NULL,
		   *exp = NULL;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			nonce = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 't':
			tpm = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		case 'e':
			exp = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return xdrv_cli_option_error("attest", longopts, argv[optind - 1]);
		}
	}
	uint8_t n[64];
	size_t nlen = 0;
	if (!nonce || boot_hex_decode(nonce, n, sizeof n, &nlen) || nlen == 0) {
		fprintf(stderr, "xdrv attest: --nonce wants 1..64 bytes in hex; try 'xdrv attest "
				"--help'\n");
		return 2;
	}
	if (!out || optind != argc || (!config && (!tpm || !log))) {
		fprintf(stderr, "xdrv attest: wants -o BUNDLE and --config FILE (or --tpm and "
				"--log); try 'xdrv attest --help'\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	char *err = NULL;
	struct boot_config *cfg = NULL;
	int rc = 0;
	if (config) {
		uint8_t *buf = NULL;
		size_t len = 0;
		char *dir = strdup(config), *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash)
			*slash = 0;
		rc = xdrv_read_file(config, 1u << 20, &buf, &len, &err);
		if (!rc)
			rc = boot_config_parse(buf, len, slash ? dir : ".", &cfg, &err);
		free(buf);
		free(dir);
		if (!rc && !tpm && !(tpm = boot_config_tpm(cfg)))
			rc = xdrv_err(&err, -ENODEV, "%s names no TPM: nothing can quote", config);
		if (!rc && !log)
			log = boot_config_event_log(cfg);
	}
	if (!rc)
		rc = attest_create(tpm, log, n, nlen, out, exp, &err);
	boot_config_free(cfg);
	if (rc) {
		fprintf(stderr, "xdrv attest: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	printf("attest: wrote %s (quote over PCRs 11, 12; nonce %s)\n", out, nonce);
	return 0;
}
