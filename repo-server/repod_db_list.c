// SPDX-License-Identifier: MIT
/*
 * The stores xdrv-repod can keep its database in, by the name the config's `store` key gives
 * (repod_db.h has the interface; each backend is one file). The first is the default.
 */
#include "repod_db.h"

#include <string.h>

static const struct repod_db_ops *const backends[] = {&repod_db_sqlite_ops, &repod_db_pg_ops};

const struct repod_db_ops *repod_db_backend(const char *name)
{
	if (!name)
		return backends[0];
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const char *repod_db_backend_names(void)
{
	return "sqlite, postgresql";
}
