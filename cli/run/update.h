/* SPDX-License-Identifier: MIT */
/*
 * `xdrv update` against `xdrv run --in-process --control` (cli/run/update.c): replace the
 * running driver by a newer signed version of itself without unregistering its interface.
 * Private to cli/.
 */
#ifndef XDRV_CLI_RUN_UPDATE_H
#define XDRV_CLI_RUN_UPDATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <xdrv/runtime.h>

struct ldr_ctx;
struct ldr_image;
struct ldr_param_value;
struct sig_revocation;
struct xdrv_driver;

/* What an update acts on: the run's loader context and the places where the run keeps its
 * image, driver and descriptor (each replaced by an update that succeeds). */
struct run_update {
	struct ldr_ctx *ctx;
	struct ldr_image **img;
	struct ldr_driver **drv;
	const struct xdrv_driver **desc;
	const struct ldr_param_value *params; /* the run's --param values, for the new image */
	size_t nparams;
	struct ldr_bind_opts bind;	  /* as the run bound the driver */
	const struct sig_revocation *rev; /* the run's --ext-crl / --ext-deny-list, or NULL */
	const char *floors;		  /* --floors: a boot's state folder, or NULL */
	uint32_t updates;		  /* updates done */
	uint64_t frames_dropped;	  /* over all of them */
};

/* Serve "update PATH": check and load the package, swap the drivers, answer into f (lines, the
 * last "ok" or "error: MESSAGE") and log one line on stdout. Between two dispatches only. */
void run_update_serve(struct run_update *u, const char *path, FILE *f);

#endif
