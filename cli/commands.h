/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of the `xdrv` front end. Each is a thin shell in cli/cmd_<name>.c (parse the
 * arguments, call a component library, print) and is registered in the table in
 * cli/main_xdrv.c. `xdrv run`'s console, NIC and disk ends live in cli/run/; `xdrv bench` runs
 * the bench program (bench/) that sits beside the executable.
 *
 * Contract for every command: argv[0] is the subcommand name; `--help` / `-h` anywhere prints
 * usage to stdout and returns 0; a usage error prints a one-line message plus "try 'xdrv NAME
 * --help'" to stderr and returns 2; a failure prints "xdrv NAME: <message>" to stderr and
 * returns 1. Commands never call exit().
 */
#ifndef XDRV_CLI_COMMANDS_H
#define XDRV_CLI_COMMANDS_H

#include <xdrv/cli.h>

int cmd_build(int argc, char **argv);	/* cli/cmd_build.c */
int cmd_pack(int argc, char **argv);	/* cli/cmd_pack.c */
int cmd_inspect(int argc, char **argv); /* cli/cmd_inspect.c */
int cmd_pki(int argc, char **argv);	/* cli/cmd_pki.c */
int cmd_sign(int argc, char **argv);	/* cli/cmd_sign.c */
int cmd_verify(int argc, char **argv);	/* cli/cmd_verify.c */
int cmd_load(int argc, char **argv);	/* cli/cmd_load.c */
int cmd_cache(int argc, char **argv);	/* cli/cmd_cache.c: the object cache (issue 13) */
int cmd_run(int argc, char **argv);	/* cli/cmd_run.c */
int cmd_bench(int argc, char **argv);	/* cli/cmd_bench.c */
int cmd_abi(int argc, char **argv);	/* cli/cmd_abi.c */
int cmd_repo(int argc, char **argv);	/* cli/cmd_repo.c */
int cmd_search(int argc, char **argv);	/* cli/cmd_search.c */
int cmd_publish(int argc, char **argv); /* cli/cmd_publish.c */
int cmd_install(int argc, char **argv); /* cli/cmd_install.c */
int cmd_list(int argc, char **argv);	/* cli/cmd_list.c */
int cmd_remove(int argc, char **argv);	/* cli/cmd_remove.c */

/* packet extensions (issue 16): `xdrv ext test` (cli/cmd_ext.c), which hands attach, detach,
 * list and stats to cmd_ext_ctl (cli/cmd_ext_ctl.c) with argv[0] = the subcommand */
int cmd_ext(int argc, char **argv);
int cmd_ext_ctl(int argc, char **argv);

/* the JIT's lifecycle (issue 13): re-specialize a running driver (cli/cmd_param.c) */
int cmd_param(int argc, char **argv);
int cmd_patch(int argc, char **argv); /* cli/cmd_patch.c: live patches */
/* live update (issue 13): `xdrv update` against a running `xdrv run --in-process --control` */
int cmd_update(int argc, char **argv); /* cli/cmd_update.c */

/* measured boot (issue 5) */
int cmd_boot(int argc, char **argv);	    /* cli/cmd_boot.c */
int cmd_attest(int argc, char **argv);	    /* cli/cmd_attest.c */
int cmd_verify_boot(int argc, char **argv); /* cli/cmd_verify_boot.c */
int cmd_revoke(int argc, char **argv);	    /* cli/cmd_revoke.c */

int cmd_version(int argc, char **argv); /* cli/cmd_version.c: also `xdrv --version` */

#endif
