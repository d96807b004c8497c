/* ism-sim cosim shim: compiler annotations. */
#ifndef COSIM_LINUX_COMPILER_H
#define COSIM_LINUX_COMPILER_H

#define __user
#define __iomem
#define __force
#define __init
#define __exit
#define __must_check
#define __always_inline inline __attribute__((always_inline))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
/* One access the compiler may neither tear nor cache (the handle can change under the driver). */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define BUILD_BUG_ON_ZERO(e) ((int)(sizeof(struct { int:(-!!(e)); })))
#define BUILD_BUG_ON(e) ((void)BUILD_BUG_ON_ZERO(e))
#define offsetof(T, m) __builtin_offsetof(T, m)

#endif
