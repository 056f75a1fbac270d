// SPDX-License-Identifier: MIT
/*
 * hvb_blkfront_get_stats: a blkfront disk's counters, found through the disk layer. Apart from
 * blkfront.c because the disk layer lists blkfront (disk/disk_list.c): blkfront.c calling back
 * into disk.c would close a circle between the files.
 */
#include "../hvb_priv.h"

#include <errno.h>
#include <xdrv/hvb_disk.h>

int hvb_blkfront_get_stats(const struct hvb_disk *disk, struct hvb_blkfront_stats *out)
{
	const void *priv = hvb_disk_backend_priv(disk, &hvb_blkfront_disk_ops);
	return priv ? hvb_blkfront_stats_of(priv, out) : -EINVAL;
}
