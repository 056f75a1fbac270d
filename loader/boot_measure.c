// SPDX-License-Identifier: MIT
/*
 * One measurement of the boot (docs/BOOT.md "Event log format"): the event appended to the TCG
 * log, the log written to its file at once (a crash loses nothing measured), the event's digest
 * extended into the TPM's PCR. Shared by the boot's sequence (boot_seq.c) and its serving
 * (boot_serve.c), whose code swaps are measured the same way.
 */
#include "boot_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "xdrv/util.h"

#define TEXT_MAX EVL_MAX_DATA /* one event's text */

int boot_measure(struct boot *b, uint32_t pcr, char **err, const char *fmt, ...)
{
	char text[TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof text)
		return xdrv_err(err, -E2BIG, "event %zu: text longer than %u bytes", b->log.n + 1,
				TEXT_MAX);
	int rc = evl_append_text(&b->log, pcr, EVL_EV_IPL, text, err);
	if (!rc)
		rc = evl_write_file(&b->log, b->cfg->event_log, err);
	if (!rc && b->tpm) {
		rc = ldr_tpm_extend(b->tpm, pcr, b->log.ev[b->log.n - 1].digest, err);
		if (rc)
			xdrv_err_prefix(err, "measuring event %zu (%.40s...)", b->log.n, text);
	}
	if (!rc)
		b->res->events++;
	else
		b->fatal = 1;
	return rc;
}

const char *boot_q(const char *s, char *buf, size_t n)
{
	size_t o = 0;
	if (n < 3)
		return "";
	buf[o++] = '"';
	for (; s && *s && o + 3 < n; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = (unsigned char)*s < 0x20 ? '?' : *s;
	}
	buf[o++] = '"';
	buf[o] = 0;
	return buf;
}
