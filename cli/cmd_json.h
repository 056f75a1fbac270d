/* SPDX-License-Identifier: MIT */
/*
 * The one way the front end's commands print `--json` (jansson): a document on stdout, indented
 * by two, keys in insertion order, one trailing newline. Output formats are described in each
 * command's --help and cli/README.md.
 */
#ifndef XDRV_CLI_CMD_JSON_H
#define XDRV_CLI_CMD_JSON_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
