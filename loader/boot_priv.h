/* SPDX-License-Identifier: MIT */
/*
 * Private to the measured-boot files of loader/ (boot_config.c, boot_floor.c, boot_seq.c,
 * attest.c) and their tests: the parsed boot configuration and the rollback-floor store.
 */
#ifndef XDRV_BOOT_PRIV_H
#define XDRV_BOOT_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "xdrv/boot.h"
#include "xdrv/loader.h"
#include "xdrv/signer.h"

#define BOOT_CONFIG_MAX	 (1u << 20) /* a boot configuration is a page of JSON; 1 MiB bounds it */
#define BOOT_MAX_DRIVERS 64u
#define BOOT_MAX_PARAMS	 64u
/* Watchdogs of a driver's process. Compiling a large driver in a sanitizer build takes seconds
 * on a loaded machine, so the JIT gets two minutes; a probe that has not answered in ten
 * seconds is not coming back (a real driver's probe waits for hardware in milliseconds). */
#define BOOT_JIT_TIMEOUT_MS   120000u
#define BOOT_PROBE_TIMEOUT_MS 10000u
#define BOOT_TIMEOUT_MAX_MS   3600000u

#define BOOT_MAX_EXTS	16u /* extensions per driver (LDR_NET_EXT_CHAIN_MAX) */
#define BOOT_MAX_TABLES 16u /* table files per extension (XDRV_EXT_TABLES_MAX) */

/* A table of an extension: its name in the extension and the file of "KEY [VALUE]" lines
 * (ldr_ext_table_file_read), read at boot, not when the configuration is parsed. */
struct boot_ext_table {
	char *name;
	char *file; /* resolved */
};

/* A packet extension attached to a NIC driver's interface ("extensions" of a driver entry). */
struct boot_ext {
	char *package;	 /* as a driver's: a file, or an installed NAME[@VERSION]'s file */
	uint32_t hook;	 /* XDRV_EXT_HOOK_RX or _TX */
	uint32_t policy; /* 0: pass, 1: drop (LDR_NET_EXT_PASS / _DROP) */
	struct boot_ext_table *tables;
	size_t ntables;
	struct ldr_param_value *params; /* names and values malloc'd */
	size_t nparams;
};

struct boot_driver {
	char *package; /* absolute or relative to the config's folder, resolved; for a driver
			* named NAME[@VERSION], its installed package file */
	char *device;  /* model[:config] */
	char *backend;
	char *wire; /* a NIC's cable, KIND[:OPTIONS] as `xdrv run --wire`; NULL: none */
	struct ldr_param_value *params; /* names and values malloc'd */
	size_t nparams;
	struct boot_ext *exts; /* in chain order per hook */
	size_t nexts;
};

struct boot_minsv {
	char *name;
	uint64_t min;
};

struct boot_config {
	char *tpm; /* TCTI string, NULL: no TPM */
	int tpm_required;
	char *tpm_owner_auth; /* a file holding the TPM's owner authorization, NULL: empty */
	char *event_log, *state_dir;
	char *cache_dir; /* the object cache's folder, NULL: none (STATE_DIR/cache default) */
	uint64_t cache_max_bytes; /* its cap */
	char *store;	  /* "store": the install store for drivers named by NAME[@VERSION]; NULL */
	char *trust_root; /* NULL only if !require_signatures */
	int64_t time_floor;
	int require_signatures, continue_on_failure, raise_floors;
	char **vendors; /* allowed vendor organisations; none listed: any under the root */
	size_t nvendors;
	char *safety;
	uint32_t jit_mode, opt_level;
	uint32_t tier; /* LDR_TIER_FULL or LDR_TIER_FAST (policy.tier; fast: opt_level 0) */
	struct boot_minsv *minsv;
	size_t nminsv;
	char *crl, *deny_list;
	int crl_required; /* a stale or older CRL stops the boot (default); else warn, go on */
	/* watchdogs of a driver's process (boot_child.c): compiling, then probe and remove */
	uint32_t jit_timeout_ms, probe_timeout_ms;
	struct boot_driver *drivers;
	size_t ndrivers;
};

/* ---- packet extensions of a driver (boot_ext.c; docs/BOOT.md "Packet extensions") ---- */
struct ldr_compiled;
struct ldr_driver;
struct ldr_ext;
struct hvb_wire;
/* One extension as the driver host gets it: its configuration, the object the compiler process
 * made (measured by the boot), its table files' entries (read by the boot). */
