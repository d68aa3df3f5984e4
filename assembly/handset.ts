// The handset firmware: the airshake client (hs/client.ts) over the crypto core, as one module.
// Imports: only env.airshake_random (the platform RNG). Exports: the handshake and record API
// and the three IO buffers. See host/handset.ts for the host-side driver.
export {
  clientProvision as provision, clientStart as start, clientFinish as finish, clientSeal as seal,
  clientOpen as open, clientReset as reset, clientState as state, clientError as error, clientPeerAlert as peerAlert,
} from "./hs/client";
import { APP, ID_A, IN, IN_CAP, MAX_APP, OUT, OUT_CAP } from "./hs/client";

export function inBuf(): usize { return IN; }
export function inCap(): usize { return IN_CAP; }
export function outBuf(): usize { return OUT; }
export function outCap(): usize { return OUT_CAP; }
export function appBuf(): usize { return APP; }
export function appCap(): usize { return MAX_APP; }
export function idA(): usize { return ID_A; }
/** End of static memory (data and every buffer). */
export function heapBase(): usize { return __heap_base; }
