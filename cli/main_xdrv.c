// SPDX-License-Identifier: MIT
/*
 * `xdrv`: the front end. Finds the subcommand in one const table and hands it argv, as git and
 * wg do. Each subcommand is a thin shell in cli/cmd_*.c (see commands.h). A mistyped command
 * gets the closest name (xdrv_suggest); `--version` and `version` print xdrv/version.h's
 * facts.
 */
#include "commands.h"

#include <stdio.h>
#include <string.h>
#include <xdrv/util.h>
#include <xdrv/version.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"build", cmd_build, "compile C sources into portable, ABI-checked driver bitcode"},
	{"pack", cmd_pack, "write a driver package: manifest + bitcode in a tar archive"},
	{"inspect", cmd_inspect, "show a package's manifest, imports, functions and signature"},
	{"pki", cmd_pki, "create a development root CA, vendor CA and signer certificate"},
	{"sign", cmd_sign, "append a CMS signature and trailer to a package"},
	{"verify", cmd_verify, "check a signed package against a pinned root"},
	{"load", cmd_load, "verify, JIT-compile and link a driver; report timings"},
	{"run", cmd_run, "bind a driver to a device model on a backend and run it"},
	{"bench", cmd_bench, "driver throughput, JIT-compiled vs native, with ceilings"},
	{"abi", cmd_abi, "list the driver ABI version and its importable symbols"},
	{"cache", cmd_cache, "list, verify or clear the object cache of compiled drivers"},
	{"boot", cmd_boot, "measured boot of a boot configuration's drivers (event log, TPM)"},
	{"attest", cmd_attest, "quote the boot PCRs with a nonce: bundle with quote, log, AK"},
	{"verify-boot", cmd_verify_boot, "check an attestation bundle and print the boot chain"},
	{"revoke", cmd_revoke, "write a root-signed CRL or a deny-list of package digests"},
	{"repo", cmd_repo, "add, list, update or remove TUF-signed driver repositories"},
	{"search", cmd_search, "list the drivers the configured repositories offer"},
	{"publish", cmd_publish, "upload a signed package to a repository (vendor token)"},
	{"install", cmd_install, "download, verify and install a driver from a repository"},
	{"list", cmd_list, "list the installed drivers (or the package path of one)"},
	{"remove", cmd_remove, "uninstall a driver from the local store"},
	{"ext", cmd_ext, "packet extensions: test one over a pcap capture; attach, list, ..."},
	{"param", cmd_param, "list or re-specialize the parameters of a running driver"},
	{"patch", cmd_patch, "apply, revert or list live patches of a running driver"},
	{"update", cmd_update, "replace a running driver by a newer version, interface kept"},
	{"version", cmd_version, "print the xdrv, driver ABI and LLVM versions and the git commit"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: xdrv <command> [options]\n\n"
		   "Signed LLVM-bitcode drivers: build once, JIT-compile on any host.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'xdrv <command> --help' describes one command; 'xdrv --version [--json]'\n"
		   "prints the versions of xdrv, the driver ABI and LLVM, and the git commit.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			char *hargv[] = {argv[2], "--help", NULL};
			for (size_t i = 0; i < NCOMMANDS; i++)
				if (strcmp(commands[i].name, argv[2]) == 0)
					return commands[i].fn(2, hargv);
		}
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_version(argc - 1, argv + 1);
	const char *names[NCOMMANDS];
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, argv[1]) == 0)
			return commands[i].fn(argc - 1, argv + 1);
		names[i] = commands[i].name;
	}
	const char *best = argv[1][0] == '-' ? NULL : xdrv_suggest(argv[1], names, NCOMMANDS);
	if (best)
		fprintf(stderr, "xdrv: '%s' is not a command; did you mean '%s'?\n", argv[1], best);
	else
		fprintf(stderr, "xdrv: '%s' is not a command; see 'xdrv --help'\n", argv[1]);
	return 2;
}