struct boot_ext_load {
	const struct boot_ext *x;
	const char *label;	   /* the package file's base name */
	struct ldr_compiled *comp; /* the boot's; the driver host links it */
	struct {
		uint64_t *keys, *vals;
		size_t n;
	} tab[BOOT_MAX_TABLES];
	struct ldr_ext *ext; /* driver host: linked, not attached yet */
};
/* Boot process: compile one extension's package (read once, checked) in the compiler process,
 * eagerly whatever policy.jit says. */
int boot_ext_compile(struct ldr_ctx *ctx, const uint8_t *buf, size_t len, const char *label,
		     const struct boot_ext *x, struct ldr_compiled **out, char **err);
/* Driver host: link each object and fill its tables (before the driver's code runs); then,
 * once the driver probed, attach them in order to its interface 0 (the runtime owns them from
 * there); unlink what was not attached. */
int boot_ext_link(struct ldr_ctx *ctx, struct boot_ext_load *l, size_t n, char **err);
int boot_ext_attach(struct ldr_driver *drv, struct boot_ext_load *l, size_t n, char **err);
void boot_ext_unlink(struct boot_ext_load *l, size_t n);
/* Driver host: open interface 0, dispatch until the generator wire `w` is through and the
 * driver idle, print the wire's and the attach points' figures ("boot: WHO: ..."), stop. */
int boot_ext_traffic(struct ldr_driver *drv, struct hvb_wire *w, const char *who, char **err);
/* Each attached (and detached) extension's figures, one line each. */
void boot_ext_figures(struct ldr_driver *drv, const char *who, FILE *f);

/* Minimum security version the policy demands for a driver name (0 if none). */
uint64_t boot_config_min_secver(const struct boot_config *c, const char *name);

/* ---- rollback floors (boot_floor.c): TPM NV when a TPM is used, else a signed state file ---- */
struct boot_floors;
#define BOOT_FLOORS_REINIT 1u /* accept a missing, older or unverifiable store (measured) */
/* tpm may be NULL: then state_dir/floors.state, authenticated by HMAC-SHA256 with the key in
 * state_dir/floors.key (32 random bytes, mode 0600, made on first use), its generation recorded
 * in state_dir/floors.gen. Fails closed, naming the problem, on a state file whose HMAC does not
 * verify (-EBADMSG), a state file or generation record missing while the key exists (-ENOENT),
 * a key missing while the rest exists (-ENOKEY), a state file older than the record (-ESTALE);
 * with BOOT_FLOORS_REINIT each is accepted instead, and boot_floors_reinit_note says what was
 * found. With a TPM: ldr_tpm_nv_check (squatted, recreated or deleted indices: -EPERM). */
int boot_floors_open(struct ldr_tpm *tpm, const char *state_dir, unsigned flags,
		     struct boot_floors **out, char **err);
void boot_floors_close(struct boot_floors *f);
int boot_floors_get(struct boot_floors *f, const char *name, uint64_t *floor, char **err);
int boot_floors_raise(struct boot_floors *f, const char *name, uint64_t floor, char **err);
const char *boot_floors_where(const struct boot_floors *f); /* "TPM NV" or the file's path */
/* "tpm-nv-platform", "tpm-nv-owner" (where xdrv defines new indices) or "state-file". */
const char *boot_floors_store(const struct boot_floors *f);
/* "existing", "new" (no store before: every floor 0) or "reinit". */
const char *boot_floors_state(const struct boot_floors *f);
/* What BOOT_FLOORS_REINIT found and did (borrowed); NULL without it. */
const char *boot_floors_reinit_note(const struct boot_floors *f);
/* The highest cRLNumber this host has accepted (0: none yet), kept with the floors: in the state
 * file under the name ".crl_number" (no driver name starts with a dot), or in its own TPM NV
 * index (ldr_tpm_crl_number_read). Raising never lowers it. */
int boot_floors_crl_get(struct boot_floors *f, uint64_t *number, char **err);
int boot_floors_crl_raise(struct boot_floors *f, uint64_t number, char **err);

/* tpm_nv.c, for tests: the Name (0x000B || SHA-256 of TPMS_NV_PUBLIC) of xdrv's definition of
 * NV index `index` in the platform (1) or owner (0) hierarchy, written or not; and NV attributes
 * as tpm2-tools spells them ("nt=bits|ownerwrite|..."), into buf. */
