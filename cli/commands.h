/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of the `xdrv` front end. Each lives with its component, in a file named
 * <component>/cmd_<name>.c, and is registered in the table in cli/xdrv.c.
 *
 * Contract for every command: argv[0] is the subcommand name; `--help` / `-h` anywhere prints
 * usage to stdout and returns 0; a usage error prints a one-line message plus "try 'xdrv NAME
 * --help'" to stderr and returns 2; a failure prints "xdrv NAME: <message>" to stderr and
 * returns 1. Commands never call exit().
 */
#ifndef XDRV_CLI_COMMANDS_H
#define XDRV_CLI_COMMANDS_H

int cmd_build(int argc, char **argv);	/* sdk/cmd_build.c */
int cmd_pack(int argc, char **argv);	/* sdk/cmd_pack.c */
int cmd_inspect(int argc, char **argv); /* sdk/cmd_inspect.c */
int cmd_pki(int argc, char **argv);	/* signer/cmd_pki.c */
int cmd_sign(int argc, char **argv);	/* signer/cmd_sign.c */
int cmd_verify(int argc, char **argv);	/* signer/cmd_verify.c */
int cmd_load(int argc, char **argv);	/* loader/cmd_load.c */
int cmd_run(int argc, char **argv);	/* loader/cmd_run.c */
int cmd_bench(int argc, char **argv);	/* loader/cmd_bench.c (issue 3 throughput) */
int cmd_abi(int argc, char **argv);	/* cli/cmd_abi.c */
int cmd_repo(int argc, char **argv);	/* repo-server/cmd_repo.c */
int cmd_search(int argc, char **argv);	/* repo-server/cmd_search.c */
int cmd_publish(int argc, char **argv); /* repo-server/cmd_publish.c */
int cmd_install(int argc, char **argv); /* repo-server/cmd_install.c */
int cmd_list(int argc, char **argv);	/* repo-server/cmd_list.c */
int cmd_remove(int argc, char **argv);	/* repo-server/cmd_remove.c */

/* measured boot (issue 5) */
int cmd_boot(int argc, char **argv);	    /* loader/cmd_boot.c */
int cmd_attest(int argc, char **argv);	    /* loader/cmd_attest.c */
int cmd_verify_boot(int argc, char **argv); /* loader/cmd_verify_boot.c */
int cmd_revoke(int argc, char **argv);	    /* signer/cmd_revoke.c */

/* True if argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);
/* Print "xdrv CMD: MSG[ ARG]; try 'xdrv CMD --help'" to stderr; returns 2 (the usage-error
 * exit status), so commands write `return cli_usage_error("load", "unknown option", arg);`. */
int cli_usage_error(const char *cmd, const char *msg, const char *arg);

#endif
