/* SPDX-License-Identifier: MIT */
/*
 * Private to tpm.c (the connection, PCRs, quotes) and tpm_nv.c (xdrv's NV indices: rollback
 * floors, the highest CRL number, the floors directory): the TPM handle and the helpers every
 * command goes through.
 */
#ifndef XDRV_TPM_PRIV_H
#define XDRV_TPM_PRIV_H

#include <tss2/tss2_esys.h>

#include "xdrv/boot.h"

struct tpm_nv; /* tpm_nv.c: what ldr_tpm_nv_check found; one flat allocation, so ldr_tpm_close
		* frees it with free() and tpm.c needs nothing of tpm_nv.c (no file circle) */

struct ldr_tpm {
	char *tcti_conf;
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	long fail_after; /* fault injection: -1 off */
	long commands;
	int owner_auth_given; /* ldr_tpm_set_owner_auth was called */
	struct tpm_nv *nv;
};

/* Before each command: is the TPM still there (and does fault injection let it answer)?
 * -EIO naming `what` if not. */
int tpm_alive(struct ldr_tpm *t, const char *what, char **err);
/* -EIO "TPM <tcti>: <what>: <decoded rc>". */
int tpm_fail(struct ldr_tpm *t, TSS2_RC rc, const char *what, char **err);
/* Is rc a TPM format-one code `code` (whatever the handle, session or parameter number)? */
int tpm_rc_is(TSS2_RC rc, TSS2_RC code);

#endif
