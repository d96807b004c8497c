/* ism-sim cosim shim: errno values (include/uapi/asm-generic/errno-base.h numbering). */
#ifndef COSIM_LINUX_ERRNO_H
#define COSIM_LINUX_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define EIO 5
#define ENXIO 6
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define ENODEV 19
#define EINVAL 22
#define ENOTTY 25
#define ENOSPC 28
#define ERANGE 34
#define EOPNOTSUPP 95
#define ENOTSUPP 524

#endif
