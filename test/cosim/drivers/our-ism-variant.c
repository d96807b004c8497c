// SPDX-License-Identifier: MIT
/*
 * ism-sim's own vfio-pci variant driver for ISM, written for the cosim tests against the same
 * kernel API and behaviour contract as drivers/vfio/pci/ism/main.c (no code from it):
 *
 * - regions at index << 48 (BAR 0 of ISM is 2^48 bytes; the core's 40-bit layout cannot hold it);
 * - BAR reads: a sequence of naturally aligned 8/4/2/1-byte function-handle loads (never MIO);
 * - BAR writes: at most maxstbl bytes, not crossing 4 KiB, issued as exactly one store block from
 *   a page-aligned bounce buffer taken from a per-device slab cache;
 * - config space: the vfio-pci core, one access at a time;
 * - a position past a region's end, an absent BAR or an unknown region: -EINVAL.
 *
 * Build-time switches make the faulty variants the tests plant (see faulty-*.c).
 */
#include <linux/slab.h>
#include "../vfio_pci_priv.h"

#define REGION_SHIFT 48
#define REGION_OF(pos) ((unsigned int)((u64)(pos) >> REGION_SHIFT))
#define REGION_POS(pos) ((u64)(pos) & ((1ULL << REGION_SHIFT) - 1))
#define REGION_START(index) ((u64)(index) << REGION_SHIFT)

struct our_ism {
	struct vfio_pci_core_device core;
	struct kmem_cache *bounce;
};

static struct our_ism *our_ism_of(struct vfio_device *vdev)
{
	return container_of(vdev, struct our_ism, core.vdev);
}

static struct zpci_dev *zdev_of(struct our_ism *dev)
{
	return to_zpci(dev->core.pdev);
}

/* Largest access that fits what is left and is naturally aligned at `off`. */
static unsigned int load_width(u64 off, size_t left)
{
	static const unsigned int widths[] = { 8, 4, 2 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(widths); i++)
		if (left >= widths[i] && (off & (widths[i] - 1)) == 0)
			return widths[i];
	return 1;
}

static ssize_t bar_read(struct our_ism *dev, int bar, char __user *ubuf, u64 off, size_t len)
{
	struct zpci_dev *zdev = zdev_of(dev);
	size_t at = 0;

	while (at < len) {
		unsigned int width = load_width(off + at, len - at);
		u64 reg;
		u8 bytes[8];
		unsigned int i;
		int rc;

		rc = __zpci_load(&reg, ZPCI_CREATE_REQ(READ_ONCE(zdev->fh), bar, width), off + at);
		if (rc)
			return rc;
		/* The low `width` bytes of the register, in memory order. */
		for (i = 0; i < width; i++)
			bytes[i] = (u8)(reg >> (8 * i));
		if (copy_to_user(ubuf + at, bytes, width))
			return -EFAULT;
		at += width;
	}
	return at;
}

