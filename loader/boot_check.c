// SPDX-License-Identifier: MIT
/*
 * A driver's package checked as the boot checks it, before anything compiles it (docs/BOOT.md
 * "Order and what is measured", steps 1-3): read once, signature chain, vendor, revocation,
 * manifest, rollback floor. Used for each driver and extension of the boot (boot_seq.c) and for
 * a live update of a served driver (boot_serve.c).
 */
#include "boot_priv.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/ext.h"
#include "xdrv/revocation.h"
#include "xdrv/sdk.h"
#include "xdrv/signer.h"
#include "xdrv/util.h"

#define PKG_MAX (64u << 20) /* a driver package; SDK caps admit 32 MiB of members */

void boot_sha256_hex(const void *d, size_t n, char hex[65])
{
	uint8_t m[32];
	unsigned int ml = 32;
	if (!EVP_Digest(d, n, m, &ml, EVP_sha256(), NULL))
		memset(m, 0, sizeof m);
	xdrv_hex(m, 32, hex);
}

static int vendor_allowed(const struct boot_config *c, const char *signer)
{
	if (!c->nvendors)
		return 1;
	for (size_t i = 0; i < c->nvendors; i++) {
		char want[320];
		snprintf(want, sizeof want, "O = %s, ", c->vendors[i]);
		if (strncmp(signer, want, strlen(want)) == 0) /* "O = vendor, CN = ..." */
			return 1;
	}
	return 0;
}

int boot_check_package(struct boot *b, struct drv_state *s, char **err)
{
	struct boot_config *c = b->cfg;
	int rc;
	s->step = "read";
	rc = xdrv_read_file(s->d->package, PKG_MAX, &s->buf, &s->len, err);
	if (rc)
		return rc;
	boot_sha256_hex(s->buf, s->len, s->hex);
	s->step = "signature";
	size_t plen = 0;
	rc = sig_trailer_parse(s->buf, s->len, &plen, NULL, NULL, NULL);
	if (rc == -ENODATA && !c->require_signatures) {
		plen = s->len;
		memcpy(s->payload, s->hex,
		       sizeof s->payload); /* unsigned: the file is the payload */
	} else if (!b->trust) {
		return xdrv_err(err, -EPERM, "signature: no trust root configured");
	} else {
		rc = sig_verify(b->trust, s->buf, s->len, &s->sig, err);
		if (rc) {
			xdrv_err_prefix(err, "signature");
			return rc;
		}
		plen = s->sig.payload_len;
		s->signed_ok = 1;
		snprintf(s->payload, sizeof s->payload, "%s", s->sig.digest_hex);
		s->step = "vendor";
		if (!vendor_allowed(c, s->sig.signer))
			return xdrv_err(err, -EPERM,
					"signer \"%s\" is not of an allowed vendor (policy)",
					s->sig.signer);
	}
	s->step = "revocation";
	if (s->signed_ok && (rc = sig_revocation_check(b->rev, s->buf, s->len, err)))
		return rc;
	/* the manifest, for the name and security_version (after the signature: verify before
	 * parse) */
	struct sdk_package pkg;
	struct sdk_caps caps = SDK_CAPS_DEFAULT;
	memset(&pkg, 0, sizeof pkg);
	s->step = "manifest";
	rc = sdk_package_read(s->buf, plen, &caps, NULL, &pkg, err);
	if (rc)
		return rc;
	snprintf(s->name, sizeof s->name, "%s", pkg.manifest.name ? pkg.manifest.name : "?");
	snprintf(s->version, sizeof s->version, "%s",
		 pkg.manifest.version ? pkg.manifest.version : "?");
	s->secver = pkg.manifest.security_version;
	uint32_t kind = pkg.manifest.desc.kind, hooks = pkg.manifest.desc.hooks;
	/* an extension's configured tables must be ones it declares */
	const char *missing = NULL;
	for (size_t t = 0; s->ext && kind == SDK_KIND_EXTENSION && t < s->ext->ntables; t++) {
		size_t k = 0;
		while (k < pkg.manifest.desc.ntables &&
		       strcmp(pkg.manifest.desc.tables[k].name, s->ext->tables[t].name) != 0)
			k++;
		if (k == pkg.manifest.desc.ntables && !missing)
			missing = s->ext->tables[t].name; /* the configuration's string */
	}
	sdk_package_free(&pkg);
	/* from the manifest, before anything compiles the package */
	if (s->ext && kind != SDK_KIND_EXTENSION)
		return xdrv_err(err, -EINVAL, "is a driver, not an extension");
	if (!s->ext && kind == SDK_KIND_EXTENSION)
		return xdrv_err(err, -EINVAL,
				"is an extension, not a driver (a driver entry's \"extensions\" "
				"lists it)");
	if (s->ext && !(hooks & s->ext->hook))
		return xdrv_err(err, -EINVAL, "does not declare the %s hook (it declares%s%s)",
				s->ext->hook == XDRV_EXT_HOOK_RX ? "rx" : "tx",
				hooks & XDRV_EXT_HOOK_RX ? " rx" : "",
				hooks & XDRV_EXT_HOOK_TX ? " tx" : "");
	if (missing) {
		char em[128];
		return xdrv_err(err, -ENOENT, "declares no table \"%s\"",
				xdrv_escape_text(missing, em, sizeof em));
	}
	s->step = "rollback";
	uint64_t stored = 0, min = boot_config_min_secver(c, s->name);
	rc = boot_floors_get(b->floors, s->name, &stored, err);
	if (rc) {
		b->fatal = b->tpm != NULL; /* the TPM stopped answering */
		return rc;
	}
	s->floor = stored > min ? stored : min;
	if (s->secver < s->floor)
		return xdrv_err(err, -EKEYREVOKED,
				"security_version %llu is below the floor %llu (%s %s)",
				(unsigned long long)s->secver, (unsigned long long)s->floor,
				stored >= min ? "stored in" : "policy minimum; stored floor in",
				boot_floors_where(b->floors));
	return 0;
}
