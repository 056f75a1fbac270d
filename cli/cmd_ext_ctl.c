// SPDX-License-Identifier: MIT
/*
 * `xdrv ext attach|detach|list|stats`: change and read the packet extension chains of a running
 * `xdrv run --control` through its control socket (cli/run/ctl.c has the protocol). `xdrv ext`
 * (cli/cmd_ext.c) hands these four subcommands here: argv[0] is the subcommand.
 */
#include "commands.h"
#include "run/ctl.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdrv ext attach [--control PATH] [--pos N | --replace ID] "
		"HOOK:PKG[:policy=pass|drop][:table=NAME=FILE]...\n"
		"       xdrv ext detach [--control PATH] ID\n"
		"       xdrv ext list [--control PATH]\n"
		"       xdrv ext stats [--control PATH]\n"
		"\n"
		"Attach a packet extension to, or detach one from, the NIC of a running\n"
		"`xdrv run --control`, while traffic flows (each frame runs wholly under the old\n"
		"chain or wholly under the new), or list the chains and their counters. In a\n"
		"driver domain the run's supervisor verifies and compiles the package and hands\n"
		"it to the running driver host, which links and attaches it.\n"
		"  --control PATH  the run's control socket (default $XDRV_RUN_DIR, else\n"
		"                  $XDG_RUNTIME_DIR, else /tmp, /xdrv-run.sock)\n"
		"  --pos N         attach at position N of the chain (0: first; default: last)\n"
		"  --replace ID    put the extension in the place of attachment ID, atomically\n"
		"  HOOK:PKG...     as `xdrv run --ext` takes it: rx or tx, a signed extension\n"
		"                  package (verified by the run with its trust root), what a "
		"frame\n"
		"                  gets if it fails (pass), its tables' files\n"
		"  ID              the attachment's id, as `xdrv ext list` shows it\n"
		"list: ID HOOK POSITION NAME VERSION policy=P (detached ones: why);\n"
		"stats: each extension's runs, verdicts, failure and time, and the frames the\n"
		"chains dropped and sent back, and per transmit class the frames sent to the\n"
		"driver, dropped with the class's backlog full and waiting in it now\n"
		"(classN_sent=, classN_dropped=, classN_waiting=).\n");
}

/* The spec with its package and table files made absolute: the run's working directory is
 * not ours. */
static int absolute_spec(const char *spec, char *out, size_t cap)
{
	char buf[8192];
	if (strlen(spec) >= sizeof buf)
		return -1;
	strcpy(buf, spec);
	size_t n = 0;
	int field = 0;
	char *save = NULL;
	out[0] = 0;
	for (char *p = strtok_r(buf, ":", &save); p; p = strtok_r(NULL, ":", &save), field++) {
		char abs[PATH_MAX];
		const char *piece = p;
		char tmp[PATH_MAX + 64];
		if (field == 1 && realpath(p, abs)) {
			piece = abs;
		} else if (field > 1 && !strncmp(p, "table=", 6) && strchr(p + 6, '=')) {
			char *eq = strchr(p + 6, '=');
			if (realpath(eq + 1, abs)) {
				snprintf(tmp, sizeof tmp, "%.*s=%s", (int)(eq - p), p, abs);
				piece = tmp;
			}
		}
		int w = snprintf(out + n, cap - n, "%s%s", field ? ":" : "", piece);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
	}
	return 0;
}

/* Send one request line, print the answer; 0 when it ended in "ok". */
static int request(const char *cmd, const char *path, const char *line)
{
	char who[32], *answer = NULL;
	snprintf(who, sizeof who, "xdrv ext %s", cmd);
	int rc = run_ctl_request(who, path, line, &answer);
	if (rc >= 0)
		rc = run_ctl_print(who, answer);
	free(answer);
	return rc ? 1 : 0;
}

int cmd_ext_ctl(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *cmd = argc > 0 ? argv[0] : "";
	static const struct option longopts[] = {
		{"control", required_argument, NULL, 'c'},
		{"pos", required_argument, NULL, 'p'},
		{"replace", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	char path[108] = "";
	const char *pos = "end", *replace = NULL;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (strlen(optarg) >= sizeof path)
				return xdrv_cli_usage_error("ext", "--control: path too long",
							    optarg);
			snprintf(path, sizeof path, "%s", optarg);
			break;
		case 'p': {
			char *end = NULL;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v > 64)
				return xdrv_cli_usage_error("ext", "--pos wants a position, not",
							    optarg);
			pos = optarg;
			break;
		}
		case 'r': {
			char *end = NULL;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > INT32_MAX)
				return xdrv_cli_usage_error(
					"ext", "--replace wants an attachment id, not", optarg);
			replace = optarg;
			break;
		}
		case ':':
			return xdrv_cli_usage_error("ext", "missing value for", argv[optind - 1]);
		default:
			return xdrv_cli_option_error("ext", longopts, argv[optind - 1]);
		}
	}
	if (!path[0] && run_ctl_default_path(path, sizeof path) != 0)
		return xdrv_cli_usage_error("ext", "the default control path is too long", NULL);
	int rest = argc - optind;
	char line[9000];
	if (!strcmp(cmd, "list") || !strcmp(cmd, "stats")) {
		if (rest)
			return xdrv_cli_usage_error("ext", "takes no operand:", argv[optind]);
		snprintf(line, sizeof line, "%s\n", cmd);
	} else if (!strcmp(cmd, "detach")) {
		if (rest != 1)
			return xdrv_cli_usage_error("ext", "detach wants one attachment ID", NULL);
		snprintf(line, sizeof line, "detach %s\n", argv[optind]);
	} else if (!strcmp(cmd, "attach")) {
		if (rest != 1)
			return xdrv_cli_usage_error("ext", "attach wants one HOOK:PKG[:...]", NULL);
		char spec[8192];
		if (absolute_spec(argv[optind], spec, sizeof spec) != 0)
			return xdrv_cli_usage_error("ext", "attach: spec too long", NULL);
		if (replace && strcmp(pos, "end") != 0)
			return xdrv_cli_usage_error("ext", "--pos and --replace exclude each other",
						    NULL);
		if (replace)
			snprintf(line, sizeof line, "replace %s %s\n", replace, spec);
		else
			snprintf(line, sizeof line, "attach %s %s\n", pos, spec);
	} else {
		return xdrv_cli_usage_error("ext", "wants attach, detach, list or stats, not", cmd);
	}
	return request(cmd, path, line);
}
