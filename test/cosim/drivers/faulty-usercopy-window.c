// SPDX-License-Identifier: MIT
/* Planted fault for the cosim tests: our variant driver with a bounce cache whose usercopy window is half the object. */
#define OUR_ISM_FAULT_NARROW_USERCOPY
#include "our-ism-variant.c"
