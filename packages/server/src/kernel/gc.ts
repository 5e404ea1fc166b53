import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring for this process (docs/decisions/2026-12-06-gc-pretenuring.md).
 *
 * V8 watches where objects are allocated, and a site whose objects mostly survive a scavenge has
 * its later objects allocated straight in the old generation. On the send path that decision is
 * a matter of chance: a burst while the process warms up (clients connecting, code compiling)
 * can make a site of per-message objects look long-lived. From then on each of them is born old,
 * dies a few milliseconds later, and until the next mark-compact it keeps the young objects it
 * points to alive: frames, items, thread replies, their JSON. Those survive two scavenges, are
 * promoted too, and fill the old generation with garbage, so scavenges pause longer and
 * mark-compacts come every few seconds. A server's objects live for one request or for the
 * process, so it loses nothing by the generations deciding this on their own.
 *
 * Set at start, before the hot paths run: the flag only stops new decisions.
 */
export function keepShortLivedObjectsYoung(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
