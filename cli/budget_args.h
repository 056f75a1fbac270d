/* SPDX-License-Identifier: MIT */
/*
 * The budget options `xdrv load`, `xdrv run` and `xdrv bench` share (loader/README.md
 * "Budgets"): --budget N (backward edges one entry into the driver may take), --max-depth N
 * (nesting of driver calls), --no-budget (no instrumentation). On by default in these commands,
 * with the loader's defaults.
 */
#ifndef XDRV_CLI_BUDGET_ARGS_H
#define XDRV_CLI_BUDGET_ARGS_H

#include <getopt.h>
#include <stdint.h>
#include <xdrv/loader.h>

/* getopt_long codes, outside any short option's range (and cache_args.h's, run/disk.h's) */
#define CLI_BUDGET_OPT_EDGES 0x1e11
#define CLI_BUDGET_OPT_DEPTH 0x1e12
#define CLI_BUDGET_OPT_OFF   0x1e13
#define CLI_BUDGET_LONGOPTS                                                                        \
	{"budget", required_argument, NULL, CLI_BUDGET_OPT_EDGES},                                 \
		{"max-depth", required_argument, NULL, CLI_BUDGET_OPT_DEPTH},                      \
	{                                                                                          \
		"no-budget", no_argument, NULL, CLI_BUDGET_OPT_OFF                                 \
	}
/* The usage lines of the three options (for a command's --help). */
#define CLI_BUDGET_USAGE                                                                           \
	"  --budget N          stop the driver when one entry into it takes more than N\n"         \
	"                      loop iterations (backward edges; default 2097152: 1-30 ms)\n"       \
	"  --max-depth N       stop the driver when its calls nest deeper than N (default\n"       \
	"                      256)\n"                                                             \
	"  --no-budget         compile the driver without budget checks\n"

/* Zeroed: the defaults (LDR_BUDGET_EDGES_DEFAULT, LDR_BUDGET_DEPTH_DEFAULT). */
struct cli_budget {
	uint64_t edges; /* --budget; 0: the default */
	uint32_t depth; /* --max-depth; 0: the default */
	int off;	/* --no-budget */
};

static inline int cli_budget_is_option(int c)
{
	return c == CLI_BUDGET_OPT_EDGES || c == CLI_BUDGET_OPT_DEPTH || c == CLI_BUDGET_OPT_OFF;
}

/* Take option `c` with `arg`; 0, or 2 after a usage error of command `cmd`. */
int cli_budget_option(const char *cmd, int c, const char *arg, struct cli_budget *b);
/* Into the loader's configuration: the limits (the defaults where not given), or 0 and 0 with
 * --no-budget. */
void cli_budget_apply(const struct cli_budget *b, struct ldr_config *cfg);

#endif
