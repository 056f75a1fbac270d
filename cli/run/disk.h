/* SPDX-License-Identifier: MIT */
/*
 * `xdrv run`, disk side: the --blk-write, --blk-read, --blk-flush, --blk-randread, --blk-seqread,
 * --blk-qd and --scsi
 * options, parsed into a list of operations and run in command-line order against the block devices
 * and SCSI hosts a bound driver registered. Private to the loader's front end (cmd_run.c).
 */
#ifndef LDR_RUN_DISK_H
#define LDR_RUN_DISK_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct ldr_driver;
struct run_disk_op;

/* getopt_long codes of the options, outside any short option's range */
#define RUN_DISK_OPT_WRITE    0x1d01
#define RUN_DISK_OPT_READ     0x1d02
#define RUN_DISK_OPT_FLUSH    0x1d03
#define RUN_DISK_OPT_SCSI     0x1d04
#define RUN_DISK_OPT_RANDREAD 0x1d05
#define RUN_DISK_OPT_SEQREAD  0x1d06
#define RUN_DISK_OPT_QD	      0x1d07
#define RUN_DISK_LONGOPTS                                                                          \
	{"blk-write", required_argument, NULL, RUN_DISK_OPT_WRITE},                                \
		{"blk-read", required_argument, NULL, RUN_DISK_OPT_READ},                          \
		{"blk-flush", required_argument, NULL, RUN_DISK_OPT_FLUSH},                        \
		{"blk-randread", required_argument, NULL, RUN_DISK_OPT_RANDREAD},                  \
		{"blk-seqread", required_argument, NULL, RUN_DISK_OPT_SEQREAD},                    \
		{"blk-qd", required_argument, NULL, RUN_DISK_OPT_QD},                              \
	{                                                                                          \
		"scsi", required_argument, NULL, RUN_DISK_OPT_SCSI                                 \
	}

struct run_disk {
	struct run_disk_op *head, *tail;
	unsigned count;
	unsigned qd; /* --blk-qd: requests in flight for --blk-randread/--blk-seqread (0: 1) */
};

/* True for the option codes above. */
int run_disk_is_option(int code);
/* Parse one option's argument and append it: 0, or -EINVAL with *err (caller frees) saying what
 * is wrong with it. */
int run_disk_parse(struct run_disk *rd, int code, const char *arg, char **err);
/* Print the disks the driver registered (one line each) if there are operations or disks, then
 * run the operations in order, printing one line per operation (and the decoded sense data of
 * a SCSI command that ends in CHECK CONDITION). 0 when all succeeded; otherwise -errno with
 * *err naming the operation, after the first failure. */
/* Open the files of --blk-write and --blk-read now, before a driver host confines itself (no
 * file can be opened after that). 0, or -errno with *err naming the option and the file. */
int run_disk_open(struct run_disk *rd, char **err);
int run_disk_exec(const struct run_disk *rd, struct ldr_driver *drv, FILE *out, char **err);
/* The same, with something to do between two requests (`xdrv update` through the control socket:
 * pump, as a run_end's): the driver is *drvp, read again before each operation (an update
 * replaces it; the disks stay the same objects), requests may be in flight when pump runs. */
struct run_disk_live {
	bool (*pump)(void *ctx, bool busy);
	void *ctx;
	struct ldr_driver *const *drvp;
};
int run_disk_exec_live(const struct run_disk *rd, const struct run_disk_live *live, FILE *out,
		       char **err);
void run_disk_free(struct run_disk *rd);
void run_disk_usage(FILE *f);

#endif
