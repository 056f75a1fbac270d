// SPDX-License-Identifier: MIT
/*
 * `xdrv update` against `xdrv run --in-process --control`: the control socket's "update PATH"
 * (ctl.c), served on the run loop's thread between two dispatches.
 *
 * The new package is checked as a boot checks one, before the running driver is touched: its
 * signature and certificate chain with the run's trust root (the loader verifies before it
 * parses; an unsigned package, or a run without a trust root, is refused), revocation with the
 * run's --ext-crl / --ext-deny-list (sig_revocation_check, the boot's check), then, once it is
 * compiled and linked (the old driver keeps its state; traffic waits), the same driver name as
 * the running one, a security_version not below the running one's, nor (--floors DIR) below the
 * rollback floor a boot's state folder holds (boot_floor_check, the boot's store). Then the
 * runtime swaps the drivers on the same device without unregistering its interface or disks
 * (ldr_driver_update): quiesce, remove, probe, open. The old image is unloaded only once the new
 * driver runs; if the new one fails to probe, the old one is probed again and the reply says so.
 */
#include "update.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/boot.h>
#include <xdrv/loader.h>
#include <xdrv/revocation.h>
#include <xdrv/runtime.h>
#include <xdrv/sdk.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#define UPDATE_PKG_MAX (64u << 20) /* as a boot reads a driver package */

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* Read, check revocation, load (verify, compile, link). 0 with *img, or -errno with *err. */
static int load_new(const struct run_update *u, const char *path, struct ldr_image **img,
		    char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = xdrv_read_file(path, UPDATE_PKG_MAX, &buf, &len, err);
	if (rc == 0)
		rc = ldr_image_load_buf(u->ctx, buf, len, path, u->params, u->nparams, img, err);
	if (rc == 0 && !ldr_image_signature(*img))
		rc = xdrv_err(err, -EPERM,
			      "%s: not verified: live update takes a signed package checked with "
			      "the run's trust root (the run has none, or the package is unsigned)",
			      path);
	/* revocation of a verified package, as a boot checks it */
	if (rc == 0 && u->rev && (rc = sig_revocation_check(u->rev, buf, len, err)) != 0)
		xdrv_err_prefix(err, "%s: revocation", path);
	free(buf);
	if (rc != 0 && *img) {
		ldr_image_unload(*img);
		*img = NULL;
	}
	return rc;
}

/* The manifest checks against the running image. 0, or -errno with *err. */
static int check_versions(const struct ldr_image *old, const struct ldr_image *img,
			  const char *path, char **err)
{
	const struct sdk_manifest *mo = ldr_image_manifest(old), *mn = ldr_image_manifest(img);
	if (!mo || !mn || !mn->name || !mo->name)
		return xdrv_err(err, -EINVAL, "%s: no manifest to compare", path);
	if (strcmp(mo->name, mn->name) != 0)
		return xdrv_err(err, -EINVAL,
				"%s: is driver %s, the run's driver is %s: an update replaces a "
				"driver by a version of itself",
				path, mn->name, mo->name);
	if (mn->security_version < mo->security_version)
		return xdrv_err(err, -EKEYREVOKED,
				"%s: security_version %" PRIu64
				" is below the running %s %s's %" PRIu64
				" (security_version only goes up)",
				path, mn->security_version, mo->name,
				mo->version ? mo->version : "?", mo->security_version);
	if (!ldr_image_descriptor((struct ldr_image *)img))
		return xdrv_err(err, -EINVAL, "%s: no driver descriptor", path);
	return 0;
}

/* --floors: the boot's rollback floor for the driver (boot_floor_check, as a boot checks it). */
static int check_floor(const struct run_update *u, const struct ldr_image *img, const char *path,
		       char **err)
{
	const struct sdk_manifest *m = ldr_image_manifest(img);
	if (!u->floors)
		return 0;
	int rc = boot_floor_check(u->floors, m->name, m->security_version, NULL, err);
	if (rc)
		xdrv_err_prefix(err, "%s: rollback", path);
	return rc;
}

void run_update_serve(struct run_update *u, const char *path, FILE *f)
{
	char *err = NULL;
	struct ldr_image *img = NULL;
	int rc = 0;
	uint64_t t0 = xdrv_now_ns();
	if (path[0] != '/')
		rc = xdrv_err(&err, -EINVAL,
			      "update wants the absolute path of a package, not '%s'", path);
	else if (!*u->img || !*u->drv)
		rc = xdrv_err(&err, -ENODEV, "the run has no driver image to update");
	if (rc == 0)
		rc = load_new(u, path, &img, &err);
	if (rc == 0)
		rc = check_versions(*u->img, img, path, &err);
	if (rc == 0)
		rc = check_floor(u, img, path, &err);
	if (rc != 0) {
		fprintf(f, "error: %s; the running driver is unchanged\n",
			err ? err : strerror(-rc));
		printf("control: update refused: %s\n", err ? err : strerror(-rc));
		fflush(stdout);
		ldr_image_unload(img);
		free(err);
		return;
	}
	const struct sdk_manifest *mo = ldr_image_manifest(*u->img), *mn = ldr_image_manifest(img);
	char from[96], to[96];
	snprintf(from, sizeof from, "%s (security_version %" PRIu64 ")",
		 mo->version ? mo->version : "?", mo->security_version);
	snprintf(to, sizeof to, "%s (security_version %" PRIu64 ")",
		 mn->version ? mn->version : "?", mn->security_version);
	char name[64];
	snprintf(name, sizeof name, "%s", mn->name);
	const struct sig_info *si = ldr_image_signature(img);
	char digest[65];
	snprintf(digest, sizeof digest, "%s", si->digest_hex);
	uint64_t t_loaded = xdrv_now_ns();

	struct ldr_update_report rep;
	const struct xdrv_driver *desc = ldr_image_descriptor(img);
	rc = ldr_driver_update(u->drv, desc, &u->bind, 0, &rep, &err);
	if (rc == 0) {
		ldr_image_unload(*u->img);
		*u->img = img;
		*u->desc = desc;
		u->updates++;
		u->frames_dropped += rep.frames_dropped;
		char disks[160] = "";
		if (rep.blkdevs_kept || rep.scsi_kept)
			snprintf(disks, sizeof disks,
				 ", %u disk(s) and %u SCSI host(s) kept, %u disk request(s) "
				 "re-issued",
				 rep.blkdevs_kept, rep.scsi_kept, rep.reqs_reissued);
		char line[768];
		snprintf(
			line, sizeof line,
			"%s %s -> %s (package sha256 %s): %u interface(s) kept registered, %" PRIu64
			" frame(s) in flight dropped%s; load %.3f ms, quiesce %.3f ms, remove "
			"%.3f ms, probe %.3f ms",
			name, from, to, digest, rep.netdevs_kept, rep.frames_dropped, disks,
			ms(t_loaded - t0), ms(rep.quiesce_ns), ms(rep.remove_ns), ms(rep.probe_ns));
		fprintf(f, "%s\nok\n", line);
		printf("control: updated %s\n", line);
		fflush(stdout);
		free(err);
		return;
	}
	ldr_image_unload(img);
	u->frames_dropped += rep.frames_dropped;
	if (rep.rolled_back) /* the old version went through a remove and a probe too */
		fprintf(f, "error: %s; %" PRIu64 " frame(s) in flight dropped\n",
			err ? err : strerror(-rc), rep.frames_dropped);
	else
		fprintf(f, "error: %s\n", err ? err : strerror(-rc));
	printf("control: update of %s to %s failed: %s\n", name, to, err ? err : strerror(-rc));
	fflush(stdout);
	free(err);
}
