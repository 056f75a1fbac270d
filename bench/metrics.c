// SPDX-License-Identifier: MIT
/*
 * The bench's catalogue: the four variants (as --modes and the outputs name them), the three
 * frame sizes, and every figure the bench reports with its JSON/CSV key, table label, unit,
 * direction (higher or lower is better) and the ceiling it is measured against. Names only:
 * what runs is bench.c's, how figures are summed up stats.c's, how they are printed output.c's.
 */
#include "bench_priv.h"

#include <time.h>
#include <xdrv/util.h>

const char *const bench_mode_names[NMODES] = {"jit-eager",     "jit-lazy",     "native-so",
					      "native-static", "jit-nobudget", "jit-isolated",
					      "jit-fast"};
const char *const bench_mode_short[NMODES] = {"eager", "lazy", "so",  "static",
					      "nobud", "isol", "fast"};
const uint32_t bench_frame_sizes[NSIZES] = {60, 512, 1514}; /* without FCS */
const uint32_t bench_wire_sizes[NSIZES] = {64, 512, 1514};  /* as named: 64 = 60 + FCS */

static struct metric_info minfo[M_COUNT];

/* NIC rate figures: RX and TX, frames and bits per second, per frame size. */
static void setup_nic_rates(void)
{
	for (int s = 0; s < NSIZES; s++) {
		struct {
			int m;
			const char *dir, *Dir, *ukey, *unit;
		} t[4] = {{M_RX_PPS + s, "rx", "RX", "mpps", "Mpps"},
			  {M_TX_PPS + s, "tx", "TX", "mpps", "Mpps"},
			  {M_RX_GBPS + s, "rx", "RX", "gbit_s", "Gbit/s"},
			  {M_TX_GBPS + s, "tx", "TX", "gbit_s", "Gbit/s"}};
		for (int i = 0; i < 4; i++) {
			struct metric_info *mi = &minfo[t[i].m];
			snprintf(mi->key, sizeof mi->key, "nic.%s.%u.%s", t[i].dir,
				 bench_wire_sizes[s], t[i].ukey);
			snprintf(mi->label, sizeof mi->label, "NIC %s %u B", t[i].Dir,
				 bench_wire_sizes[s]);
			mi->unit = t[i].unit;
			mi->ceiling_name = "memcpy";
		}
	}
}

/* Latency and SCSI figures. */
static void setup_others(void)
{
	static const struct {
		int m;
		const char *key, *label, *unit, *ceil;
		bool lower;
	} o[] = {
		{M_LAT_P50, "nic.rtt.64.p50_us", "NIC round trip 64 B p50", "us", NULL, true},
		{M_LAT_P99, "nic.rtt.64.p99_us", "NIC round trip 64 B p99", "us", NULL, true},
		{M_RAM_RR, "scsi.ram.randread4k.kiops", "SCSI RAM 4 KiB rand read", "kIOPS",
		 "memcpy", false},
		{M_RAM_RW, "scsi.ram.randwrite4k.kiops", "SCSI RAM 4 KiB rand write", "kIOPS",
		 "memcpy", false},
		{M_RAM_SR, "scsi.ram.seqread1m.mb_s", "SCSI RAM 1 MiB seq read", "MB/s", "memcpy",
		 false},
		{M_RAM_SW, "scsi.ram.seqwrite1m.mb_s", "SCSI RAM 1 MiB seq write", "MB/s", "memcpy",
		 false},
		{M_IMG_RR, "scsi.image.randread4k.kiops", "SCSI image 4 KiB rand read", "kIOPS",
		 "pread", false},
		{M_IMG_RW, "scsi.image.randwrite4k.kiops", "SCSI image 4 KiB rand write", "kIOPS",
		 "pwrite", false},
		{M_IMG_SR, "scsi.image.seqread1m.mb_s", "SCSI image 1 MiB seq read", "MB/s",
		 "pread", false},
		{M_IMG_SW, "scsi.image.seqwrite1m.mb_s", "SCSI image 1 MiB seq write", "MB/s",
		 "pwrite", false},
		{M_BLK_RR, "blk.randread4k.kiops", "Disk 4 KiB rand read", "kIOPS", NULL, false},
		{M_BLK_RW, "blk.randwrite4k.kiops", "Disk 4 KiB rand write", "kIOPS", NULL, false},
		{M_BLK_SR, "blk.seqread1m.mb_s", "Disk 1 MiB seq read", "MB/s", NULL, false},
		{M_BLK_SW, "blk.seqwrite1m.mb_s", "Disk 1 MiB seq write", "MB/s", NULL, false},
	};
	for (size_t i = 0; i < sizeof o / sizeof o[0]; i++) {
		struct metric_info *mi = &minfo[o[i].m];
		snprintf(mi->key, sizeof mi->key, "%s", o[i].key);
		snprintf(mi->label, sizeof mi->label, "%s", o[i].label);
		mi->unit = o[i].unit;
		mi->ceiling_name = o[i].ceil;
		mi->lower_better = o[i].lower;
	}
}

static bool ready; /* the bench is single-threaded */

const struct metric_info *bench_metric(int k)
{
	if (!ready) {
		setup_nic_rates();
		setup_others();
		ready = true;
	}
	return &minfo[k];
}

void bench_metric_blk_ceiling(const char *name, bool file)
{
	(void)bench_metric(0);
	for (int j = 0; j < 4; j++)
		minfo[M_BLK_RR + j].ceiling_name = file ? (j % 2 ? "pwrite" : "pread") : name;
}

bool bench_cpu_clock;

uint64_t bench_clock_ns(void)
{
	struct timespec ts;
	if (!bench_cpu_clock || clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return xdrv_now_ns();
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
