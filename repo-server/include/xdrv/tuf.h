/* SPDX-License-Identifier: MIT */
/*
 * TUF 1.0 metadata library (The Update Framework specification 1.0.x), shared by the repository
 * server (xdrv-repod, which writes metadata) and the client (`xdrv repo/install`, which checks it).
 *
 * - Canonical JSON: OLPC canonical JSON as TUF/securesystemslib use it: object keys sorted by
 *   their UTF-8 bytes, no insignificant whitespace, strings escape only '"' and '\\' (every other
 *   byte verbatim), integers only (a real number is refused), true/false/null.
 * - Keys: Ed25519 (OpenSSL EVP_PKEY_ED25519). A key's JSON is
 *   {"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"<64 hex>"}} and its keyid is the
 *   lower-case hex SHA-256 of the canonical JSON of that object (as it appears in the metadata,
 *   so a foreign key carrying extra fields such as "keyid_hash_algorithms" keeps its keyid).
 * - A metadata file is {"signatures":[{"keyid":K,"sig":"<128 hex>"}...],"signed":{...}}; a
 *   signature is Ed25519 over the canonical JSON of "signed". Files are written in canonical
 *   JSON too (deterministic bytes, so their hashes are stable).
 * - Times: "expires" is ISO-8601 UTC "YYYY-MM-DDTHH:MM:SSZ" only.
 *
 * Parsers take untrusted input: every field is type-checked, sizes and counts are capped, and a
 * defect is -EINVAL (or the code stated) with a message naming the role and the JSON path:
 * "targets: signed.targets[\"acme/x.xdrv\"].length: not a non-negative integer".
 * Parsing does NOT check expiry (a client must read expired roots during the root chain update);
 * call tuf_expiry_check. Parsing does NOT check signatures; call tuf_verify_role first.
 *
 * All int functions: 0 or a negative errno; *err (if err is not NULL) gets a malloc'd message.
 * Thread-safety: no global state; objects are not shared between threads unless stated.
 */
#ifndef XDRV_TUF_H
#define XDRV_TUF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TUF_SPEC_VERSION "1.0.31"    /* written; any "1.<n>[.<n>]" is accepted when reading */
#define TUF_METADATA_MAX (16u << 20) /* default cap on one metadata file, bytes */
#define TUF_KEYID_LEN	 64	     /* hex chars of a keyid (SHA-256) */
#define TUF_NAME_MAX	 128	     /* role names, caps a delegated role's name */
#define TUF_PATH_MAX	 1024	     /* target paths */
#define TUF_MAX_KEYS	 256	     /* per root / per delegations block */
#define TUF_MAX_SIGS	 256	     /* signatures per file */
#define TUF_MAX_ROLES	 4096	     /* delegated roles per targets file */
#define TUF_MAX_TARGETS	 (1u << 20)  /* targets per targets file, entries per snapshot */

/* ---- canonical JSON ------------------------------------------------------------------------ */
/* Encode `v` as OLPC canonical JSON. *out is malloc'd and NUL-terminated, *len (may be NULL) its
 * length without the NUL. -EINVAL for a real number (message names the JSON path) or nesting
 * deeper than 64; -ENOMEM. */
int tuf_cjson_encode(const json_t *v, char **out, size_t *len, char **err);
/* SHA-256 (lower-case hex, 65 bytes with NUL) of the canonical encoding of `v`. */
int tuf_cjson_sha256(const json_t *v, char out[65], char **err);

/* ---- keys ---------------------------------------------------------------------------------- */
struct tuf_key {		       /* a public key as it appears in metadata */
	char keyid[TUF_KEYID_LEN + 1]; /* hex SHA-256 of the key's canonical JSON */
	uint8_t pub[32];	       /* raw Ed25519 public key */
};
/* Build a key's JSON object {"keytype","scheme","keyval":{"public"}} (new reference, NULL on
 * allocation failure). */
json_t *tuf_key_to_json(const struct tuf_key *k);
/* Read a key object from untrusted JSON. keytype and scheme must be "ed25519" (other types are
 * -EOPNOTSUPP, "key KEYID: keytype rsa not supported"), keyval.public 64 hex chars. If `keyid`
 * is not NULL it must equal the keyid computed from `j` (-EINVAL "key ...: keyid does not match
 * the key"). Extra fields are allowed (they take part in the keyid). */
int tuf_key_from_json(const char *keyid, const json_t *j, struct tuf_key *out, char **err);

