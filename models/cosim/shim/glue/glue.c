/*
 * ism-sim cosim glue: the kernel around one vfio-pci variant driver, compiled with it to wasm32.
 * The simulation (TypeScript) provides everything declared `import` below; this file provides
 * the freestanding C library the driver needs, the parts of the vfio core that live in C
 * (device allocation, the ops stubs the simulation never reaches) and the entry points the
 * simulation calls (`export`).
 */
#include <linux/vfio_pci_core.h>
#include "../drivers-vfio-pci/vfio_pci_priv.h"

/* -nostdinc: the compiler's own varargs builtins, no host header. */
typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

/* ---- provided by the simulation ---- */
IMPORT(cosim_log) void cosim_log(const char *text, size_t len);
IMPORT(cosim_bug) void cosim_bug(const char *file, int line);
IMPORT(cosim_core_enable) int cosim_core_enable(void);
IMPORT(cosim_core_close) void cosim_core_close(void);
IMPORT(cosim_core_disable) void cosim_core_disable(void);
IMPORT(cosim_core_init) int cosim_core_init(void);
IMPORT(cosim_core_release) void cosim_core_release(void);
IMPORT(cosim_core_register) int cosim_core_register(void);
IMPORT(cosim_core_unregister) void cosim_core_unregister(void);

/* ---- freestanding C library ---- */
void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;
	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d < s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_number(struct out *o, unsigned long long v, unsigned base, bool upper, bool negative, int width, char pad)
{
	char digits[24];
	int n = 0;
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do {
		digits[n++] = set[v % base];
		v /= base;
	} while (v);
	if (negative)
		digits[n++] = '-';
	for (int w = n; w < width; w++)
		put(o, pad);
	while (n)
		put(o, digits[--n]);
}

/* The kernel's vsnprintf for the conversions drivers use in names and messages: d i u x X s c p %, with 0-padding, width, and l/ll/z/h lengths. */
static int cosim_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l')
				longs++;
			else if (*fmt == 'z')
				longs = 1;
			else if (*fmt != 'h')
				break;
		}
		unsigned long long u;
		long long s;
		switch (*fmt) {
		case 'd':
		case 'i':
			s = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
			put_number(&o, s < 0 ? -(unsigned long long)s : (unsigned long long)s, 10, false, s < 0, width, pad);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = longs >= 2 ? va_arg(ap, unsigned long long) : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			put_number(&o, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', false, width, pad);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_number(&o, (uintptr_t)va_arg(ap, void *), 16, false, false, 8, '0');
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			for (int w = (int)strlen(str); w < width; w++)
				put(&o, ' ');
			while (*str)
				put(&o, *str++);
			break;
		}
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			if (!*fmt)
				fmt--;
			else
				put(&o, *fmt);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = cosim_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = cosim_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (size == 0)
		return 0;
	return n < (int)size ? n : (int)size - 1;
}

int _printk(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = cosim_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cosim_log(line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	return n;
}

void __cosim_bug(const char *file, int line)
{
	cosim_bug(file, line);
	__builtin_trap();
}

/* ---- the vfio core's C side ---- */
struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev, const struct vfio_device_ops *ops)
{
	struct vfio_device *device;
	int ret;

	if (size < sizeof(struct vfio_device))
		return ERR_PTR(-EINVAL);
	device = kzalloc(size, GFP_KERNEL);
	if (!device)
		return ERR_PTR(-ENOMEM);
	device->dev = dev;
	device->ops = ops;
	/* vfio_init_device: the driver's init runs before the device is handed back. */
	if (ops->init) {
		ret = ops->init(device);
		if (ret) {
			kfree(device);
			return ERR_PTR(ret);
		}
	}
	return device;
}

void vfio_put_device(struct vfio_device *device)
{
	/* Last reference: vfio_device_release runs ops->release, then frees. */
	if (device->ops->release)
		device->ops->release(device);
	kfree(device);
}

int vfio_pci_core_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = container_of(core_vdev, struct vfio_pci_core_device, vdev);

	vdev->pdev = to_pci_dev(core_vdev->dev);
	return cosim_core_init();
}

void vfio_pci_core_release_dev(struct vfio_device *core_vdev)
{
	cosim_core_release();
}

int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev)
{
	return cosim_core_register();
}

void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev)
{
	cosim_core_unregister();
}

int vfio_pci_core_enable(struct vfio_pci_core_device *vdev)
{
	return cosim_core_enable();
}

void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev)
{
}

void vfio_pci_core_disable(struct vfio_pci_core_device *vdev)
{
	cosim_core_disable();
}

void vfio_pci_core_close_device(struct vfio_device *core_vdev)
{
	cosim_core_close();
}

