// SPDX-License-Identifier: MIT
/*
 * `xdrv pack`: write a driver package (manifest.json + driver.bc in a tar archive) from checked
 * bitcode (sdk_pack). Option parsing, the default output name, and messages only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/sdk.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#include "commands.h"
#include "cmd_util.h"

static const char usage[] =
	"usage: xdrv pack [-o OUT] [--version X.Y.Z] [--security-version N] [--no-lint] DRIVER.bc\n"
	"       xdrv pack --patch-for BASE.xdrv --version X.Y.Z [-o OUT] [...] PATCH.bc\n"
	"\n"
	"Check driver bitcode (profile, descriptor, lint) and write a package: a tar archive of\n"
	"manifest.json (name, version, security version, ABI version, entry points, match table,\n"
	"parameters, SHA-256 of each file) and driver.bc. The output is reproducible. A packet\n"
	"extension (xdrv build --extension) is packed the same way; its manifest says\n"
	"\"kind\": \"extension\" and lists run, hooks and tables instead of probe/remove/match.\n"
	"\n"
	"With --patch-for, PATCH.bc (xdrv build --patch) becomes a live patch of the driver\n"
	"package BASE.xdrv: \"kind\": \"patch\", \"patch_for\": the SHA-256 of BASE's payload\n"
	"(what its signature covers), the base's name, the functions replaced. Refused: a base\n"
	"that is not a driver package, a patch function the base does not define or defines\n"
	"with another type, writable data in the patch.\n"
	"\n"
	"  -o OUT                  package file (default: <name>-<version>.xdrv in this folder)\n"
	"  --version X.Y.Z         expected driver version; must equal the descriptor's\n"
	"  --security-version N    security generation (default 0): a host refuses packages\n"
	"                          below the highest generation it has seen for this driver\n"
	"  --description TEXT      one line saying what the driver is for (printable ASCII,\n"
	"                          at most 255 bytes): shown by inspect and the repository's\n"
	"                          pages\n"
	"  --patch-for BASE.xdrv   pack a live patch for this driver package (signed or\n"
	"                          not); --version (the patch's own) is then required;\n"
	"                          default OUT: <name>-<version>.patch.xdrv\n"
	"  --no-lint               testing loaders only: skip the profile check and the lint\n"
	"                          (a loader must refuse what this lets through)\n";

/* The descriptor's name and version, for the default output name. */
static int default_output(const char *bc_path, char **out, char **err)
{
	uint8_t *bc = NULL;
	size_t len = 0;
	int rc = xdrv_read_file(bc_path, 16u << 20, &bc, &len, err);
	if (rc)
		return rc;
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = NULL;
	struct sdk_descriptor d;
	rc = sdk_bitcode_parse(ctx, bc, len, bc_path, &m, err);
	if (rc == 0)
		rc = sdk_descriptor_read(m, &d, err);
	if (rc == 0) {
		size_t n = strlen(d.name) + strlen(d.version) + 8;
		*out = malloc(n);
		if (*out)
			snprintf(*out, n, "%s-%s.xdrv", d.name, d.version);
		else
			rc = xdrv_err(err, -ENOMEM, "out of memory");
		sdk_descriptor_free(&d);
	}
	if (m)
		LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
	free(bc);
	return rc;
}

/* --patch-for: the base package's payload (the file without its signature trailer, if it has
 * one) into *payload (malloc'd) and its name into *name (malloc'd, for the default output). */
static int read_base(const char *path, uint8_t **payload, size_t *len, char **name, char **err)
{
	uint8_t *buf = NULL;
	size_t blen = 0, plen = 0;
	int rc = xdrv_read_file(path, 64u << 20, &buf, &blen, err);
	if (rc)
		return rc;
	rc = sig_trailer_parse(buf, blen, &plen, NULL, NULL, err);
	if (rc == -ENODATA) {
		free(*err);
		*err = NULL;
		plen = blen;
		rc = 0;
	}
	if (rc) {
		xdrv_err_prefix(err, "--patch-for %s", path);
		free(buf);
		return rc;
	}
	struct sdk_package p;
	if ((rc = sdk_package_read(buf, plen, NULL, NULL, &p, err)) == 0) {
		*name = strdup(p.manifest.name);
		sdk_package_free(&p);
		if (!*name)
			rc = xdrv_err(err, -ENOMEM, "out of memory");
	} else {
		xdrv_err_prefix(err, "--patch-for %s", path);
	}
	if (rc) {
		free(buf);
		return rc;
	}
	*payload = buf;
	*len = plen;
	return 0;
}

static int parse_u53(const char *s, uint64_t *v)
{
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 16)
		return -1;
	*v = strtoull(s, NULL, 10);
	return *v < (1ull << 53) ? 0 : -1;
}

int cmd_pack(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	enum { OPT_VERSION = 256, OPT_SECVER, OPT_NOLINT, OPT_DESC, OPT_PATCH_FOR };
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"version", required_argument, NULL, OPT_VERSION},
		{"security-version", required_argument, NULL, OPT_SECVER},
		{"no-lint", no_argument, NULL, OPT_NOLINT},
		{"description", required_argument, NULL, OPT_DESC},
		{"patch-for", required_argument, NULL, OPT_PATCH_FOR},
		{NULL, 0, NULL, 0}};
	struct sdk_pack_opts o = {0};
	char *out = NULL, *err = NULL, *base_name = NULL;
	const char *base_path = NULL;
	uint8_t *base = NULL;
	int ret = 0, c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case OPT_VERSION:
			o.version = optarg;
			break;
		case OPT_NOLINT:
			o.no_lint = 1;
			break;
		case OPT_DESC:
			o.description = optarg;
			break;
		case OPT_PATCH_FOR:
			base_path = optarg;
			break;
		case OPT_SECVER:
			if (parse_u53(optarg, &o.security_version) != 0)
				return cmd_usage_error("pack", "--security-version takes a decimal "
							       "number below 2^53");
			break;
		default:
			return xdrv_cli_option_error("pack", longopts, argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("pack", "takes exactly one DRIVER.bc");
	o.bitcode = argv[optind];
	if (base_path) {
		if (!o.version)
			return cmd_usage_error("pack", "--patch-for needs --version X.Y.Z (the "
						       "patch's own version)");
		if (read_base(base_path, &base, &o.patch_for_len, &base_name, &err) != 0) {
			ret = cmd_fail("pack", err);
			goto out;
		}
		o.patch_for = base;
		o.patch_for_label = base_path;
	}
	if (!o.output && base_path) {
		size_t n = strlen(base_name) + strlen(o.version) + 16;
		if (!(out = malloc(n))) {
			ret = cmd_fail("pack", "out of memory");
			goto out;
		}
		snprintf(out, n, "%s-%s.patch.xdrv", base_name, o.version);
		o.output = out;
	} else if (!o.output) {
		if (default_output(o.bitcode, &out, &err) != 0) {
			ret = cmd_fail("pack", err);
			goto out;
		}
		o.output = out;
	}
	if (sdk_pack(&o, &err) != 0)
		ret = cmd_fail("pack", err);
out:
	free(err);
	free(out);
	free(base);
	free(base_name);
	return ret;
}