static ssize_t bar_write(struct our_ism *dev, int bar, const char __user *ubuf, u64 off, size_t len)
{
	struct zpci_dev *zdev = zdev_of(dev);
	ssize_t ret;
	u8 *block;

	if (len > zdev->maxstbl || (off & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
		return -EINVAL;
	block = kmem_cache_alloc(dev->bounce, GFP_KERNEL);
	if (!block)
		return -ENOMEM;
	if (copy_from_user(block, ubuf, len)) {
		ret = -EFAULT;
	} else {
#ifdef OUR_ISM_FAULT_SPLIT_WRITE
		/* Planted fault: two store blocks instead of one (the device sees a torn write). */
		size_t first = len / 2 ? len / 2 : len;
		ret = __zpci_store_block((const u64 *)block, ZPCI_CREATE_REQ(READ_ONCE(zdev->fh), bar, first), off);
		if (!ret && len > first)
			ret = __zpci_store_block((const u64 *)(block + first),
						 ZPCI_CREATE_REQ(READ_ONCE(zdev->fh), bar, len - first), off + first);
#else
		ret = __zpci_store_block((const u64 *)block, ZPCI_CREATE_REQ(READ_ONCE(zdev->fh), bar, len), off);
#endif
		if (!ret)
			ret = len;
	}
	kmem_cache_free(dev->bounce, block);
	return ret;
}

static ssize_t config_access(struct our_ism *dev, char __user *ubuf, size_t len, u64 off, bool write)
{
	loff_t pos = off;
	size_t moved = 0;

	while (moved < len) {
		ssize_t n = vfio_pci_config_rw_single(&dev->core, ubuf + moved, len - moved, &pos, write);

		if (n < 0)
			return n;
		moved += n;
		pos += n;
	}
	return moved;
}

static ssize_t our_ism_access(struct vfio_device *vdev, char __user *ubuf, size_t len, loff_t *ppos, bool write)
{
	struct our_ism *dev = our_ism_of(vdev);
	struct pci_dev *pdev = dev->core.pdev;
	unsigned int index = REGION_OF(*ppos);
	u64 off = REGION_POS(*ppos);
	ssize_t ret;

	if (len == 0)
		return 0;
	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		ret = config_access(dev, ubuf, len, off, write);
	} else if (index <= VFIO_PCI_BAR5_REGION_INDEX) {
		u64 size = pci_resource_len(pdev, index);

		if (!pci_resource_start(pdev, index) || off >= size)
			return -EINVAL;
		if (len > size - off)
			len = size - off;
		ret = write ? bar_write(dev, index, ubuf, off, len) : bar_read(dev, index, ubuf, off, len);
	} else {
		return -EINVAL;
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t our_ism_read(struct vfio_device *vdev, char __user *ubuf, size_t len, loff_t *ppos)
{
	return our_ism_access(vdev, ubuf, len, ppos, false);
}

static ssize_t our_ism_write(struct vfio_device *vdev, const char __user *ubuf, size_t len, loff_t *ppos)
{
	return our_ism_access(vdev, (char __user *)ubuf, len, ppos, true);
}

static int our_ism_region_info(struct vfio_device *vdev, struct vfio_region_info *info, struct vfio_info_cap *caps)
{
	struct pci_dev *pdev = our_ism_of(vdev)->core.pdev;
	const u32 rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	info->offset = 0;
	info->size = 0;
	info->flags = 0;
	if (info->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		info->size = pdev->cfg_size;
	} else if (info->index <= VFIO_PCI_BAR5_REGION_INDEX) {
		info->size = pci_resource_len(pdev, info->index);
	} else {
		return -EINVAL;
	}
	info->offset = REGION_START(info->index);
	if (info->size)
		info->flags = rw;
	return 0;
}

static int our_ism_open(struct vfio_device *vdev)
{
	struct vfio_pci_core_device *core = &our_ism_of(vdev)->core;
	int ret = vfio_pci_core_enable(core);

	if (!ret)
		vfio_pci_core_finish_enable(core);
	return ret;
}

static int our_ism_init(struct vfio_device *vdev)
{
	struct our_ism *dev = our_ism_of(vdev);
	struct zpci_dev *zdev = to_zpci(to_pci_dev(vdev->dev));
	struct kmem_cache_args args = {
		.align = PAGE_SIZE,
		.useroffset = 0,
#ifdef OUR_ISM_FAULT_NARROW_USERCOPY
		.usersize = zdev->maxstbl / 2, /* planted fault: user copies past half the object abort */
#else
		.usersize = zdev->maxstbl,
#endif
	};
	char name[24];
	int ret;

	snprintf(name, sizeof(name), "our_ism_%08x", zdev->fid);
	dev->bounce = kmem_cache_create(name, zdev->maxstbl, &args, SLAB_ACCOUNT);
	if (!dev->bounce)
		return -ENOMEM;
	ret = vfio_pci_core_init_dev(vdev);
	if (ret) {
		kmem_cache_destroy(dev->bounce);
		dev->bounce = NULL;
	}
	return ret;
}

static void our_ism_release(struct vfio_device *vdev)
{
	kmem_cache_destroy(our_ism_of(vdev)->bounce);
	vfio_pci_core_release_dev(vdev);
}

static const struct vfio_device_ops our_ism_ops = {
	.name = "our-ism-variant",
	.init = our_ism_init,
	.release = our_ism_release,
	.open_device = our_ism_open,
	.close_device = vfio_pci_core_close_device,
	.read = our_ism_read,
	.write = our_ism_write,
	.get_region_info_caps = our_ism_region_info,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
};

static int our_ism_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct our_ism *dev = vfio_alloc_device(our_ism, core.vdev, &pdev->dev, &our_ism_ops);
	int ret;

	if (IS_ERR(dev))
		return PTR_ERR(dev);
	dev_set_drvdata(&pdev->dev, &dev->core);
	ret = vfio_pci_core_register_device(&dev->core);
	if (ret)
		vfio_put_device(&dev->core.vdev);
	return ret;
}

static void our_ism_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(core);
	vfio_put_device(&core->vdev);
}

static const struct pci_device_id our_ism_ids[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_IBM, PCI_DEVICE_ID_IBM_ISM) },
	{}
};

static struct pci_driver our_ism_driver = {
	.name = KBUILD_MODNAME,
	.id_table = our_ism_ids,
	.probe = our_ism_probe,
	.remove = our_ism_remove,
	.driver_managed_dma = true,
};

module_pci_driver(our_ism_driver);
MODULE_LICENSE("Dual MIT/GPL");