int ldr_tpm_nv_name(uint32_t index, int platform, int written, uint8_t name[34]);
const char *ldr_tpm_nv_attrs_text(uint32_t attrs, char *buf, size_t n);
/* ---- a driver's JIT and probe in a child process (boot_child.c) ------------------------------
 * The parent forks; the child compiles, answers, waits for the parent's go (the JIT event is
 * measured first), probes, answers, exits. Answers are framed (kind + NUL-ended text fields, at
 * most BOOT_ANSWER_MAX bytes) and parsed strictly: after the go the child runs driver code. */
#define BOOT_ANSWER_MAX	   4096u
#define BOOT_ANSWER_FIELDS 8u
struct boot_child {
	pid_t pid;   /* parent: the child's pid */
	int answers; /* parent: read end of the answer pipe; child: its write end */
	int go;	     /* parent: write end of the go pipe; child: its read end */
	int pidfd;   /* parent: the child as a pidfd (-1 if the kernel has none) */
	int status, reaped;
};
struct boot_answer {
	char kind;
	size_t nfields;
	const char *field[BOOT_ANSWER_FIELDS]; /* into buf */
	char buf[BOOT_ANSWER_MAX];
};
/* 1 in the parent, 0 in the child (which dies with its parent), negative on failure. */
int boot_child_fork(struct boot_child *c, char **err);
/* Child: send an answer (fields cut to fit); wait for the go (-EPIPE: the parent is gone). */
int boot_child_answer(const struct boot_child *c, char kind, const char *const *fields, size_t n);
int boot_child_wait_go(const struct boot_child *c);
/* Parent: let the child go on to probe. */
int boot_child_go(const struct boot_child *c);
/* Parent: the next answer within timeout_ms. -ETIMEDOUT none in time (the child still runs);
 * -EPIPE the child ended without a whole answer; -EINTR a stop signal arrived
 * (boot_stop_signal); -EBADMSG a malformed answer (*err says how). */
int boot_child_recv(struct boot_child *c, uint32_t timeout_ms, struct boot_answer *a, char **err);
/* Parent: kill the child if it still runs (SIGKILL), reap it, close the pipes; `how` (n bytes)
 * gets "signal SIGSEGV" or "exit status N" and is returned. Safe twice. */
const char *boot_child_end(struct boot_child *c, char *how, size_t n);
/* One answer frame (header + payload, exactly len bytes). */
int boot_answer_parse(const uint8_t *msg, size_t len, struct boot_answer *a, char **err);
/* SIGINT/SIGTERM set a flag (once; a second one has the default action; one ignored at install
 * stays ignored) that the waits see: install before the boot, restore after (which clears the
 * flag); boot_stop_signal is the signal caught, 0 if none. A child forked in between gets the
 * dispositions the boot found. */
int boot_stop_install(void);
void boot_stop_restore(void);

/* ---- the boot's state and its measurements (boot_measure.c) ---------------------------------- */
struct sig_trust;
struct sig_revocation;
struct ldr_tpm;
struct boot_floors;
struct boot_served;
struct boot {
	struct boot_config *cfg;
	struct evl log;
	struct ldr_tpm *tpm;
	struct boot_floors *floors;
	struct sig_trust *trust;
	struct sig_revocation *rev;
	struct ldr_ctx *ctx;
	char exe_hex[65];
	struct boot_result *res;
	int fatal;	       /* a measurement or the TPM failed: the boot cannot go on */
	const char *tpm_auth;  /* the TPM's owner authorization: "set", "empty"; "none": no TPM */
	int platform_measured; /* so a boot that stops from here on measures why */
	uint64_t crl_number;   /* the configured CRL's cRLNumber, 0 without one */
	const char *crl_state; /* "none", "fresh", or "stale" (accepted by crl_required false) */
	/* xdrv boot --serve (boot_serve.c): the driver hosts stay, their code swappable */
	int serve;
	const char *control; /* the control socket's path, NULL: none */
	const char *cfg_path;
	struct boot_served *served;
	size_t nserved;
	uint32_t tier2_opt; /* tier auto: the level of the served drivers' tier 2, 0: none */
};

