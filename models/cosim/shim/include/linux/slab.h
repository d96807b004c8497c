/*
 * ism-sim cosim shim: slab caches. The simulation owns the objects: every object has a place in
 * the VM's storage (so a PCISTB can fetch it) and a usercopy window that copy_to_user and
 * copy_from_user enforce as CONFIG_HARDENED_USERCOPY does.
 */
#ifndef COSIM_LINUX_SLAB_H
#define COSIM_LINUX_SLAB_H

#include <linux/kernel.h>
#include <linux/gfp.h>

struct kmem_cache;

struct kmem_cache_args {
	unsigned int align;
	unsigned int useroffset;
	unsigned int usersize;
	unsigned int freeptr_offset;
	bool use_freeptr_offset;
	void (*ctor)(void *);
};

#define SLAB_HWCACHE_ALIGN ((slab_flags_t)0x00002000U)
#define SLAB_PANIC ((slab_flags_t)0x00040000U)
#define SLAB_RECLAIM_ACCOUNT ((slab_flags_t)0x00020000U)
#define SLAB_ACCOUNT ((slab_flags_t)0x04000000U)

struct kmem_cache *__cosim_kmem_cache_create(const char *name, unsigned int size, unsigned int align,
					     unsigned int useroffset, unsigned int usersize, slab_flags_t flags);

static inline struct kmem_cache *__cosim_kmem_cache_create_args(const char *name, unsigned int size,
								 const struct kmem_cache_args *args, slab_flags_t flags)
{
	if (!args)
		return __cosim_kmem_cache_create(name, size, 0, 0, 0, flags);
	return __cosim_kmem_cache_create(name, size, args->align, args->useroffset, args->usersize, flags);
}

/*
 * kmem_cache_create(name, size, args, flags) with a struct kmem_cache_args, as current kernels
 * have it; the older five-argument form (name, size, align, flags, ctor) is kmem_cache_create_usercopy's
 * sibling and is not offered.
 */
#define kmem_cache_create(name, size, args, flags) __cosim_kmem_cache_create_args(name, size, args, flags)
#define kmem_cache_create_usercopy(name, size, align, flags, useroffset, usersize, ctor) \
	__cosim_kmem_cache_create(name, size, align, useroffset, usersize, flags)

void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t flags);
void *kmem_cache_zalloc(struct kmem_cache *cache, gfp_t flags);
void kmem_cache_free(struct kmem_cache *cache, void *obj);
void kmem_cache_destroy(struct kmem_cache *cache);

void *kmalloc(size_t size, gfp_t flags);
void *kzalloc(size_t size, gfp_t flags);
void kfree(const void *obj);

#endif
