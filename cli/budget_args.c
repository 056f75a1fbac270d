// SPDX-License-Identifier: MIT
/*
 * The budget options of `xdrv load`, `xdrv run` and `xdrv bench` (budget_args.h).
 */
#include "budget_args.h"

#include <stdlib.h>
#include <xdrv/cli.h>

static int parse_u64(const char *arg, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	if (*arg < '0' || *arg > '9')
		return -1;
	unsigned long long v = strtoull(arg, &end, 0);
	if (*end || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_budget_option(const char *cmd, int c, const char *arg, struct cli_budget *b)
{
	uint64_t v = 0;
	switch (c) {
	case CLI_BUDGET_OPT_EDGES:
		if (parse_u64(arg, LDR_BUDGET_EDGES_MAX, &v))
			return xdrv_cli_usage_error(
				cmd, "--budget wants loop iterations (1..2^48), not", arg);
		b->edges = v;
		b->off = 0;
		return 0;
	case CLI_BUDGET_OPT_DEPTH:
		if (parse_u64(arg, LDR_BUDGET_DEPTH_MAX, &v))
			return xdrv_cli_usage_error(
				cmd, "--max-depth wants a depth (1..1048576), not", arg);
		b->depth = (uint32_t)v;
		b->off = 0;
		return 0;
	default:
		b->off = 1;
		return 0;
	}
}

void cli_budget_apply(const struct cli_budget *b, struct ldr_config *cfg)
{
	cfg->budget_edges = b->off ? 0 : b->edges ? b->edges : LDR_BUDGET_EDGES_DEFAULT;
	cfg->budget_depth = b->off ? 0 : b->depth ? b->depth : LDR_BUDGET_DEPTH_DEFAULT;
}
