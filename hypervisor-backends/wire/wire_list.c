// SPDX-License-Identifier: MIT
/*
 * The list of wire kinds (wire.c creates a wire by kind name). Adding one is one line here plus
 * its own file. Apart from registry.c's list of models because a NIC model transmits on a wire:
 * the wire layer must not depend on the list that names the model.
 */
#include "wire_priv.h"

#include <string.h>

static const struct hvb_wire_ops *const wires[] = {
	&hvb_wire_gen_ops,
	&hvb_wire_tap_ops,
	&hvb_wire_netfront_ops,
	NULL,
};

const struct hvb_wire_ops *hvb_wire_kind_find(const char *name)
{
	for (size_t i = 0; name && wires[i]; i++)
		if (strcmp(wires[i]->name, name) == 0)
			return wires[i];
	return NULL;
}

const struct hvb_wire_ops *const *hvb_wire_kind_list(void)
{
	return wires;
}
