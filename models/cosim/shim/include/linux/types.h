/* ism-sim cosim shim: the kernel's fixed-width types. The driver is compiled for wasm64 (LP64 as on s390x: long, size_t and pointers are 64 bits). */
#ifndef COSIM_LINUX_TYPES_H
#define COSIM_LINUX_TYPES_H

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT8_TYPE__ s8;
typedef __INT16_TYPE__ s16;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;
typedef u8 __u8;
typedef u16 __u16;
typedef u32 __u32;
typedef u64 __u64;
typedef u64 __aligned_u64 __attribute__((aligned(8)));

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ssize_t;
typedef __UINTPTR_TYPE__ uintptr_t;
/* loff_t is 64-bit everywhere: a region offset is index << 48. */
typedef s64 loff_t;
typedef u64 resource_size_t;
typedef u64 phys_addr_t;
typedef unsigned int gfp_t;
typedef unsigned int slab_flags_t;

typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

typedef struct { u8 b[16]; } uuid_t;

#endif