/* A package (a driver's, an extension's) as the boot checks it (boot_check.c): steps 1-3 of
 * docs/BOOT.md "Order and what is measured". s->d and s->base (and s->ext for an extension)
 * set by the caller; on return s->buf/len (the caller frees buf), the digests, signature,
 * name, version, security_version and floor as far as the checks went, s->step the step that
 * refused it. */
struct ext_state;
struct hvb_backend;
struct hvb_wire;
struct boot_ext_load;
struct drv_state {
	const struct boot_driver *d;
	const char *base;
	uint8_t *buf;
	size_t len;
	char hex[65];	  /* the file's SHA-256 (information: not an identity) */
	char payload[65]; /* the payload's: the package's identity, once known */
	struct sig_info sig;
	int signed_ok;
	char name[128], version[64];
	uint64_t secver, floor;
	char cache[16];	       /* the object cache: "hit", "miss", "rejected", "off" */
	struct ldr_image *img; /* these three only in the driver's process */
	struct hvb_backend *be;
	struct ldr_driver *drv;
	const char *step;
	/* the backends of its device that the boot serves (xdrv/hvb_split.h): the driver host
	 * creates host_device, whose disks are blkfronts to split_socket; NULL: the configured
	 * device, opened by the driver host itself */
	const char *host_device, *split_socket;
	/* packet extensions: an extension's own state has `ext` set (checked as an extension);
	 * a driver's has its extensions (es, loads: nexts each) and, for a NIC, its wire */
	const struct boot_ext *ext;
	struct ext_state *es;
	struct boot_ext_load *loads;
	size_t nexts;
	struct hvb_wire *wire; /* driver host */
};
int boot_check_package(struct boot *b, struct drv_state *s, char **err);
void boot_sha256_hex(const void *d, size_t n, char hex[65]);

/* Append one event (text of key=value pairs; values with spaces quoted by boot_q) to the log,
 * write the log file, extend the TPM's PCR; a failure sets b->fatal. */
__attribute__((format(printf, 4, 5))) int boot_measure(struct boot *b, uint32_t pcr, char **err,
						       const char *fmt, ...);
/* "value" made safe for a space-separated event line: quotes and backslashes escaped. */
const char *boot_q(const char *s, char *buf, size_t n);

/* ---- xdrv boot --serve (boot_serve.c) ---------------------------------------------------------
 * A served boot keeps each driver's process after its probe: the driver stays bound and runs,
 * and the boot process changes its code (re-specialization, live patches) through a control
 * socket and on a reload of the configuration (SIGHUP), each generation compiled by the
 * compiler process, measured into PCR 12 before the driver host links it. */
struct hvb_split;
struct hvb_split_plan;
struct ldr_gen;
struct boot_served {
	char name[128];
	size_t index; /* in cfg->drivers */
	struct boot_child ch;
	struct ldr_gen *gen;
	struct hvb_split *server; /* its backend server, if the boot serves its disks */
	struct hvb_split_plan *plan;
	char device[128];
	uint64_t swaps;
	char object[65];   /* the newest swap's object digest (hex) */
	double compile_ms; /* its compile, by the compiler process */
	char swap_us[32];  /* its swap, in the driver's process */
	char version[64];  /* the package that runs (a live update changes it) */
	uint64_t secver;
	uint32_t updates;
};
/* The driver's process, after its probe: serve the boot's messages between dispatches until the
 * boot ends it. Never returns. */
_Noreturn void boot_serve_host(struct ldr_ctx *ctx, struct ldr_image *img, struct ldr_driver *drv,
			       const struct boot_child *ch);
/* The boot process, after xdrv.boot.done: serve until a stop signal; then end every driver
 * process. 0, or the error that ended the serving (a measurement that failed). */
int boot_serve(struct boot *b, char **err);
/* End the served drivers' processes (at the end, or when the boot stops). */
void boot_serve_end(struct boot *b);
int boot_stop_signal(void);
const char *boot_signal_name(int signo, char *buf, size_t n); /* "SIGSEGV" */

/* The check of an event log's shape against an xdrv boot (and `ref`, a parsed reference, if not
 * NULL), printing the chain to `o` as verify-boot shows it: every value from the log escaped
 * (xdrv_escape_text), one line each. attest_verify calls it after the quote checks. */
struct json_t;
int attest_check_chain(const struct evl *l, struct json_t *ref, FILE *o, char **err);

#endif
