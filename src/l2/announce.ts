// What the speaker sends when it takes a VIP over (STYLE.md lesson 6: gratuitous ARP when an
// entry is new): for IPv4 a gratuitous ARP in both forms, for IPv6 an unsolicited NA with
// Override to all-nodes. Pure: the speaker sends round r at r × its configured interval.
import { arpAnnouncement, decodeArpFrame, encodeArpFrame, isGratuitous } from './arp.ts';
import type { Mac } from './ethernet.ts';
import { isIpv4, type IpAddress } from './ip.ts';
import { decodeNdpFrame, encodeNdpFrame, unsolicitedAdvertisement } from './ndp.ts';
import type { L2Interface } from './responder.ts';

export type AnnouncementKind = 'arp-request' | 'arp-reply' | 'unsolicited-na';

export interface Announcement {
  /** 0-based; round 0 goes out at once. */
  readonly round: number;
  readonly kind: AnnouncementKind;
  readonly frame: Uint8Array;
}

/**
 * `count` rounds (a non-integer is floored, below 1 gives none). IPv4: per round the RFC 5227 §3
 * request form, then the RFC 2002 §4.6 reply form, since some hosts update their caches only from
 * one of them. IPv6: one unsolicited NA per round (RFC 4861 §7.2.6 suggests at most
 * MAX_NEIGHBOR_ADVERTISEMENT = 3, "to increase reliability"; the count is the operator's).
 */
export function announcements(vip: IpAddress, iface: L2Interface, count: number): Announcement[] {
  const rounds = Number.isFinite(count) ? Math.max(0, Math.floor(count)) : 0;
  const out: Announcement[] = [];
  for (let round = 0; round < rounds; round++) {
    if (isIpv4(vip)) {
      out.push({ round, kind: 'arp-request', frame: encodeArpFrame(arpAnnouncement(vip, iface.mac, 'request')) });
      out.push({ round, kind: 'arp-reply', frame: encodeArpFrame(arpAnnouncement(vip, iface.mac, 'reply')) });
    } else {
      out.push({ round, kind: 'unsolicited-na', frame: encodeNdpFrame(unsolicitedAdvertisement(vip, iface.mac)) });
    }
  }
  return out;
}

/**
 * The VIP an announcement from `mac` announces (a gratuitous ARP in either form, or an unsolicited
 * NA: the frames above), or null for any other frame. The L2 backend reads its own outgoing
 * frames with it to learn when a handover's first announcement left (handover-marks.ts).
 */
export function announcedAddress(frame: Uint8Array, mac: Mac): IpAddress | null {
  const arp = decodeArpFrame(frame);
  if (arp.ok) {
    const { eth, arp: packet } = arp.value;
    return eth.src === mac && packet.senderMac === mac && isGratuitous(packet) ? packet.senderIp : null;
  }
  const ndp = decodeNdpFrame(frame);
  if (!ndp.ok) return null;
  const { eth, ndp: message } = ndp.value;
  return eth.src === mac && message.type === 'neighbor-advertisement' && !message.solicited ? message.target : null;
}
