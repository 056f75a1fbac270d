// SPDX-License-Identifier: MIT
/*
 * The specs `xdrv run` takes on its command line, parsed in one place so that `xdrv bench
 * --package` reads them the same way: a device (--device MODEL[:CONFIG]) created on a backend,
 * a wire (--wire KIND[:OPTIONS]) created, and a driver parameter (--param NAME=VALUE) split
 * into its name and value. What a model, a wire kind or a parameter accepts is theirs (hvb.h,
 * wire.h, the loader); this file only splits the strings and names the option in its errors.
 */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/hvb.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

/* "KIND[:REST]": KIND into kind (cap bytes), *rest after the colon (NULL: none or empty). */
static int split_kind(const char *spec, const char *option, char *kind, size_t cap,
		      const char **rest, char **err)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	if (n == 0 || n >= cap)
		return xdrv_err(err, -EINVAL, "%s %s: bad name before ':'", option, spec);
	memcpy(kind, spec, n);
	kind[n] = 0;
	*rest = colon && colon[1] ? colon + 1 : NULL;
	return 0;
}

int run_device_create(struct hvb_backend *be, const char *spec, struct hvb_device **out, char **err)
{
	char model[128];
	const char *config = NULL;
	int rc = split_kind(spec, "--device", model, sizeof model, &config, err);
	return rc ? rc : hvb_device_create(be, model, config, out, err);
}

int run_device_model(const char *spec, char *model, size_t cap, char **err)
{
	const char *config = NULL;
	int rc = split_kind(spec, "--device", model, cap, &config, err);
	if (rc == 0 && !hvb_model_find(model))
		rc = xdrv_err(err, -ENOENT,
			      "--device %s: unknown device model '%s' (xdrv run --help lists "
			      "them)",
			      spec, model);
	return rc;
}

int run_wire_create(const char *spec, struct hvb_wire **out, char **err)
{
	char kind[32];
	const char *options = NULL;
	int rc = split_kind(spec, "--wire", kind, sizeof kind, &options, err);
	return rc ? rc : hvb_wire_create(kind, options, out, err);
}

int run_param_split(const char *kv, char **name, const char **value)
{
	const char *eq = strchr(kv, '=');
	*name = NULL;
	if (!eq || eq == kv)
		return -EINVAL;
	if (!(*name = strndup(kv, (size_t)(eq - kv))))
		return -ENOMEM;
	*value = eq + 1;
	return 0;
}
