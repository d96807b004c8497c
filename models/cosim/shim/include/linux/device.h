/* ism-sim cosim shim: struct device and driver data. */
#ifndef COSIM_LINUX_DEVICE_H
#define COSIM_LINUX_DEVICE_H

#include <linux/kernel.h>

struct device {
	void *driver_data;
	const char *init_name;
};

static inline void dev_set_drvdata(struct device *dev, void *data) { dev->driver_data = data; }
static inline void *dev_get_drvdata(const struct device *dev) { return dev->driver_data; }
static inline const char *dev_name(const struct device *dev) { return dev->init_name; }

#define dev_err(dev, fmt, ...) _printk(KERN_ERR "%s: " fmt, dev_name(dev), ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...) _printk(KERN_WARNING "%s: " fmt, dev_name(dev), ##__VA_ARGS__)
#define dev_info(dev, fmt, ...) _printk(KERN_INFO "%s: " fmt, dev_name(dev), ##__VA_ARGS__)
#define dev_dbg(dev, fmt, ...) ((void)(dev))

#endif
