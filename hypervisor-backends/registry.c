// SPDX-License-Identifier: MIT
/*
 * The list of backends and device models (disk backends: disk/disk_list.c; wire kinds:
 * wire/wire_list.c, kept apart because models use disks and wires). Adding one is one line
 * here plus its own file; nothing else names them. A backend that cannot run in this build (xen) is
 * still listed, and fails at create with a message saying why, so the list is honest.
 */
#include "hvb_priv.h"

#include <string.h>

static const struct hvb_backend_ops *const backends[] = {
	&hvb_native_backend_ops,
	&hvb_xen_backend_ops,
	NULL,
};

static const struct hvb_model_ops *const models[] = {
	&hvb_uart16550_model_ops,   &hvb_null_model_ops,    &hvb_testdev_model_ops,
	&hvb_virtio_scsi_model_ops, &hvb_dp83820_model_ops, NULL,
};

const struct hvb_backend_ops *hvb_backend_find(const char *name)
{
	for (size_t i = 0; name && backends[i]; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const struct hvb_model_ops *hvb_model_find(const char *name)
{
	for (size_t i = 0; name && models[i]; i++)
		if (strcmp(models[i]->name, name) == 0)
			return models[i];
	return NULL;
}

const struct hvb_backend_ops *const *hvb_backend_list(void)
{
	return backends;
}

const struct hvb_model_ops *const *hvb_model_list(void)
{
	return models;
}
