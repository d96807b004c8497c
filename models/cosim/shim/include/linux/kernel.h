/* ism-sim cosim shim: the kernel.h helpers a vfio variant driver uses. */
#ifndef COSIM_LINUX_KERNEL_H
#define COSIM_LINUX_KERNEL_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/err.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define ALIGN(x, a) (((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define BIT(n) (1UL << (n))
#define BIT_ULL(n) (1ULL << (n))
/* Type-checked like the kernel's: mixing types is a compile error (-Werror=compare-distinct-pointer-types). */
#define __cosim_cmp(x, y, op) ({ __typeof__(x) _x = (x); __typeof__(y) _y = (y); (void)(&_x == &_y); _x op _y ? _x : _y; })
#define min(x, y) __cosim_cmp(x, y, <)
#define max(x, y) __cosim_cmp(x, y, >)
#define min_t(t, x, y) ((t)(x) < (t)(y) ? (t)(x) : (t)(y))
#define max_t(t, x, y) ((t)(x) > (t)(y) ? (t)(x) : (t)(y))

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int scnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Kernel log lines go to the simulation's log (the caller's console). */
int _printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define printk _printk
#define KERN_ERR "<3>"
#define KERN_WARNING "<4>"
#define KERN_INFO "<6>"
#define KERN_DEBUG "<7>"
#define pr_err(fmt, ...) _printk(KERN_ERR fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) _printk(KERN_WARNING fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) _printk(KERN_INFO fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) ((void)0)

/* A BUG() is a kernel oops: the simulation stops the call with a typed error. */
void __cosim_bug(const char *file, int line) __attribute__((noreturn));
#define BUG() __cosim_bug(__FILE__, __LINE__)
#define BUG_ON(c) do { if (unlikely(c)) BUG(); } while (0)
#define WARN_ON(c) ({ int __w = !!(c); if (unlikely(__w)) _printk(KERN_WARNING "WARNING at %s:%d\n", __FILE__, __LINE__); unlikely(__w); })
#define WARN_ON_ONCE(c) WARN_ON(c)

#endif
