/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the SDK's subcommands (sdk/cmd_*.c): printing a possibly multi-line
 * error with the "xdrv NAME: " prefix on every line, and the usage-error line of
 * cli/commands.h's contract.
 */
#ifndef XDRV_SDK_CMD_UTIL_H
#define XDRV_SDK_CMD_UTIL_H

#include <stdio.h>
#include <string.h>
#include "commands.h"

/* "xdrv NAME: line" for each line of msg (lint reports one problem per line). Returns 1. */
static inline int cmd_fail(const char *name, const char *msg)
{
	const char *p = msg ? msg : "failed";
	do {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(stderr, "xdrv %s: %.*s\n", name, n, p);
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
	return 1;
}

/* A usage error: the message, then where to find help. Returns 2. */
/* The front end's one usage-error format (cli/xdrv.c). */
static inline int cmd_usage_error(const char *name, const char *msg)
{
	return xdrv_cli_usage_error(name, msg, NULL);
}

#endif
