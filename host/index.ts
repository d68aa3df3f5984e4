/** airshake host package: the firmware loader and (later) server B, store, link and CLI. */
export type { Firmware } from './api.js';
export { loadFirmware, buildPath } from './firmware.js';
export type { LoadOptions, LoadedFirmware, CryptoExports } from './firmware.js';
