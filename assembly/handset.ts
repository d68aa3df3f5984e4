// The handset firmware: the airshake client (hs/client.ts) over the crypto core, as one module.
// Imports: only env.airshake_random (the platform RNG). Exports: the handshake and record API
// and the IO buffers. See host/handset.ts for the host-side driver.
//
// Buffers: the host writes message 2 or a record from B at inBuf(), and reads message 1, message
// 3, a record or an alert at outBuf(). Application data is sealed and opened in place: the
// plaintext to send goes at sendAppBuf() (at most appCap() bytes) before finish() or seal(); the
// plaintext open() returns is at recvAppBuf().
export {
  clientProvision as provision, clientStart as start, clientFinish as finish, clientSeal as seal,
  clientOpen as open, clientSealUpdate as sealUpdate, clientReset as reset, clientState as state, clientError as error, clientPeerAlert as peerAlert,
} from "./hs/client";
import { ID_A, IN, IN_CAP, MAX_APP, OUT, OUT_CAP, RECV_APP_OFF, SEND_APP_OFF } from "./hs/client";

export function inBuf(): usize { return IN; }
export function inCap(): usize { return IN_CAP; }
export function outBuf(): usize { return OUT; }
export function outCap(): usize { return OUT_CAP; }
export function sendAppBuf(): usize { return OUT + SEND_APP_OFF; }
export function recvAppBuf(): usize { return IN + RECV_APP_OFF; }
export function appCap(): usize { return MAX_APP; }
export function idA(): usize { return ID_A; }
/** End of static memory (data and every buffer). */
export function heapBase(): usize { return __heap_base; }