/* Reached only through paths the simulation does not model (ioctls, mmap, iommufd, AER). */
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd, unsigned long arg) { return -ENOTTY; }
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags, void __user *arg, size_t argsz) { return -ENOTTY; }
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf, size_t count, loff_t *ppos) { return -EINVAL; }
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev, const char __user *buf, size_t count, loff_t *ppos) { return -EINVAL; }
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count) {}
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf) { return 0; }
int vfio_pci_core_match_token_uuid(struct vfio_device *core_vdev, const uuid_t *uuid) { return -ENODEV; }
int vfio_iommufd_physical_bind(struct vfio_device *vdev, struct iommufd_ctx *ictx, u32 *out_device_id) { return 0; }
void vfio_iommufd_physical_unbind(struct vfio_device *vdev) {}
int vfio_iommufd_physical_attach_ioas(struct vfio_device *vdev, u32 *pt_id) { return 0; }
void vfio_iommufd_physical_detach_ioas(struct vfio_device *vdev) {}
const struct pci_error_handlers vfio_pci_core_err_handlers = { 0 };

/* ---- the one function the module is bound to, and the entry points ---- */
extern struct pci_driver *__cosim_module_pci_driver(void);

static struct zpci_dev zdev;
static struct pci_dev pdev = { .vendor = PCI_VENDOR_ID_IBM, .device = PCI_DEVICE_ID_IBM_ISM, .sysdata = &zdev };
static struct vfio_region_info region_info;
static loff_t position;

EXPORT(cosim_setup) void cosim_setup(u32 fid, u32 fh, u32 maxstbl, u32 cfg_size)
{
	static char name[24];

	zdev.fid = fid;
	zdev.fh = fh;
	zdev.maxstbl = (u16)maxstbl;
	pdev.cfg_size = (int)cfg_size;
	snprintf(name, sizeof(name), "%04x:00:00.0", fid & 0xffff);
	pdev.dev.init_name = name;
}

/* An implemented BAR gets a non-zero start (pci_resource_start is the driver's presence test). */
EXPORT(cosim_set_bar) void cosim_set_bar(int bar, u64 len)
{
	pdev.resource[bar].start = len ? ((u64)(bar + 1) << 56) : 0;
	pdev.resource[bar].end = len ? pdev.resource[bar].start + len - 1 : 0;
}

/* READ_ONCE(zdev->fh) sees the current handle: the simulation stores it whenever it may have changed. */
EXPORT(cosim_fh_address) u32 *cosim_fh_address(void)
{
	return &zdev.fh;
}

static bool id_matches(const struct pci_device_id *id)
{
	return (id->vendor == PCI_ANY_ID || id->vendor == pdev.vendor) &&
	       (id->device == PCI_ANY_ID || id->device == pdev.device);
}

/* Bind: the first id_table entry that matches the ISM function; -ENODEV when none does. */
EXPORT(cosim_probe) int cosim_probe(void)
{
	struct pci_driver *drv = __cosim_module_pci_driver();
	const struct pci_device_id *id;

	for (id = drv->id_table; id && (id->vendor || id->device); id++)
		if (id_matches(id))
			return drv->probe(&pdev, id);
	return -ENODEV;
}

EXPORT(cosim_remove) void cosim_remove(void)
{
	struct pci_driver *drv = __cosim_module_pci_driver();

	if (drv->remove)
		drv->remove(&pdev);
}

static struct vfio_device *bound_device(void)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev.dev);

	return core ? &core->vdev : NULL;
}

EXPORT(cosim_open) int cosim_open(void)
{
	struct vfio_device *vdev = bound_device();

	if (!vdev)
		return -ENODEV;
	return vdev->ops->open_device ? vdev->ops->open_device(vdev) : 0;
}

EXPORT(cosim_close) void cosim_close(void)
{
	struct vfio_device *vdev = bound_device();

	if (vdev && vdev->ops->close_device)
		vdev->ops->close_device(vdev);
}

/* read/write at file position `pos`; the position afterwards is cosim_position(). */
EXPORT(cosim_rw) ssize_t cosim_rw(char __user *buf, size_t count, s64 pos, int iswrite)
{
	struct vfio_device *vdev = bound_device();

	position = pos;
	if (!vdev)
		return -ENODEV;
	if (iswrite)
		return vdev->ops->write ? vdev->ops->write(vdev, buf, count, &position) : -EINVAL;
	return vdev->ops->read ? vdev->ops->read(vdev, buf, count, &position) : -EINVAL;
}

EXPORT(cosim_position) s64 cosim_position(void)
{
	return position;
}

/* VFIO_DEVICE_GET_REGION_INFO through the driver's get_region_info_caps; the answer is at cosim_region_info_address(). */
EXPORT(cosim_region_info) int cosim_region_info(u32 index)
{
	struct vfio_device *vdev = bound_device();
	struct vfio_info_cap caps = { NULL, 0 };

	memset(&region_info, 0, sizeof(region_info));
	region_info.argsz = sizeof(region_info);
	region_info.index = index;
	if (!vdev)
		return -ENODEV;
	if (!vdev->ops->get_region_info_caps)
		return -ENOTTY;
	return vdev->ops->get_region_info_caps(vdev, &region_info, &caps);
}

EXPORT(cosim_region_info_address) struct vfio_region_info *cosim_region_info_address(void)
{
	return &region_info;
}
