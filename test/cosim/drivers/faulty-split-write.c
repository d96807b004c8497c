// SPDX-License-Identifier: MIT
/* Planted fault for the cosim tests: our variant driver, but every BAR write is two store blocks. */
#define OUR_ISM_FAULT_SPLIT_WRITE
#include "our-ism-variant.c"
