/*
 * ism-sim cosim shim: the function-handle zPCI instructions (arch/s390/include/asm/pci_io.h,
 * arch/s390/pci/pci_insn.c). Each call is one instruction on the simulated CPU, with the busy
 * retry and cc/program-check -> errno mapping of pci_insn.c; the caller blocks while it runs.
 *
 * Byte order: s390 is big-endian and a PCILG result is the bytes right-aligned in the register,
 * so storing the low `len` bytes of the register puts them in address order. wasm32 is
 * little-endian, so __zpci_load hands back (and __zpci_store takes) the register image in host
 * order: storing the low `len` bytes of *data still yields the device's bytes in address order.
 */
#ifndef COSIM_ASM_PCI_IO_H
#define COSIM_ASM_PCI_IO_H

#include <linux/types.h>

#define ZPCI_CREATE_REQ(handle, space, len) ((u64)(handle) << 32 | (u64)(space) << 16 | (u64)(len))

int __zpci_load(u64 *data, u64 req, u64 offset);
int __zpci_store(u64 data, u64 req, u64 offset);
int __zpci_store_block(const u64 *data, u64 req, u64 offset);

#endif
