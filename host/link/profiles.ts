// Slow-link profiles for the emulated link. The figures are modelling assumptions chosen to be
// representative (often conservative) for each bearer; `source` says where each comes from.

export interface LinkProfile {
  name: string;
  /** Payload bit rate, bit/s. */
  bitRate: number;
  /** One-way latency added after the last bit of a packet leaves, ms. */
  latencyMs: number;
  /** Maximum bytes per packet. */
  mtu: number;
  /** Probability that a packet is lost (default 0). */
  lossRate?: number;
  /** Independent per-bit flip probability in delivered bytes (default 0). */
  bitErrorRate?: number;
  description: string;
  /** Where the figures come from. */
  source: string;
}

export const PROFILES = {
  gsm: {
    name: 'gsm',
    bitRate: 9_600,
    latencyMs: 300,
    mtu: 1500,
    description: 'GSM circuit-switched data (CSD), 9.6 kbit/s data bearer',
    source:
      'Rate: GSM 9.6 kbit/s CSD data bearer (3GPP TS 22.002 / TS 43.010 bearer services). ' +
      'Latency: project assumption of 300 ms one-way for a CSD call through the PSTN/ISP path. ' +
      'MTU: Ethernet-size IP packets (1500 bytes) over the dial-up PPP link.',
  },
  gprs: {
    name: 'gprs',
    bitRate: 40_000,
    latencyMs: 400,
    mtu: 1500,
    description: 'GPRS packet data, multislot (about 3 downlink slots, CS-2)',
    source:
      'Rate: typical multislot GPRS throughput of ~40 kbit/s (roughly 3 timeslots at CS-2, ' +
      '13.4 kbit/s each; 3GPP TS 45.002 multislot classes). Latency: project assumption of ' +
      '400 ms one-way, consistent with GPRS round trips commonly measured at 600-1000 ms. ' +
      'MTU: 1500 bytes.',
  },
  nbiot: {
    name: 'nbiot',
    bitRate: 20_000,
    latencyMs: 1000,
    mtu: 1280,
    description: 'NB-IoT (LTE Cat-NB1), conservative application-level rate and latency',
    source:
      'Rate: below the 3GPP Rel-13 Cat-NB1 peak rates (~26 kbit/s DL; 3GPP TS 36.306) to allow ' +
      'for protocol overhead. Latency: project assumption of 1 s one-way; 3GPP TR 45.820 targets ' +
      'under 10 s for exception reports, and coverage-enhancement repetitions add seconds. ' +
      'MTU: IPv6 minimum link MTU, 1280 bytes (RFC 8200).',
  },
  ltem: {
    name: 'ltem',
    bitRate: 300_000,
    latencyMs: 100,
    mtu: 1280,
    description: 'LTE-M (LTE Cat-M1), half-duplex FDD device',
    source:
      'Rate: LTE Cat-M1 half-duplex FDD peak of ~300 kbit/s downlink / ~375 kbit/s uplink ' +
      '(full-duplex peak 1 Mbit/s; 3GPP Rel-13, TS 36.306); the lower downlink figure is used for ' +
      'both directions. Latency: LTE-M radio latency is ~10-15 ms (GSMA LTE-M deployment ' +
      'guide); 100 ms one-way is a project assumption that adds core network and internet path. ' +
      'MTU: IPv6 minimum link MTU, 1280 bytes (RFC 8200).',
  },
  fast: {
    name: 'fast',
    bitRate: 10_000_000,
    latencyMs: 1,
    mtu: 1500,
    description: 'Fast reference link (10 Mbit/s, 1 ms), not a radio bearer',
    source: 'Synthetic reference profile (LAN-like) for comparison; not a measured bearer.',
  },
} as const satisfies Record<string, LinkProfile>;

export type ProfileName = keyof typeof PROFILES;

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/** Look up a profile by name; throws listing the valid names for an unknown one. */
export function getProfile(name: string): LinkProfile {
  if (Object.prototype.hasOwnProperty.call(PROFILES, name)) {
    return { ...PROFILES[name as ProfileName] };
  }
  throw new Error(`unknown link profile '${name}'; valid names: ${PROFILE_NAMES.join(', ')}`);
}
