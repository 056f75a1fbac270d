/* SPDX-License-Identifier: MIT */
/*
 * `xdrv run`'s ends, private to cli/: what stands at the other side of a bound driver while it
 * runs. The console end (console.c) shows what a serial port transmitted and feeds it --input;
 * the NIC end (nic.c) connects the driver's network interface to a host TAP or an echo, and the
 * model's cable to a wire; the disk end (disk.c) runs --blk-* and --scsi operations. One loop
 * (loop.c) dispatches the driver and pumps every end until the run is over.
 */
#ifndef XDRV_CLI_RUN_H
#define XDRV_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hvb_device;
struct ldr_domain_host;
struct ldr_driver;
struct run_console;
struct run_nic;

/* One end the loop pumps. pump: move what is waiting, `busy` says whether the driver or an
 * earlier end did something this round; returns true if this end moved anything. more: work
 * still to come (input to feed, generator frames), which keeps an until-idle run going.
 * fd: a descriptor to wait on while idle, or -1. */
struct run_end {
	bool (*pump)(void *ctx, bool busy);
	bool (*more)(const void *ctx);
	int fd;
	void *ctx;
};

#define RUN_MAX_ENDS 4

struct run_loop_opts {
	uint64_t for_ns; /* run this long; 0: see until_idle */
	bool until_idle; /* without for_ns: end once the driver and every end are idle */
	uint64_t cap_ns; /* without for_ns: end at the latest after this long; 0: never */
	struct run_end ends[RUN_MAX_ENDS];
	size_t nends;
	struct ldr_domain_host *host; /* a driver host: beat once per round; NULL in process */
	/* not NULL: the driver is *drvp, read each round (an end may replace it: live update) */
	struct ldr_driver *const *drvp;
};

struct run_loop_result {
	uint64_t events; /* driver events dispatched */
	int signal;	 /* SIGINT/SIGTERM that ended the run, 0 if none */
};

/* Dispatch the driver and pump the ends until for_ns, idle, the cap or SIGINT/SIGTERM (handled
 * only while the loop runs). Idle rounds wait on the ends' descriptors (ppoll) or sleep. */
void run_loop(struct ldr_driver *drv, const struct run_loop_opts *o, struct run_loop_result *r);

/* ---- console end (console.c): a device model with hvb_serial_ops -------------------------- */
/* A console for `dev`, or NULL when its model has no serial port. `input` (may be NULL) is
 * fed one byte per idle round so that the chip's receive FIFO never overruns. */
struct run_console *run_console_create(struct hvb_device *dev, const uint8_t *input, size_t len);
struct run_end run_console_end(struct run_console *c);
/* Take what is left and print a last partial line ("uart> ..."). */
void run_console_finish(struct run_console *c);
/* One summary line: bytes transmitted and received. */
void run_console_summary(const struct run_console *c);
void run_console_destroy(struct run_console *c); /* NULL-safe */
/* Decode C escapes of --input (\n \r \t \\ \xHH) into buf; the length, or -1. */
long run_console_unescape(const char *s, uint8_t *buf, size_t cap);

/* ---- NIC end (nic.c) ---------------------------------------------------------------------- */
/* The TAP that stands for the driver's interface (--host-tap): opened by `xdrv run` in process,
 * or by the supervisor, which passes the descriptor to each driver host and keeps its own, so
 * that the interface and its addresses outlive a driver host that is restarted. */
struct run_host_tap {
	int fd; /* -1: none */
	char name[16];
	bool vnet; /* frames carry a struct hvb_tap_vnet */
};
/* Open --host-tap SPEC (prints which TAP); 0, or -errno with *err. */
int run_host_tap_open(const char *spec, struct run_host_tap *t, char **err);
void run_host_tap_close(struct run_host_tap *t); /* fd -1 is fine */

/* Before bind (and before a driver host confines itself: this is what needs files, sockets and
 * namespaces): take the host TAP (tap->fd -1: none; without one, and with a traffic-source
 * wire or `echo`, an echo that sends every received frame back; the run owns the descriptor
 * from here, even on failure) and create --wire (KIND[:OPTIONS], the model's cable). 0 with
 * *out, or -errno with *err. */
int run_nic_prepare(const struct run_host_tap *tap, const char *wire, bool echo,
		    struct run_nic **out, char **err);
int run_nic_attach(struct run_nic *n, struct ldr_driver *drv, struct hvb_device *dev,
		   const char *driver_name, char **err);
struct run_end run_nic_end(struct run_nic *n);
/* The driver's interface once attached (packet extensions attach there), else NULL. */
struct ldr_netdev *run_nic_netdev(const struct run_nic *n);
/* True when the run should go on until a signal (a host TAP is open: traffic comes from
 * outside); false when it ends once the wire's generator frames are through. */
bool run_nic_until_signal(const struct run_nic *n);
/* The wire is fed by a generator this process cannot see (--backends supervisor): an idle run
 * ends only once `frames` came in from it (or at the run's cap). */
void run_nic_expect(struct run_nic *n, uint64_t frames);
/* Host, offload, rate, wire, driver and link lines; call before unbind. secs: run time (the
 * rate is over the time from the first to the last frame where there were two or more). */
void run_nic_summary(const struct run_nic *n, double secs);
void run_nic_destroy(struct run_nic *n); /* closes the TAP and the wire; NULL-safe */

/* ---- specs (spec.c): --device, --wire and --param as xdrv run and xdrv bench take them ------ */
struct hvb_backend;
struct hvb_wire;
/* --device MODEL[:CONFIG]: create it on `be`. 0 with *out; -EINVAL a malformed spec, or
 * hvb_device_create's error (-ENOENT an unknown model, listing the known ones). */
int run_device_create(struct hvb_backend *be, const char *spec, struct hvb_device **out,
		      char **err);
/* The MODEL of a --device spec into model (cap bytes), checked against the registry. */
int run_device_model(const char *spec, char *model, size_t cap, char **err);
/* --wire KIND[:OPTIONS], e.g. "gen:count=100", "tap:xdrvB@nsB". 0 with *out, or -errno. */
int run_wire_create(const char *spec, struct hvb_wire **out, char **err);
/* --param NAME=VALUE: *name malloc'd (the caller frees), *value points into kv. 0; -EINVAL
 * without '=' or with an empty name; -ENOMEM. */
int run_param_split(const char *kv, char **name, const char **value);

#endif
