// The forward-secret handset firmware (build/handset-fs.wasm): handset.ts's exports, built with
// `--use AIRSHAKE_SUITE3=1` (hs/config.ts) so that it also runs suite 3 (PROTOCOL.md §Suite 3):
// startFs (the ephemeral hello, naming the cached C_B), the same finish/seal/open, and the
// server-certificate cache (cacheServer, forgetServer, serverCached). start() still sends suite
// 1's hello.
export * from "./handset";
export {
  clientStartFs as startFs, clientSuite as suite, clientCacheServer as cacheServer, clientForgetServer as forgetServer,
  clientServerCached as serverCached,
} from "./hs/client";
