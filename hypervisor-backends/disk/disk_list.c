// SPDX-License-Identifier: MIT
/*
 * The list of disk backends ("<backend>:<arg>" specs, disk.c). Adding one is one line here plus
 * its own file. Apart from registry.c's list of models because a model (virtio_scsi) opens
 * disks: the disk layer must not depend on the list that names the model.
 */
#include "../hvb_priv.h"

#include <string.h>
#include <xdrv/hvb_disk.h>

static const struct hvb_disk_ops *const disks[] = {
	&hvb_ram_disk_ops, &hvb_file_disk_ops, &hvb_iscsi_disk_ops, &hvb_blkfront_disk_ops, NULL,
};

const struct hvb_disk_ops *hvb_disk_backend_find(const char *name)
{
	for (size_t i = 0; name && disks[i]; i++)
		if (strcmp(disks[i]->name, name) == 0)
			return disks[i];
	return NULL;
}

const struct hvb_disk_ops *const *hvb_disk_backend_list(void)
{
	return disks;
}
