// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the signature path: sig_trailer_parse and sig_verify on untrusted bytes.
 * LLVMFuzzerInitialize makes a development PKI in a temporary folder, signs a small payload
 * with it, pins its root, and deletes the folder. The first input byte picks the mode:
 *
 *   even  the rest of the input is a package, verified as is (reaches the trailer, the DER
 *         parser and the chain, which fails: the fuzzer cannot sign with our key);
 *   odd   the rest is a list of patches (offset: 2 bytes LE, xor: 1 byte) applied to the valid
 *         package made at start-up, so mutations also reach the signature, policy, EKU and
 *         digest checks behind a chain that verifies. "\x01" alone is the valid package.
 *
 * Seeds in tests/fuzz/corpus/fuzz_signature/: a raw signed package (0x00 ‖ package, made with
 * `xdrv pki --out P && xdrv sign --cert P/signer.pem --key P/signer.key --chain P/vendor.pem`),
 * a raw unsigned one, the bare patch mode, and a patch into the trailer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

static struct sig_trust *trust;
static uint8_t *good;
static size_t good_len;

static void die(const char *what, char *err)
{
	fprintf(stderr, "fuzz_signature: %s: %s\n", what, err ? err : "failed");
	free(err);
	exit(1); /* the harness itself could not start: not an input's fault */
}

static void path(char *buf, size_t n, const char *dir, const char *name)
{
	if (xdrv_snprintf(buf, n, "%s/%s", dir, name) != 0)
		die("path", NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char dir[] = "/tmp/xdrv-fuzz-signature-XXXXXX";
	char p_root[256], p_cert[256], p_key[256], p_chain[256], p_in[256], p_out[256];
	char *err = NULL;
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	struct sig_pki_opts o = {.out_dir = dir};
	if (sig_pki_create(&o, &err) != 0)
		die("pki", err);
	path(p_root, sizeof p_root, dir, "root.pem");
	path(p_cert, sizeof p_cert, dir, "signer.pem");
	path(p_key, sizeof p_key, dir, "signer.key");
	path(p_chain, sizeof p_chain, dir, "vendor.pem");
	path(p_in, sizeof p_in, dir, "payload");
	path(p_out, sizeof p_out, dir, "signed.xdrv");
	static const char payload[] = "xdrv fuzz payload: a stand-in for a driver package\n";
	if (xdrv_write_file_atomic(p_in, payload, sizeof payload - 1, 0644, &err) != 0)
		die("payload", err);
	if (sig_sign_file(p_in, p_out, p_cert, p_key, p_chain, &err) != 0)
		die("sign", err);
	if (xdrv_read_file(p_out, 1 << 20, &good, &good_len, &err) != 0)
		die("read", err);
	if (sig_trust_create(p_root, 0, &trust, &err) != 0)
		die("trust", err);
	if (sig_verify(trust, good, good_len, NULL, &err) != 0)
		die("the start-up package does not verify", err);
	static const char *const files[] = {"root.pem",	  "root.key",	"vendor.pem", "vendor.key",
					    "signer.pem", "signer.key", "payload",	  "signed.xdrv"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char f[256];
		path(f, sizeof f, dir, files[i]);
		unlink(f);
	}
	rmdir(dir);
	return 0;
}

static void check(const uint8_t *buf, size_t len)
{
	size_t plen = 0, off = 0, clen = 0;
	char *err = NULL;
	struct sig_info info;
	int rc = sig_trailer_parse(buf, len, &plen, &off, &clen, &err);
	if (rc == 0 && (plen + clen + 48 != len || off != plen || clen == 0))
		__builtin_trap(); /* the trailer parser let an inconsistent slice through */
	free(err);
	err = NULL;
	rc = sig_verify(trust, buf, len, &info, &err);
	if (rc == 0 && (info.payload_len != plen || info.digest_hex[64] != 0))
		__builtin_trap();
	if (rc != 0 && (!err || !*err))
		__builtin_trap(); /* every rejection names its reason */
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		/* copy so that ASan sees reads past the end of exactly `size - 1` bytes */
		uint8_t *b = malloc(size - 1 ? size - 1 : 1);
		if (!b)
			return 0;
		memcpy(b, data + 1, size - 1);
		check(b, size - 1);
		free(b);
		return 0;
	}
	uint8_t *b = malloc(good_len);
	if (!b)
		return 0;
	memcpy(b, good, good_len);
	for (size_t i = 1; i + 3 <= size; i += 3) {
		size_t at = ((size_t)data[i] | (size_t)data[i + 1] << 8) % good_len;
		b[at] ^= data[i + 2];
	}
	check(b, good_len);
	free(b);
	return 0;
}
