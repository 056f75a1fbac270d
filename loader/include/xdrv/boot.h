/* SPDX-License-Identifier: MIT */
/*
 * Loader, part 3: measured boot. A TCG PC Client crypto-agile event log (eventlog.c), a TPM 2.0
 * reached through tss2-esys and a TCTI string (tpm.c), the boot sequence driven by a JSON boot
 * configuration (boot_config.c, boot_seq.c), rollback floors (boot_floor.c), and attestation:
 * a quote bundle and its verifier (attest.c). See docs/BOOT.md for formats and PCR use.
 *
 * All functions: 0 or a negative errno; *err (if err is not NULL) gets a malloc'd message.
 */
#ifndef XDRV_BOOT_H
#define XDRV_BOOT_H

#include <stddef.h>
#include <stdint.h>

/* PCRs: 11 = the platform (loader, boot configuration, trust store, policy, revocation inputs);
 * 12 = the drivers (package, signer, security version, JIT inputs and output, refusals). */
#define BOOT_PCR_PLATFORM 11u
#define BOOT_PCR_DRIVERS  12u

/* ---- event log (eventlog.c) -------------------------------------------------------------------
 * Layout: the Spec ID event in the SHA-1 TCG_PCClientPCREvent format (PCR 0, EV_NO_ACTION,
 * 20 zero bytes, "Spec ID Event03", one algorithm: SHA-256, 32 bytes), then TCG_PCR_EVENT2
 * records (pcr u32, type u32, digest count u32 = 1, alg u16 = 0x000B, digest[32], size u32,
 * data), all little-endian. xdrv's events are EV_IPL with NUL-terminated text data whose
 * SHA-256 is the digest; EV_NO_ACTION events (notes, not extended) carry a zero digest. */
#define EVL_EV_NO_ACTION 0x00000003u
#define EVL_EV_IPL	 0x0000000Du
#define EVL_MAX_EVENTS	 4096u
#define EVL_MAX_DATA	 4096u /* bytes of one event's data */

struct evl_event {
	uint32_t pcr, type;
	uint8_t digest[32];
	uint32_t len;
	uint8_t *data; /* len bytes, malloc'd */
};
struct evl {
	struct evl_event *ev;
	size_t n, cap;
};
/* Append an event (data copied). EV_IPL: digest = SHA-256(data); EV_NO_ACTION: zero digest.
 * -E2BIG past EVL_MAX_EVENTS or EVL_MAX_DATA. */
int evl_append(struct evl *l, uint32_t pcr, uint32_t type, const void *data, size_t len,
	       char **err);
/* Append a text event: the string and its NUL. */
int evl_append_text(struct evl *l, uint32_t pcr, uint32_t type, const char *text, char **err);
/* The binary log (Spec ID event + every event); *buf malloc'd. */
int evl_serialize(const struct evl *l, uint8_t **buf, size_t *len, char **err);
/* Write the log atomically to `path`. */
int evl_write_file(const struct evl *l, const char *path, char **err);
/* Parse a binary log strictly: the Spec ID event exactly as we write it, then whole events,
 * SHA-256 only, PCR 0..23, data at most EVL_MAX_DATA, each EV_IPL digest equal to the SHA-256
 * of its data, no bytes after the last event. -EBADMSG naming the event number and defect. */
int evl_parse(const uint8_t *buf, size_t len, struct evl *out, char **err);
/* Replay: start from zero PCRs and extend every non-EV_NO_ACTION event's digest. */
void evl_replay(const struct evl *l, uint8_t pcrs[24][32]);
void evl_free(struct evl *l); /* NULL-safe; leaves an empty log */

/* ---- TPM (tpm.c) ------------------------------------------------------------------------------
 * A TCTI string as tss2-tctildr takes it: "swtpm:host=127.0.0.1,port=2321", "device:/dev/tpmrm0".
 * Test fault injection: XDRV_TPM_FAIL_AFTER=N makes every TPM command after the N-th fail as a
 * TPM that stopped answering (the connection is dropped). */
struct ldr_tpm;
int ldr_tpm_open(const char *tcti, struct ldr_tpm **out, char **err);
void ldr_tpm_close(struct ldr_tpm *t); /* NULL-safe */
int ldr_tpm_extend(struct ldr_tpm *t, uint32_t pcr, const uint8_t digest[32], char **err);
int ldr_tpm_pcr_read(struct ldr_tpm *t, uint32_t pcr, uint8_t out[32], char **err);
/* The TPM's authorization state (TPM2_GetCapability, TPM_PT_PERMANENT and TPM_PT_STARTUP_CLEAR).
 * ownerAuthSet means TPM2_HierarchyChangeAuth was run for the owner since the last TPM2_Clear:
 * an authorization changed back to empty still counts as set. */