struct tuf_signer; /* an Ed25519 private key (opaque) */
/* New random key. */
int tuf_signer_generate(struct tuf_signer **out, char **err);
/* Load / save an unencrypted PKCS#8 PEM private key (save: atomic, mode 0600; an existing file
 * is -EEXIST unless `overwrite`). A non-Ed25519 key is -EINVAL. */
int tuf_signer_load(const char *path, struct tuf_signer **out, char **err);
int tuf_signer_save(const struct tuf_signer *s, const char *path, bool overwrite, char **err);
/* The key as unencrypted PKCS#8 PEM (*pem malloc'd, NUL-terminated: the caller wipes it with
 * OPENSSL_cleanse and frees it), and back (`what` names the bytes in messages; a non-Ed25519
 * key is -EINVAL). */
int tuf_signer_pem(const struct tuf_signer *s, char **pem, size_t *len, char **err);
int tuf_signer_from_pem(const void *pem, size_t len, const char *what, struct tuf_signer **out,
			char **err);
/* 32 secret bytes: HKDF-SHA256 of the private key with `label` as info. The same key and label
 * always give the same bytes; without the key they cannot be computed. */
int tuf_signer_derive(const struct tuf_signer *s, const char *label, uint8_t out[32], char **err);
/* The public half (borrowed, valid until destroy). */
const struct tuf_key *tuf_signer_key(const struct tuf_signer *s);
void tuf_signer_destroy(struct tuf_signer *s); /* NULL-safe; key material wiped */

/* ---- signing and verification -------------------------------------------------------------- */
/* Sign the "signed" object with each signer and build the envelope
 * {"signatures":[...], "signed": signed_obj}. `signed_obj` is borrowed (a new reference is taken),
 * *out is a new reference. */
int tuf_sign(json_t *signed_obj, struct tuf_signer *const *signers, size_t nsigners, json_t **out,
	     char **err);
/* Envelope to bytes: canonical JSON, except that control characters in strings are written as
 * \u00XX so the file is always valid JSON (the canonical form of "signed" read back from it is
 * unchanged). *buf malloc'd, NUL-terminated. */
int tuf_metadata_dump(const json_t *envelope, char **buf, size_t *len, char **err);
/* Bytes to envelope: at most `max` bytes (0 = TUF_METADATA_MAX; above is -EFBIG), valid JSON
 * (jansson, JSON_REJECT_DUPLICATES), an object with exactly "signatures" (array of at most
 * TUF_MAX_SIGS objects {"keyid": 64-hex, "sig": hex}) and "signed" (object). `what` names the
 * file in messages ("timestamp.json"). *out is a new reference. */
int tuf_metadata_load(const uint8_t *buf, size_t len, size_t max, const char *what, json_t **out,
		      char **err);

/* A role's keys and threshold, as in root.roles or targets.delegations.roles. */
struct tuf_role {
	char name[TUF_NAME_MAX + 1];	   /* "root", "targets", ... or a delegated name */
	char (*keyids)[TUF_KEYID_LEN + 1]; /* nkeyids entries, malloc'd */
	size_t nkeyids;
	uint32_t threshold; /* >= 1 */
	/* delegated roles only (zero/NULL for top-level roles): */
	char **paths; /* glob patterns, see tuf_path_match */
	size_t npaths;
	bool terminating;
};
/* Verify the envelope's signatures for `role`: a signature counts if its keyid is listed in
 * role->keyids, the key is in keys[0..nkeys), and the Ed25519 signature over the canonical
 * "signed" is valid. Each keyid counts at most once (duplicates ignored), and two keyids of the
 * same public key count once. Bad or unknown signatures are ignored, not fatal. 0 if the count
 * reaches role->threshold, else -EPERM "ROLE: 1 valid signature(s), threshold 2".
 * Does not look at "_type" (the parsers do). Thread-safe. */
int tuf_verify_role(const json_t *envelope, const struct tuf_key *keys, size_t nkeys,
		    const struct tuf_role *role, char **err);

