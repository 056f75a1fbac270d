// SPDX-License-Identifier: MIT
/*
 * xdrv-backd: xdrv's own backend for the loop transport (backd.h). The command line only: the
 * server is backd_serve.c, the device handlers backd_vif.c and backd_vbd.c.
 */
#include "backd_serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/util.h>

static const char usage[] =
	"usage: xdrv-backd --socket PATH [--vif N=WIRE-SPEC]... [--vbd VDEV=DISK-SPEC]...\n"
	"                  [--spin-us N] [--foreground]\n"
	"\n"
	"Serves Xen split-driver frontends of the loop transport (xdrv run --backend\n"
	"xen:transport=loop,socket=PATH): each frontend that connects names its device, which\n"
	"must be configured here, and is served by a child process until it closes.\n"
	"\n"
	"  --socket PATH         the UNIX socket to listen on (an old socket there is replaced)\n"
	"  --vif N=WIRE-SPEC     netif rings of vif N <-> a wire: tap:IF@NS, gen:...\n"
	"  --vbd VDEV=DISK-SPEC  blkif rings of disk VDEV (51712 or xvda..xvdp) <-> a disk\n"
	"                        backend: file:PATH, ram:SIZE, iscsi:...\n"
	"  --spin-us N           after serving, watch a disk's ring N microseconds for the\n"
	"                        next request before sleeping (0..1000, default 50)\n"
	"  --foreground          accepted for scripts; xdrv-backd always stays in the foreground\n"
	"\n"
	"Prints 'xdrv-backd: listening on PATH' when ready; logs go to stderr. SIGTERM or SIGINT\n"
	"stops the children and removes the socket file.\n";

/* --opt VALUE or --opt=VALUE: the value, advancing *i; NULL if it is missing */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);
	return !strncmp(a, name, n) && (a[n] == '\0' || a[n] == '=');
}

int main(int argc, char **argv)
{
	static const char *const opts[] = {"--socket",	"--vif",	"--vbd",
					   "--spin-us", "--foreground", "--help"};
	static struct backd_cfg cfg = {.find_ops = backd_dev_ops_find};
	char *err = NULL;
	int r;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--foreground"))
			continue;
		if (is_opt(a, "--spin-us")) {
			v = opt_value(argc, argv, &i, "--spin-us");
			char *end = NULL;
			unsigned long n = v ? strtoul(v, &end, 10) : 0;
			if (!v || !*v || *end || *v == '-' || n > 1000) {
				fprintf(stderr, "xdrv-backd: --spin-us wants 0..1000\n%s", usage);
				return 2;
			}
			backd_spin_us = (unsigned)n;
			continue;
		}
		if (is_opt(a, "--socket") || is_opt(a, "--vif") || is_opt(a, "--vbd")) {
			const char *name = is_opt(a, "--socket") ? "--socket"
					   : is_opt(a, "--vif")	 ? "--vif"
								 : "--vbd";
			v = opt_value(argc, argv, &i, name);
			if (!v || !*v) {
				fprintf(stderr, "xdrv-backd: %s needs a value\n%s", name, usage);
				return 2;
			}
			if (!strcmp(name, "--socket")) {
				cfg.socket = v;
				continue;
			}
			if (backd_add_dev(&cfg, name + 2, v, &err) < 0) {
				fprintf(stderr, "xdrv-backd: %s\n", err);
				free(err);
				return 2;
			}
			continue;
		}
		{
			const char *s = xdrv_suggest(a, opts, sizeof opts / sizeof opts[0]);
			fprintf(stderr, "xdrv-backd: unknown argument '%s'%s%s%s\n%s", a,
				s ? " (did you mean " : "", s ? s : "", s ? "?)" : "", usage);
			return 2;
		}
	}
	if (!cfg.socket) {
		fprintf(stderr, "xdrv-backd: --socket PATH is required\n%s", usage);
		return 2;
	}
	if (cfg.ndevs == 0)
		fprintf(stderr, "xdrv-backd: no --vif or --vbd: every frontend will be refused\n");
	r = backd_serve(&cfg, &err);
	if (r < 0) {
		fprintf(stderr, "xdrv-backd: %s\n", err ? err : strerror(-r));
		free(err);
		return 1;
	}
	return 0;
}