struct ldr_tpm_status {
	int owner_auth_set, lockout_auth_set;
	int platform_enabled;	 /* phEnable: the platform hierarchy may still be used */
	int platform_nv_enabled; /* phEnableNV: platform-created NV indices are visible */
};
int ldr_tpm_status(struct ldr_tpm *t, struct ldr_tpm_status *st, char **err);
/* What an empty owner authorization allows against xdrv, for a warning (static string). */
const char *ldr_tpm_empty_owner_auth_warning(void);
/* The owner authorization (at most 64 bytes) for the commands that need it: raising a floor,
 * writing the CRL number or the floors directory, defining an index where the platform
 * hierarchy is disabled. Without a call, the empty authorization is used. */
int ldr_tpm_set_owner_auth(struct ldr_tpm *t, const uint8_t *auth, size_t len, char **err);

/* xdrv's NV indices (tpm_nv.c; docs/BOOT.md "Rollback floors"): one rollback floor per driver
 * name (0x01580000 | 16 bits of FNV-1a of the name, a TPM_NT_BITS index: bits only ever get
 * set; floor = number of the highest set bit + 1, so 0..64), the highest CRL number (0x01590000,
 * 8 bytes big-endian) and the floors directory listing which exist (0x01590001). Defined in the
 * platform hierarchy with TPMA_NV_POLICY_DELETE while it is enabled (only the platform can then
 * delete them), else in the owner's; written with the owner's authorization.
 *
 * ldr_tpm_nv_check: before any value is used, every index in xdrv's range must have the Name of
 * xdrv's definition (-EPERM naming the difference: squatted or recreated), and every index the
 * directory lists must exist (-EPERM: deleted). With `reinit`, a missing index or directory is
 * accepted instead and the directory rebuilt from the TPM; `note` (may be NULL) then says what
 * was found. The reads and raises below run the check first if it has not been run. */
int ldr_tpm_nv_check(struct ldr_tpm *t, int reinit, char *note, size_t note_cap, char **err);
const char *ldr_tpm_nv_mode(const struct ldr_tpm *t); /* "platform" or "owner" */
int ldr_tpm_nv_fresh(const struct ldr_tpm *t);	      /* no directory at the check: a new store */
int ldr_tpm_floor_read(struct ldr_tpm *t, const char *name, uint64_t *floor, char **err);
int ldr_tpm_floor_raise(struct ldr_tpm *t, const char *name, uint64_t floor, char **err);
/* The highest CRL number the host has accepted (0 while undefined). Raise defines the index on
 * first use and writes only a higher number (a lower or equal one is a no-op). */
int ldr_tpm_crl_number_read(struct ldr_tpm *t, uint64_t *number, char **err);
int ldr_tpm_crl_number_raise(struct ldr_tpm *t, uint64_t number, char **err);
struct ldr_quote {
	uint8_t *attest; /* TPMS_ATTEST as the TPM marshaled it (what tpm2_checkquote -m reads) */
	size_t attest_len;
	uint8_t *sig; /* TPMT_SIGNATURE, marshaled (tpm2_checkquote -s) */
	size_t sig_len;
	char *ak_pem;	    /* the attestation key's public part, PEM SubjectPublicKeyInfo */
	uint8_t pcr[2][32]; /* BOOT_PCR_PLATFORM, BOOT_PCR_DRIVERS at the time of the quote */
};
/* Create the attestation key (a restricted ECDSA P-256 signing primary key in the endorsement
 * hierarchy: the same key every time for the same TPM) and quote PCRs 11 and 12 (SHA-256 bank)
 * with `nonce` (1..64 bytes) as qualifying data. */
int ldr_tpm_quote(struct ldr_tpm *t, const uint8_t *nonce, size_t nlen, struct ldr_quote *q,
		  char **err);
void ldr_quote_free(struct ldr_quote *q);

/* ---- boot (boot_config.c, boot_seq.c) ---------------------------------------------------------
 */
struct boot_config;
/* Parse a boot configuration (JSON) from exactly these bytes; relative paths are taken from
 * `dir`. -EINVAL naming the field. */
int boot_config_parse(const uint8_t *buf, size_t len, const char *dir, struct boot_config **out,
		      char **err);
