// SPDX-License-Identifier: MIT
/*
 * xdrv-backd's device handlers by type (backd.h): the one list that names them, so the server
 * (backd_serve.c) never knows one handler from another and tests can bring their own.
 */
#include "backd_serve.h"

#include <string.h>

static const struct backd_dev_ops *const backd_devs[] = {
	&backd_vif_ops,
	&backd_vbd_ops,
};

const struct backd_dev_ops *backd_dev_ops_find(const char *type)
{
	for (size_t i = 0; i < sizeof backd_devs / sizeof backd_devs[0]; i++)
		if (!strcmp(backd_devs[i]->type, type))
			return backd_devs[i];
	return NULL;
}
