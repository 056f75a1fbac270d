/* SPDX-License-Identifier: MIT */
/*
 * `xdrv run --control[=PATH]`: the run's control socket for `xdrv ext attach|detach|list|stats`
 * (cli/run/ctl.c has the protocol), private to cli/.
 */
#ifndef XDRV_CLI_RUN_CTL_H
#define XDRV_CLI_RUN_CTL_H

#include "run.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ldr_ctx;
struct ldr_netdev;
struct run_ctl;

/* $XDRV_RUN_DIR, else $XDG_RUNTIME_DIR, else /tmp, and "/xdrv-run.sock". 0 or -ENAMETOOLONG. */
int run_ctl_default_path(char *buf, size_t cap);
/* Create and listen (a stale socket file is replaced, a live one refused). 0 or -errno. path
 * NULL: no socket (a driver domain's relay for --tier auto alone: its tier 2 swap). */
int run_ctl_open(const char *path, struct run_ctl **out, char **err);
/* What requests act on: the loader context (to load extensions) and the interface. */
void run_ctl_set(struct run_ctl *c, struct ldr_ctx *ctx, struct ldr_netdev *nd);
struct run_end run_ctl_end(struct run_ctl *c);
/* What `xdrv update` acts on (update.c; u borrowed for the run): in process "update PATH" is
 * served with it; in a driver host the supervisor's update message (ctl_swap.c), the text
 * request being refused there. Without it both are answered with an error. */
struct run_update;
void run_ctl_set_update(struct run_ctl *c, struct run_update *u);
/* Supervisor of a driver domain: the loader configuration (trust root and all) with which the
 * relay verifies and compiles an extension to attach live (copied; strings borrowed for the
 * run). */
struct ldr_config;
void run_ctl_set_compile(struct run_ctl *c, const struct ldr_config *cfg);
/* Driver domain. Supervisor: relay each request of the socket run_ctl_open made to the driver
 * host over `pair` (a SEQPACKET socket) from a thread of its own (attach and replace: verified
 * and compiled there, handed over in one message, ctl_msg.h; param and patch: run_ctl_set_swap);
 * 0 or -errno. Driver host h: serve what comes on `pair` in the run loop (run_ctl_end; swap
 * messages act on the image of run_ctl_set_image); NULL when out of memory. */
int run_ctl_relay_start(struct run_ctl *c, int pair, char **err);
struct ldr_domain_host;
struct run_ctl *run_ctl_host(int pair, struct ldr_domain_host *h);
/* The image requests about the driver act on (`param list|status|set`): in process, the
 * run's image; NULL in a driver host or a native run (those requests are then refused). */
struct ldr_image;
void run_ctl_set_image(struct run_ctl *c, struct ldr_image *img);

/* Driver domain, supervisor: code swaps (ctl_swap.c). The loader's struct ldr_gen for the
 * driver the host was forked with: pkg, label, pv and gen0 as that load had them (gen0 compiled
 * with cfg.swappable), cfg the run's loader configuration (a context of the relay thread's own
 * is made with it), rev the revocation inputs a live patch is checked against (NULL: none;
 * borrowed for the run). 0 or -errno with *err. */
struct ldr_config;
struct ldr_param_value;
struct ldr_compiled;
struct sig_revocation;
struct run_swap;
int run_swap_new(const struct ldr_config *cfg, const uint8_t *pkg, size_t len, const char *label,
		 const struct ldr_param_value *pv, size_t npv, const struct ldr_compiled *gen0,
		 const struct sig_revocation *rev, struct run_swap **out, char **err);
void run_swap_free(struct run_swap *s); /* NULL-safe */
/* The relay serves "param ...", "patch ..." and "update PATH" from s (borrowed for the run)
 * instead of relaying them as text, and does its tier 2 first (run_swap_tier2). */
void run_ctl_set_swap(struct run_ctl *c, struct run_swap *s);
/* Supervisor's relay: one request line "param ...", "patch ..." or "update PATH" served (a
 * change checked, compiled, handed to the driver host over `pair` as swap message `seq` and its
 * answer waited for), answered into f as the in-process path answers. */
void run_swap_serve(struct run_swap *s, int pair, uint32_t seq, char *req, FILE *f);
/* The run's options for s: --tier auto's tier 2 level (opt_level; 0: none), the relay's first
 * job (run_swap_tier2); --floors for `xdrv update` (floors, or NULL; borrowed for the run). */
void run_swap_set_run(struct run_swap *s, uint32_t opt_level, const char *floors);
/* Supervisor's relay, between two requests: tier 2 compiled and handed over if it is due (at the
 * start, and after an update), logged as the in-process tier 2 is; `stop` set: the run ends (a
 * failure then says so). */
void run_swap_tier2(struct run_swap *s, int pair, uint32_t seq, const volatile int *stop);
/* Driver host: a swap message (ctl_msg.h) applied to img between two dispatches, or an update
 * (RUN_CTL_SWAP_UPDATE) made with u (NULL: refused), answered "#SEQ\nANSWER" into f. 0 or
 * -errno. */
struct run_update;
int run_swap_host(struct ldr_image *img, struct run_update *u, const uint8_t *msg, size_t n,
		  FILE *f);
/* A driver host just forked from the supervisor that owns s: the record of the version `xdrv
 * update` made live, to link instead of the run's first (*out NULL: none; the caller frees);
 * then the generation that was live when it was forked (if not generation 0) swapped into img.
 * 0 or -errno with *err. */
int run_swap_base(const struct run_swap *s, struct ldr_compiled **out, char **err);
int run_swap_catch_up(const struct run_swap *s, struct ldr_image *img, char **err);
/* Supervisor's relay: msg sent over pair, the answer tagged "#SEQ\n" waited for (others are
 * late answers, skipped) up to timeout_ns: 0 with the answer's body in ans (NUL-ended), or -1
 * with *err (static text). */
int run_ctl_exchange(int pair, uint32_t seq, const void *msg, size_t len, uint64_t timeout_ns,
		     char *ans, size_t cap, const char **err);

/* Serve "param list", "param status" or "param set DRIVER NAME VALUE" (args: after "param ")
 * for `img` (NULL: refused, naming why) into f (ctl_param.c). */
void run_ctl_param(struct ldr_image *img, FILE *f, char *args);
/* "patch list", "patch apply PATH" (absolute) or "patch revert" (ctl_param.c). */
void run_ctl_patch(struct ldr_image *img, FILE *f, char *args);
/* The answers' lines (ctl_param.c), shared by both paths: `param list`'s (vals NULL: the
 * defaults), `param status`'s (with "ok"), `patch list`'s. */
struct sdk_param;
struct ldr_tier_info;
struct ldr_patch_info;
void run_ctl_params_print(FILE *f, const struct sdk_param *params, size_t n, const uint64_t *vals);
void run_ctl_status_print(FILE *f, const char *name, const struct ldr_tier_info *ti);
void run_ctl_patches_print(FILE *f, const char *name, const struct ldr_patch_info *info, size_t n);

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
