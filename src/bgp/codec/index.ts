// The BGP-4 message codec (RFC 4271 §4) for the FSM and the session: pure, no sockets or timers.
export * from './errors.ts';
export * from './family.ts';
export * from './prefix.ts';
export * from './header.ts';
export * from './capabilities.ts';
export * from './open.ts';
export * from './attributes.ts';
export { decodeAsPath, mergeAs4Path, needsAs4 } from './aspath.ts';
export { decodeAttributes, type DecodeContext, type DecodedAttributes } from './attr-decode.ts';
export { attributesLength, encodeAttributes, type EncodeContext } from './attr-encode.ts';
export * from './update.ts';
export * from './notification.ts';
export * from './route-refresh.ts';
export * from './message.ts';
export * from './framer.ts';
export * from './packer.ts';
