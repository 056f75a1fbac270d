/* SPDX-License-Identifier: MIT */
/*
 * `xdrv run --ext HOOK:PKG[:policy=pass|drop][:table=NAME=FILE]...`: packet extensions attached
 * to the NIC driver's interface for the run (xdrv/net_ext.h), private to cli/. Parsed (and the
 * table files read) before anything is loaded; in a driver domain the supervisor has each
 * package verified and compiled by the compiler process (run_ext_compile) and the driver host
 * links and attaches them (run_ext_attach), next to the runtime that runs the chains; in
 * process this process does both. The summary prints each extension's counters before unbind.
 */
#ifndef XDRV_CLI_RUN_EXT_H
#define XDRV_CLI_RUN_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ldr_ctx;
struct ldr_compiled;
struct ldr_netdev;

#define RUN_EXT_MAX	   16 /* --ext options */
#define RUN_EXT_TABLES_MAX 16 /* table= per --ext */

struct run_ext_table {
	char name[32];
	uint64_t *keys, *vals;
	size_t n;
};

struct run_ext_spec {
	const char *arg; /* the option's value, for messages */
	uint32_t hook;	 /* XDRV_EXT_HOOK_RX or _TX */
	uint32_t policy; /* LDR_NET_EXT_PASS or _DROP */
	char pkg[4096];	 /* the package file */
	struct run_ext_table tables[RUN_EXT_TABLES_MAX];
	size_t ntables;
	struct ldr_compiled *compiled; /* driver domain: from the compiler process */
	int id;			       /* attachment, once attached */
};

/* Parse one --ext value into s (zeroed first) and read its table files. 0, or -errno with *err
 * naming the option and the part. */
int run_ext_parse(const char *arg, struct run_ext_spec *s, char **err);
void run_ext_free(struct run_ext_spec *s, size_t n);

/* Table files: one entry a line, "KEY [VALUE]" (VALUE 1 when left out); KEY and VALUE decimal,
 * 0x-hex, or an IPv4 address a.b.c.d (its 32-bit value in network order read as a number,
 * 10.0.0.1 = 0x0a000001); '#' starts a comment. 0 or -errno with *err. */
int run_ext_table_read(const char *path, struct run_ext_table *t, char **err);

/* Fill e's tables from s's files. 0 or -errno with *err. */
struct ldr_ext;
int run_ext_fill_tables(struct ldr_ext *e, const struct run_ext_spec *s, char **err);

/* Revocation for every extension package the run loads (--ext-crl, --ext-deny-list): set once
 * before anything is loaded, borrowed for the run; NULL: none. An extension whose signer's
 * certificate the CRL revokes, or whose payload digest the deny-list holds, is refused, at the
 * start and for `xdrv ext attach` alike. */
struct sig_revocation;
void run_ext_set_revocation(const struct sig_revocation *r);
/* The package file read once (what is verified, checked for revocation and compiled are the
 * same bytes). 0 or -errno with *err. */
int run_ext_read(const char *pkg, uint8_t **buf, size_t *len, char **err);
/* 0, or -EKEYREVOKED with *err when the revocation set refuses the package's bytes. */
int run_ext_revoked(const uint8_t *buf, size_t len, char **err);
/* Verify and compile one package's bytes in the compiler process, checked for revocation; a
 * driver package is refused from its manifest before it is compiled. */
int run_ext_compile_one(struct ldr_ctx *ctx, const char *pkg, struct ldr_compiled **out,
			char **err);

/* In process: load one package file's bytes (ldr_ext_load_buf), checked for revocation. */
struct ldr_ext;
int run_ext_load(struct ldr_ctx *ctx, const char *pkg, struct ldr_ext **e, char **err);

/* Supervisor: verify and compile each package in the compiler process. */
int run_ext_compile(struct ldr_ctx *ctx, struct run_ext_spec *s, size_t n, char **err);
/* Load (in process: from the file; driver host: the compiled object), fill the tables, attach
 * in order. Prints one line per extension. 0 or -errno with *err. */
int run_ext_attach(struct ldr_ctx *ctx, struct ldr_netdev *nd, struct run_ext_spec *s, size_t n,
		   char **err);
/* The extensions' lines of the summary (before unbind). */
void run_ext_summary(struct ldr_netdev *nd, FILE *f);

#endif
