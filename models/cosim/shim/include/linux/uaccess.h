/*
 * ism-sim cosim shim: user copies against the simulated process's address space. A bad user
 * pointer is a real fault (the count not copied comes back); a kernel range outside a slab
 * object's usercopy window, or beyond the stack, stops the call as a usercopy BUG (HARDENED_USERCOPY).
 */
#ifndef COSIM_LINUX_UACCESS_H
#define COSIM_LINUX_UACCESS_H

#include <linux/kernel.h>

unsigned long copy_to_user(void __user *to, const void *from, unsigned long n);
unsigned long copy_from_user(void *to, const void __user *from, unsigned long n);

#define get_user(x, ptr) (copy_from_user(&(x), (ptr), sizeof(*(ptr))) ? -EFAULT : 0)
#define put_user(x, ptr) ({ __typeof__(*(ptr)) __v = (x); copy_to_user((ptr), &__v, sizeof(__v)) ? -EFAULT : 0; })

#endif
