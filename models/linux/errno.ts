/** Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h) the firmware returns. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
  ENOSPC: 28,
  ERANGE: 34,
  ECONNRESET: 104,
  ETIMEDOUT: 110,
} as const;
export type Errno = (typeof Errno)[keyof typeof Errno];

const NAMES = new Map<number, string>(Object.entries(Errno).map(([name, value]) => [value, name]));

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}

/** A Linux error surfaced to TypeScript callers: carries the (positive) errno and says where. */
export class LinuxError extends Error {
  constructor(
    readonly errno: number,
    readonly where: string,
  ) {
    super(`${where}: ${errnoName(errno)} (-${errno})`);
    this.name = 'LinuxError';
  }
}

/** Kernel convention: a negative return is -errno. Throws LinuxError for those, passes others. */
export function check(ret: number, where: string): number {
  if (ret < 0) throw new LinuxError(-ret, where);
  return ret;
}
