import { IsmEventCode, IsmEventType, type IeqEntry } from '../../rtl/ism/commands.ts';

/**
 * Event types and codes an ISM device posts in its event queue (drivers/s390/net/ism.h,
 * enum ism_event_type / ism_event_code), and the device-independent form the driver hands to
 * its clients (include/linux/dibs.h, struct dibs_event), translated as ism_handle_event
 * (drivers/s390/net/ism_drv.c, ism_match_event_type / ism_match_event_subtype) does.
 */
// The device's own table of ism.h's types and codes; the driver reads them as Linux includes ism.h.
export { IsmEventCode, IsmEventType };

export const DibsEventType = { BUF: 0, DEV: 1, SW: 2, OTHER: 3 } as const;
export const DibsEventSubtype = { BUF_UNREGISTERED: 0, DEV_DISABLED: 1, DEV_ERR_STATE: 2, OTHER: 3 } as const;

/** struct dibs_event: `gid` is 0 when the event names no device, `bufferToken` 0 when it names no DMB. */
export interface DibsEvent {
  readonly type: number;
  readonly subtype: number;
  readonly gid: bigint;
  readonly bufferToken: bigint;
  readonly time: bigint;
  readonly data: bigint;
}

function matchType(type: number): number {
  switch (type) {
    case IsmEventType.BUF:
      return DibsEventType.BUF;
    case IsmEventType.DEV:
      return DibsEventType.DEV;
    case IsmEventType.SWR:
      return DibsEventType.SW;
    default:
      return DibsEventType.OTHER;
  }
}

/**
 * Only three codes have a device-independent meaning; BUF codes 2, 3, 5, 6 and 8 (error states
 * and VLAN mismatches) reach clients as OTHER, as Linux passes them.
 */
function matchSubtype(code: number): number {
  switch (code) {
    case IsmEventCode.BUF_DMB_UNREGISTERED:
      return DibsEventSubtype.BUF_UNREGISTERED;
    case IsmEventCode.DEV_GID_DISABLED:
      return DibsEventSubtype.DEV_DISABLED;
    case IsmEventCode.DEV_GID_ERR_STATE:
      return DibsEventSubtype.DEV_ERR_STATE;
    default:
      return DibsEventSubtype.OTHER;
  }
}

/**
 * One IEQ entry as clients see it: a software event keeps the sender's code as its subtype;
 * `tok` is a DMB token for BUF events and a GID for DEV and software events; `info` is the data.
 */
export function translateIsmEvent(entry: IeqEntry): DibsEvent {
  const type = matchType(entry.type);
  return {
    type,
    subtype: type === DibsEventType.SW ? entry.code : matchSubtype(entry.code),
    gid: type === DibsEventType.DEV || type === DibsEventType.SW ? entry.tok : 0n,
    bufferToken: type === DibsEventType.BUF ? entry.tok : 0n,
    time: entry.time,
    data: entry.info,
  };
}
