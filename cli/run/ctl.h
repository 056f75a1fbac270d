/* SPDX-License-Identifier: MIT */
/*
 * `xdrv run --control[=PATH]`: the run's control socket for `xdrv ext attach|detach|list|stats`
 * (cli/run/ctl.c has the protocol), private to cli/.
 */
#ifndef XDRV_CLI_RUN_CTL_H
#define XDRV_CLI_RUN_CTL_H

#include "run.h"

#include <stddef.h>
#include <stdio.h>

struct ldr_ctx;
struct ldr_netdev;
struct run_ctl;

/* $XDRV_RUN_DIR, else $XDG_RUNTIME_DIR, else /tmp, and "/xdrv-run.sock". 0 or -ENAMETOOLONG. */
int run_ctl_default_path(char *buf, size_t cap);
/* Create and listen (a stale socket file is replaced, a live one refused). 0 or -errno. */
int run_ctl_open(const char *path, struct run_ctl **out, char **err);
/* What requests act on: the loader context (to load extensions) and the interface. */
void run_ctl_set(struct run_ctl *c, struct ldr_ctx *ctx, struct ldr_netdev *nd);
struct run_end run_ctl_end(struct run_ctl *c);
/* In process: offer "update PATH" (xdrv update, update.c) acting on u (borrowed for the run).
 * Without it (a driver domain) the request is answered with an error. */
struct run_update;
void run_ctl_set_update(struct run_ctl *c, struct run_update *u);
/* Supervisor of a driver domain: the loader configuration (trust root and all) with which the
 * relay verifies and compiles an extension to attach live (copied; strings borrowed for the
 * run). */
struct ldr_config;
void run_ctl_set_compile(struct run_ctl *c, const struct ldr_config *cfg);
/* Driver domain. Supervisor: relay each request of the socket run_ctl_open made to the driver
 * host over `pair` (a SEQPACKET socket) from a thread of its own (attach and replace: verified
 * and compiled there, handed over in one message, ctl_msg.h); 0
 * or -errno. Driver host: serve what comes on `pair` in the run loop (run_ctl_end); NULL when
 * out of memory. */
int run_ctl_relay_start(struct run_ctl *c, int pair, char **err);
struct run_ctl *run_ctl_host(int pair);
/* The image requests about the driver act on (`param list|status|set`): in process, the
 * run's image; NULL in a driver host or a native run (those requests are then refused). */
struct ldr_image;
void run_ctl_set_image(struct run_ctl *c, struct ldr_image *img);

/* Serve "param list", "param status" or "param set DRIVER NAME VALUE" (args: after "param ")
 * for `img` (NULL: refused, naming why) into f (ctl_param.c). */
void run_ctl_param(struct ldr_image *img, FILE *f, char *args);
/* "patch list", "patch apply PATH" (absolute) or "patch revert" (ctl_param.c). */
void run_ctl_patch(struct ldr_image *img, FILE *f, char *args);

/* Client (ctl_client.c): send `line` to the socket at `path`, read the whole answer into
 * *answer (malloc'd, NUL-ended; the caller frees). 0: it ended in "ok"; 1: it did not (an
 * "error: ..." line says why); -1: no answer (said on stderr, prefixed by `who`). */
int run_ctl_request(const char *who, const char *path, const char *line, char **answer);
/* The same; `run` names the run that serves the request in the message when nothing answers
 * at `path` ("is an `RUN` running?"; run_ctl_request: "xdrv run --control"); `who` NULL says
 * nothing on stderr. */
int run_ctl_request_to(const char *who, const char *path, const char *line, const char *run,
		       char **answer);
/* Print an answer: "error: " lines to stderr prefixed by `who`, "ok" dropped, the rest to
 * stdout. 0 when it held "ok". */
int run_ctl_print(const char *who, const char *answer);

/* The run's code swaps (`param status [DRIVER]`; `driver` NULL: the run's one driver): the
 * generation that runs and the newest swap's state into *gen and state (may be NULL), the whole
 * answer into *answer if not NULL (the caller frees). 0, or -1 said on stderr. */
int run_ctl_swap_status(const char *who, const char *path, const char *driver, unsigned *gen,
			char *state, size_t cap, char **answer);
/* The same, saying nothing when it fails (-1). */
int run_ctl_swap_status_quiet(const char *path, const char *driver, unsigned *gen);
/* Whether a change's answer says it is live already: a served boot answers when the swap is
 * done, with the status line (a generation after gen0, state live). */
int run_ctl_swap_done(const char *answer, unsigned gen0);
/* Ask for the status every 50 ms until a generation after gen0 is live (its status printed:
 * 0) or the swap failed (said: -1), at most timeout_s seconds (-1). `what` names the change. */
int run_ctl_swap_wait(const char *who, const char *path, const char *driver, unsigned gen0,
		      unsigned timeout_s, const char *what);

/* Stops the relay, removes the socket file (not in a driver host); NULL-safe. */
void run_ctl_close(struct run_ctl *c);

#endif
