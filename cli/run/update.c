// SPDX-License-Identifier: MIT
/*
 * `xdrv update` against `xdrv run --control`: the control socket's "update PATH" (ctl.c), served
 * on the run loop's thread between two dispatches. In a driver domain the supervisor reads the
 * package, has the compiler process compile it and makes the same checks (run_update_check, from
 * ctl_swap.c); the driver host links the record and swaps the drivers (run_update_host).
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

/* Read and load (verify, compile, link). 0 with *img and the bytes in *buf, or -errno. */
static int load_new(const struct run_update *u, const char *path, struct ldr_image **img,
		    uint8_t **buf, size_t *len, char **err)
{
	int rc = xdrv_read_file(path, UPDATE_PKG_MAX, buf, len, err);
	if (rc == 0)
		rc = ldr_image_load_buf(u->ctx, *buf, *len, path, u->params, u->nparams, img, err);
	return rc;
}

int run_update_check(const struct sig_revocation *rev, const char *floors,
		     const struct sdk_manifest *mo, const struct sdk_manifest *mn,
		     const struct sig_info *si, const uint8_t *buf, size_t len, const char *path,
		     char **err)
{
	int rc;
	if (!si)
		return xdrv_err(err, -EPERM,
				"%s: not verified: live update takes a signed package checked with "
				"the run's trust root (the run has none, or the package is "
				"unsigned)",
				path);
	/* revocation of a verified package, as a boot checks it */
	if (rev && (rc = sig_revocation_check(rev, buf, len, err)) != 0) {
		xdrv_err_prefix(err, "%s: revocation", path);
		return rc;
	}
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
	/* --floors: the boot's rollback floor for the driver (boot_floor_check, as a boot checks
	 * it) */
	if (floors && (rc = boot_floor_check(floors, mn->name, mn->security_version, NULL, err))) {
		xdrv_err_prefix(err, "%s: rollback", path);
		return rc;
	}
	return 0;
}

void run_update_refused(FILE *f, const char *msg)
{
	fprintf(f, "error: %s; the running driver is unchanged\n", msg);
	printf("control: update refused: %s\n", msg);
	fflush(stdout);
}

/* "VERSION (security_version N)" */
static void version_text(const struct sdk_manifest *m, char *buf, size_t n)
{
	snprintf(buf, n, "%s (security_version %" PRIu64 ")", m && m->version ? m->version : "?",
		 m ? m->security_version : 0);
}

/* The update of *u->img's driver to nimg (owned from here) done and said into f and on stdout
 * (load_ns: the new version's read and load, or in a driver host its link). */
static void update_to(struct run_update *u, struct ldr_image *nimg, uint64_t load_ns, FILE *f)
{
	const struct sdk_manifest *mo = ldr_image_manifest(*u->img);
	const struct sdk_manifest *mn = ldr_image_manifest(nimg);
	const struct sig_info *si = ldr_image_signature(nimg);
	char from[96], to[96], name[64], digest[65];
	version_text(mo, from, sizeof from); /* copied: the old image goes on success */
	version_text(mn, to, sizeof to);
	snprintf(name, sizeof name, "%s", mn && mn->name ? mn->name : "?");
	snprintf(digest, sizeof digest, "%s", si ? si->digest_hex : "unsigned");
	struct ldr_update_report rep;
	memset(&rep, 0, sizeof rep);
	char *err = NULL;
	int rc = ldr_image_update(u->img, nimg, u->drv, &u->bind, &rep, &err);
	u->frames_dropped += rep.frames_dropped;
	if (rc == 0) {
		*u->desc = ldr_image_descriptor(*u->img);
		u->updates++;
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
			ms(load_ns), ms(rep.quiesce_ns), ms(rep.remove_ns), ms(rep.probe_ns));
		fprintf(f, "%s\nok\n", line);
		printf("control: updated %s\n", line);
		fflush(stdout);
		free(err);
		return;
	}
	if (rep.rolled_back) /* the old version went through a remove and a probe too */
		fprintf(f, "error: %s; %" PRIu64 " frame(s) in flight dropped\n",
			err ? err : strerror(-rc), rep.frames_dropped);
	else
		fprintf(f, "error: %s\n", err ? err : strerror(-rc));
	printf("control: update of %s to %s failed: %s\n", name, to, err ? err : strerror(-rc));
	fflush(stdout);
	free(err);
}

void run_update_host(struct run_update *u, const struct ldr_compiled *rec, FILE *f)
{
	struct ldr_image *nimg = NULL;
	char *err = NULL;
	uint64_t t0 = xdrv_now_ns();
	int rc = !*u->img || !*u->drv
			 ? xdrv_err(&err, -ENODEV, "the run has no driver image to update")
			 : ldr_image_load_compiled(u->ctx, rec, &nimg, &err);
	if (rc)
		run_update_refused(f, err ? err : strerror(-rc));
	else
		update_to(u, nimg, xdrv_now_ns() - t0, f);
	free(err);
}

void run_update_serve(struct run_update *u, const char *path, FILE *f)
{
	char *err = NULL;
	struct ldr_image *img = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = 0;
	uint64_t t0 = xdrv_now_ns();
	if (path[0] != '/')
		rc = xdrv_err(&err, -EINVAL,
			      "update wants the absolute path of a package, not '%s'", path);
	else if (!*u->img || !*u->drv)
		rc = xdrv_err(&err, -ENODEV, "the run has no driver image to update");
	if (rc == 0)
		rc = load_new(u, path, &img, &buf, &len, &err);
	if (rc == 0)
		rc = run_update_check(u->rev, u->floors, ldr_image_manifest(*u->img),
				      ldr_image_manifest(img), ldr_image_signature(img), buf, len,
				      path, &err);
	free(buf);
	if (rc != 0) {
		run_update_refused(f, err ? err : strerror(-rc));
		ldr_image_unload(img);
		free(err);
		return;
	}
	update_to(u, img, xdrv_now_ns() - t0, f);
}
