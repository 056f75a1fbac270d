// SPDX-License-Identifier: MIT
/* The extension profile's lint (work in progress). */
#include "sdk_private.h"

void sdk_lint_ext(struct lint *l, LLVMModuleRef m)
{
	(void)l;
	(void)m;
}
