// SPDX-License-Identifier: MIT
/*
 * Synchronous requests of the block and SCSI classes (runtime_priv.h, struct ldr_sreq): the
 * pending list, the bounce buffer, completion, and abandoning a request the driver did not
 * complete in time. What a request carries and how it is reported is the class's business
 * (runtime_block.c, runtime_scsi.c).
 */
#include "runtime_priv.h"

#include <errno.h>
#include <stdlib.h>

void *ldr_sreq_alloc(size_t size, uint64_t len)
{
	struct ldr_sreq *r = calloc(1, size);
	if (r && len && !(r->bounce = calloc(1, len))) {
		free(r);
		r = NULL;
	}
	return r;
}

void ldr_sreq_free(struct ldr_sreq *r)
{
	if (!r)
		return;
	free(r->bounce);
	free(r);
}

void ldr_sreq_push(struct ldr_sreq_list *l, struct ldr_sreq *r)
{
	r->next = l->head;
	l->head = r;
}

void ldr_sreq_unlink(struct ldr_sreq_list *l, struct ldr_sreq *r)
{
	for (struct ldr_sreq **pp = &l->head; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
}

struct ldr_sreq *ldr_sreq_find(const struct ldr_sreq_list *l, const void *view, size_t offset)
{
	struct ldr_sreq *r = l->head;
	while (r && (const char *)r + offset != (const char *)view)
		r = r->next;
	return r;
}

void ldr_sreq_finish(struct ldr_sreq_list *l, struct ldr_sreq *r)
{
	ldr_sreq_unlink(l, r);
	r->done = true;
	l->completions++;
	if (r->abandoned)
		ldr_sreq_free(r);
}

int ldr_sreq_wait(struct ldr_driver *drv, struct ldr_sreq *r, uint64_t timeout_ns)
{
	if (ldr_wait_done(drv, &r->done, timeout_ns) == 0)
		return 0;
	r->abandoned = true; /* freed when the driver completes it, or at shutdown */
	return -ETIMEDOUT;
}
