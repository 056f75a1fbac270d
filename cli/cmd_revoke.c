// SPDX-License-Identifier: MIT
/*
 * `xdrv revoke`: write the revocation inputs of the trusted boot chain: a CRL signed by the root
 * (revoking certificates by serial) and/or a deny-list of package digests (signer/revocation.c).
 * Arguments and output only.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/revocation.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#define MAX_ITEMS 256

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv revoke --root-cert root.pem --root-key root.key --crl OUT.pem\n"
		"                   [--cert CERT.pem]... [--serial HEX]... [--days N] [--number "
		"N]\n"
		"       xdrv revoke --deny-list OUT.txt --package PKG.xdrv...\n"
		"\n"
		"Write a CRL signed by the root that revokes the given certificates (a vendor CA "
		"or\n"
		"a driver signer) by serial number, valid for --days (default 30), with a "
		"cRLNumber\n"
		"that only goes up (--number, default: the Unix time, or one more than the CRL at\n"
		"OUT; a boot refuses a CRL numbered lower than one it has seen); or a deny-list\n"
		"holding the SHA-256 of each given package's payload (signed or not: the same\n"
		"digest `xdrv verify` shows). Both go into a boot "
		"configuration's\n"
		"\"revocation\" section (docs/BOOT.md).\n");
}

static int deny_list(const char *out, char **pkgs, size_t n, char **err)
{
	size_t cap = n * 80 + 64, off = 0;
	char *buf = malloc(cap);
	if (!buf)
		return xdrv_err(err, -ENOMEM, "out of memory");
	off += (size_t)snprintf(
		buf, cap, "# xdrv deny-list: SHA-256 of package payloads (the signed content)\n");
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		uint8_t *b = NULL, d[32];
		size_t len = 0;
		unsigned int dl = 32;
		char hex[65];
		size_t plen = 0;
		rc = xdrv_read_file(pkgs[i], 1u << 30, &b, &len, err);
		/* The payload, not the file: a signed package's signature can be re-encoded, its
		 * payload cannot change. An unsigned package is its own payload. */
		int trc = rc ? 0 : sig_trailer_parse(b, len, &plen, NULL, NULL, NULL);
		if (trc == -ENODATA)
			plen = len;
		else if (trc) {
			rc = sig_trailer_parse(b, len, &plen, NULL, NULL, err);
			xdrv_err_prefix(err, "%s", pkgs[i]);
		}
		if (!rc && !EVP_Digest(b, plen, d, &dl, EVP_sha256(), NULL))
			rc = xdrv_err(err, -EIO, "SHA-256 failed");
		free(b);
		if (!rc) {
			xdrv_hex(d, 32, hex);
			off += (size_t)snprintf(buf + off, cap - off, "%s\n", hex);
		}
	}
	if (!rc)
		rc = xdrv_write_file_atomic(out, buf, off, 0644, err);
	free(buf);
	return rc;
}

int cmd_revoke(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"root-cert", required_argument, NULL, 'r'},
		{"root-key", required_argument, NULL, 'k'},
		{"crl", required_argument, NULL, 'o'},
		{"cert", required_argument, NULL, 'c'},
		{"serial", required_argument, NULL, 's'},
		{"days", required_argument, NULL, 'd'},
		{"number", required_argument, NULL, 'n'},
		{"deny-list", required_argument, NULL, 'D'},
		{"package", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *rc_ = NULL, *rk = NULL, *crl = NULL, *deny = NULL;
	char *certs[MAX_ITEMS], *serials[MAX_ITEMS], *pkgs[MAX_ITEMS];
	size_t nc = 0, ns = 0, np = 0;
	unsigned long days = 30;
	unsigned long long number = 0;
	uint64_t written = 0;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if ((c == 'c' && nc == MAX_ITEMS) || (c == 's' && ns == MAX_ITEMS) ||
		    (c == 'p' && np == MAX_ITEMS)) {
			fprintf(stderr,
				"xdrv revoke: at most %d of each; try 'xdrv revoke --help'\n",
				MAX_ITEMS);
			return 2;
		}
		switch (c) {
		case 'r':
			rc_ = optarg;
			break;
		case 'k':
			rk = optarg;
			break;
		case 'o':
			crl = optarg;
			break;
		case 'c':
			certs[nc++] = optarg;
			break;
		case 's':
			serials[ns++] = optarg;
			break;
		case 'D':
			deny = optarg;
			break;
		case 'p':
			pkgs[np++] = optarg;
			break;
		case 'n': {
			char *end = NULL;
			errno = 0;
			number = strtoull(optarg, &end, 10);
			if (!*optarg || *end || *optarg == '-' || errno || number == 0) {
				fprintf(stderr, "xdrv revoke: --number wants 1..2^64-1; try 'xdrv "
						"revoke --help'\n");
				return 2;
			}
			break;
		}
		case 'd': {
			char *end = NULL;
			days = strtoul(optarg, &end, 10);
			if (!*optarg || *end || days == 0 || days > 36525) {
				fprintf(stderr, "xdrv revoke: --days wants 1..36525; try 'xdrv "
						"revoke --help'\n");
				return 2;
			}
			break;
		}
		default:
			return xdrv_cli_option_error("revoke", longopts, argv[optind - 1]);
		}
	}
	for (; optind < argc && np < MAX_ITEMS; optind++)
		pkgs[np++] = argv[optind];
	int want_crl = crl != NULL, want_deny = deny != NULL;
	if ((!want_crl && !want_deny) || (want_crl && (!rc_ || !rk || nc + ns == 0)) ||
	    (want_deny && np == 0) || optind != argc) {
		fprintf(stderr,
			"xdrv revoke: wants --crl with --root-cert, --root-key and a --cert "
			"or --serial, or --deny-list with packages; try 'xdrv revoke "
			"--help'\n");
		return 2;
	}
	char *err = NULL;
	int rc = 0;
	if (want_crl)
		rc = sig_crl_create(rc_, rk, (const char *const *)certs, nc,
				    (const char *const *)serials, ns, (uint32_t)days,
				    (uint64_t)number, crl, &written, &err);
	if (!rc && want_deny)
		rc = deny_list(deny, pkgs, np, &err);
	if (rc) {
		fprintf(stderr, "xdrv revoke: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	if (want_crl)
		printf("revoke: wrote %s (%zu certificate(s) revoked, cRLNumber %llu, signed by "
		       "the "
		       "root)\n",
		       crl, nc + ns, (unsigned long long)written);
	if (want_deny)
		printf("revoke: wrote %s (%zu package digest(s))\n", deny, np);
	return 0;
}
