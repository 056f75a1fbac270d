// SPDX-License-Identifier: MIT
/*
 * The DP83820's interrupt line: ISR & IMR gated by IER.IE, with the IHR holdoff timer. Apart from
 * the register file (dp83820.c) because the DMA engines (dp83820_dma.c) raise events too, and the
 * register file starts the engines: both use this file, neither needs the other for it.
 */
#include "dp83820_priv.h"

static void holdoff_fired(void *ctx, uint32_t id)
{
	struct dp83820 *s = ctx;
	(void)id;
	s->holdoff_elapsed = true;
	dp_update_irq(s);
}

/*
 * Level = (ISR & IMR) != 0 && IER.IE, evaluated after every change. With a holdoff (IHR.IH > 0)
 * the line rises only once IH * 100 us have passed since the first event that would have
 * raised it; the window restarts each time the line drops (the driver read ISR), so events
 * arriving within it are coalesced into one interrupt.
 */
void dp_update_irq(struct dp83820 *s)
{
	bool want = (s->isr & s->imr) != 0 && (s->ier & DP83820_IER_IE);
	uint32_t ih = s->ihr & DP83820_IHR_IH;
	if (!want) {
		/* nothing to signal: the next event starts a new holdoff window */
		s->holdoff_elapsed = false;
		hvb_timer_cancel(s->dev, DP_TIMER_HOLDOFF);
		if (s->line) {
			s->line = false;
			hvb_irq_set(s->dev, 0, false);
		}
		return;
	}
	if (s->line)
		return;
	if (ih && !s->holdoff_elapsed) {
		if (!hvb_timer_armed(s->dev, DP_TIMER_HOLDOFF))
			hvb_timer_arm(s->dev, DP_TIMER_HOLDOFF, (uint64_t)ih * DP_HOLDOFF_UNIT_NS,
				      holdoff_fired, s);
		return;
	}
	s->line = true;
	hvb_irq_set(s->dev, 0, true);
}
