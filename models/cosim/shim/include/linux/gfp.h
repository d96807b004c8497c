/* ism-sim cosim shim: allocation flags (the simulation never sleeps for memory: they are accepted and ignored). */
#ifndef COSIM_LINUX_GFP_H
#define COSIM_LINUX_GFP_H

#include <linux/types.h>

#define GFP_KERNEL ((gfp_t)0xcc0U)
#define GFP_ATOMIC ((gfp_t)0x820U)
#define GFP_NOWAIT ((gfp_t)0x800U)
#define __GFP_ZERO ((gfp_t)0x100U)

#endif