void boot_config_free(struct boot_config *c);
/* Drivers by name: a configuration's drivers[].package may name an installed driver (NAME or
 * NAME@VERSION) instead of a package file. The loader does not know the install store, so the
 * front end registers the function that tells the two apart and resolves names (xdrv boot:
 * repo-server's store, opened read-only). It is called for every drivers[].package with the
 * configuration's "store" (NULL: the store's default), the value and the configuration's
 * folder; it returns 0 with *path NULL for a package file (the value is then taken relative to
 * the folder, as without a resolver), 0 with *path malloc'd (the installed package file), or a
 * negative errno with *err, which makes the configuration fail naming the entry. Without a
 * resolver (NULL, the default) every value is a file. Process-wide; set it before parsing. */
typedef int (*boot_package_resolver)(void *ctx, const char *store, const char *value,
				     const char *dir, char **path, char **err);
void boot_set_package_resolver(boot_package_resolver fn, void *ctx);
const char *boot_config_event_log(const struct boot_config *c);
const char *boot_config_tpm(const struct boot_config *c); /* NULL: no TPM */

struct boot_result {
	uint32_t booted, refused; /* drivers */
	uint32_t events;
	int tpm_used;
};
/* The whole boot: see docs/BOOT.md. Messages go to stdout (progress) and *err (the failure that
 * stopped the boot). 0 if the boot completed (possibly with refused drivers, when policy lets it
 * continue), negative otherwise. The event log is written after every event. */
int boot_run(const char *config_path, const char *tpm_override, struct boot_result *res,
	     char **err);
/* The rollback floor that the state-file store of a boot's state_dir (no TPM) holds for driver
 * `name`, read as a boot reads it (the key, the HMAC, the generation record: fail closed), and
 * checked as a boot checks a package: 0 (and *floor, if not NULL) when security_version `secver`
 * is not below it; -EKEYREVOKED "security_version N is below the floor F (stored in PATH)"; or
 * the store's error. Never creates a store: -ENOENT when state_dir has none. For `xdrv update`. */
int boot_floor_check(const char *state_dir, const char *name, uint64_t secver, uint64_t *floor,
		     char **err);
/* boot_run with flags: BOOT_RUN_REINIT_FLOORS accepts a rollback-floor store that is missing,
 * older than its record, or (TPM) whose directory lists deleted indices, starting again from what
 * is there; the boot measures that as an xdrv.floors.reinit event (PCR 11). */
#define BOOT_RUN_REINIT_FLOORS 1u
/* xdrv boot --tier fast|full over the policy's "tier": fast compiles at O0 (measured opt=0);
 * full at the policy's opt_level (2 where the policy said fast). */
#define BOOT_RUN_TIER_FAST 2u
#define BOOT_RUN_TIER_FULL 4u
int boot_run_flags(const char *config_path, const char *tpm_override, unsigned flags,
		   struct boot_result *res, char **err);
/* xdrv boot --serve (docs/BOOT.md "Serving: code swaps after the boot"): BOOT_RUN_SERVE keeps
 * every booted driver running in its process after xdrv.boot.done; the boot then serves
 * `control` (a unix socket path, NULL: none) and reloads the configuration on SIGHUP, each code
 * swap measured into PCR 12, until SIGINT or SIGTERM (which ends the drivers: 0). */
#define BOOT_RUN_SERVE 8u
/* With BOOT_RUN_SERVE: tier auto across processes. Each driver boots at O0 (measured opt=0),
 * then, once the boot serves, its code is compiled again at the policy's opt_level (2 where the
 * policy said fast) and swapped in, measured as an xdrv.driver.swap of what "tier 2". */
#define BOOT_RUN_TIER_AUTO 16u
int boot_run_serve(const char *config_path, const char *tpm_override, unsigned flags,
		   const char *control, struct boot_result *res, char **err);

/* ---- attestation (attest.c) -------------------------------------------------------------------
 */
/* Quote the boot PCRs and write a bundle (JSON: nonce, quote, signature, AK public, PCR values,
 * event log). export_dir (may be NULL): also write quote.msg, quote.sig, ak.pem, pcrs.bin,
 * eventlog.bin there, the files tpm2_checkquote takes. */
int attest_create(const char *tcti, const char *event_log, const uint8_t *nonce, size_t nlen,
		  const char *bundle_path, const char *export_dir, char **err);
/* Verify a bundle: quote structure, nonce, signature by the bundle's AK (and, if ak_pem_pin is
 * given, that AK is the pinned one), replay of the log against the quoted PCR digest, and the
 * reference (allow-list JSON, may be NULL). Prints the chain to `out` (a FILE *). */
int attest_verify(const char *bundle_path, const uint8_t *nonce, size_t nlen,
		  const char *reference_path, const char *ak_pem_pin, void *out, char **err);

/* Hex string -> bytes (even length, at most cap bytes). */
int boot_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len);

#endif
