// The forward-secret handset firmware (build/handset-fs.wasm): handset.ts's exports, built with
// `--use AIRSHAKE_SUITE3=1` (hs/config.ts) so that it also runs suite 3 (PROTOCOL.md §Suite 3):
// startFs (the ephemeral hello, naming the cached C_B), the same finish/seal/open, and the
// server-certificate cache (cacheServer, forgetServer, serverCached). start() sends the classic
// hello, offering suite 1, or what offer() set among suites 1 and 4 (key transport, §Suite 4).
export * from "./handset";
export {
  clientStartFs as startFs, clientSuite as suite, clientCacheServer as cacheServer, clientForgetServer as forgetServer,
  clientServerCached as serverCached, clientOffer as offer,
} from "./hs/client";
