/* SPDX-License-Identifier: MIT */
/*
 * `xdrv update` against `xdrv run --control` (cli/run/update.c): replace the running driver by
 * a newer signed version of itself without unregistering its interface; in process, or in a
 * driver domain's driver host (checked and compiled by the supervisor, ctl_swap.c).
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

/* The checks of a new version against the running one, the same in both places (in process
 * after the load, a driver domain's supervisor after its compiler process compiled the package,
 * ctl_swap.c): signed (si, the verified signature: not NULL), not revoked (rev, may be NULL: on
 * the package's bytes buf), the same driver name, a security_version not below the running one's
 * (mo) nor, with `floors` (a boot's state folder), below the rollback floor there. 0, or -errno
 * with *err naming path. */
struct sdk_manifest;
struct sig_info;
int run_update_check(const struct sig_revocation *rev, const char *floors,
		     const struct sdk_manifest *mo, const struct sdk_manifest *mn,
		     const struct sig_info *si, const uint8_t *buf, size_t len, const char *path,
		     char **err);
/* A refused update answered into f ("error: MSG; the running driver is unchanged") and logged. */
void run_update_refused(FILE *f, const char *msg);
/* Driver host: the update the supervisor checked and had compiled (rec, generation 0 of the new
 * version, compiled with the run's parameters) linked and made the driver on the device
 * (ldr_image_update: interfaces and disks kept; a failed probe rolls back), answered into f as
 * run_update_serve answers. Between two dispatches only. */
struct ldr_compiled;
void run_update_host(struct run_update *u, const struct ldr_compiled *rec, FILE *f);

#endif