/* ---- parsed metadata ----------------------------------------------------------------------- */
struct tuf_hashes {
	bool has_sha256, has_sha512;
	char sha256[65]; /* lower-case hex */
	char sha512[129];
};
struct tuf_common {
	char type[16]; /* "root", "targets", "snapshot", "timestamp" */
	char spec_version[32];
	uint64_t version; /* >= 1 */
	int64_t expires;  /* unix seconds */
};
struct tuf_meta {   /* an entry of snapshot.meta or timestamp.meta */
	char *name; /* "snapshot.json", "targets.json", "acme.json" */
	uint64_t version;
	bool has_length;
	uint64_t length;
	struct tuf_hashes hashes; /* may be empty (both false) */
};
struct tuf_target {
	char *path; /* target path, e.g. "acme/hello-1.0.0.xdrv" */
	uint64_t length;
	struct tuf_hashes hashes; /* at least one present */
	json_t *custom;		  /* own reference or NULL; xdrv puts name, version,
				     security_version, abi_version, signer, vendor here */
};
struct tuf_root {
	struct tuf_common c;
	bool consistent_snapshot;
	struct tuf_key *keys; /* nkeys, each keyid checked against its key */
	size_t nkeys;
	struct tuf_role roles[4]; /* TUF_ROLE_ROOT.. order below; all four required */
};
enum { TUF_ROLE_ROOT = 0, TUF_ROLE_TARGETS = 1, TUF_ROLE_SNAPSHOT = 2, TUF_ROLE_TIMESTAMP = 3 };
struct tuf_targets {
	struct tuf_common c;
	struct tuf_target *targets; /* ntargets, in the file's key order */
	size_t ntargets;
	bool has_delegations;
	struct tuf_key *keys; /* delegations.keys */
	size_t nkeys;
	struct tuf_role *roles; /* delegations.roles in order (the order is the priority) */
	size_t nroles;
};
struct tuf_snapshot {
	struct tuf_common c;
	struct tuf_meta *meta; /* nmeta */
	size_t nmeta;
};
struct tuf_timestamp {
	struct tuf_common c;
	struct tuf_meta snapshot; /* meta["snapshot.json"], required */
};
/* Parse the "signed" part of an envelope (from tuf_metadata_load). `_type` must match (-EINVAL
 * "snapshot: signed._type: is \"targets\", expected \"snapshot\""), spec_version major 1,
 * version >= 1, expires well-formed. Unknown fields are ignored (forward compatibility, as the
 * specification asks). On failure *out is zeroed. Free with the matching _free (NULL-safe, also
 * on a zeroed struct). */
int tuf_root_parse(const json_t *envelope, struct tuf_root *out, char **err);
int tuf_targets_parse(const json_t *envelope, struct tuf_targets *out, char **err);
int tuf_snapshot_parse(const json_t *envelope, struct tuf_snapshot *out, char **err);
int tuf_timestamp_parse(const json_t *envelope, struct tuf_timestamp *out, char **err);
void tuf_root_free(struct tuf_root *r);
void tuf_targets_free(struct tuf_targets *t);
void tuf_snapshot_free(struct tuf_snapshot *s);
void tuf_timestamp_free(struct tuf_timestamp *t);
void tuf_role_free(struct tuf_role *r); /* frees members only */

/* Lookups (borrowed results or NULL). */
const struct tuf_target *tuf_targets_find(const struct tuf_targets *t, const char *path);
const struct tuf_meta *tuf_snapshot_find(const struct tuf_snapshot *s, const char *name);

/* -EKEYEXPIRED "ROLE: expired at 2026-01-01T00:00:00Z (now 2026-...)" if c->expires <= now. */
int tuf_expiry_check(const struct tuf_common *c, int64_t now, char **err);

/* ---- helpers ------------------------------------------------------------------------------- */
/* "YYYY-MM-DDTHH:MM:SSZ" <-> unix seconds. Parse: -EINVAL for anything else (no offsets, no
 * fractions, fields range-checked). Format: out has 21 bytes. */
int tuf_time_parse(const char *s, int64_t *out);
void tuf_time_format(int64_t t, char out[21]);
/* Both digests of a buffer. */
void tuf_hashes_compute(const uint8_t *buf, size_t len, struct tuf_hashes *out);
/* Check buf against every hash present in `want` (at least one must be; -EINVAL otherwise):
 * -EBADMSG "WHAT: sha256 mismatch (want ab12.., got 34cd..)". */
int tuf_hashes_check(const struct tuf_hashes *want, const uint8_t *buf, size_t len,
		     const char *what, char **err);
/* {"sha256": ..., "sha512": ...} for the hashes present (new reference). */
json_t *tuf_hashes_to_json(const struct tuf_hashes *h);
/* TUF path pattern match: shell-style, '*' and '?' never match '/', so "acme/ *" (without the
 * space) matches "acme/x.xdrv" but not "acme/sub/x.xdrv" nor "other/x.xdrv". */
bool tuf_path_match(const char *pattern, const char *path);
/* Does delegated role `r` cover `path` (any of its patterns matches)? */
bool tuf_role_covers(const struct tuf_role *r, const char *path);

#endif
