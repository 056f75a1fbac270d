/* SPDX-License-Identifier: MIT */
/*
 * The one way the front end's commands print `--json` (jansson): a document on stdout, indented
 * by two, keys in insertion order, one trailing newline. Output formats are described in each
 * command's --help and cli/README.md.
 */
#ifndef XDRV_CLI_CMD_JSON_H
#define XDRV_CLI_CMD_JSON_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <xdrv/cli.h>

/* Print doc to stdout and release it (doc may be NULL: out of memory). Returns 0, or 1 (the
 * failure exit status) after a message naming cmd if building or writing the document failed. */
static inline int cmd_json_print(const char *cmd, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text || printf("%s\n", text) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "xdrv %s: cannot write the JSON output\n", cmd);
		free(text);
		return 1;
	}
	free(text);
	return 0;
}

/* The whole command line of a command whose only option is --json and which takes no
 * arguments (`abi`, `version`): -1 to go on, with *json set; else the exit status (0 after
 * --help, 2 after a usage error, both already printed). */
static inline int cmd_json_only_args(const char *cmd, const char *usage, int argc, char **argv,
				     bool *json)
{
	static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
						 {NULL, 0, NULL, 0}};
	int c;
	*json = false;
	if (xdrv_cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c != 'j')
			return xdrv_cli_option_error(cmd, longopts, argv[optind - 1]);
		*json = true;
	}
	if (optind < argc)
		return xdrv_cli_usage_error(cmd, "takes no arguments, not", argv[optind]);
	return -1;
}

#endif
