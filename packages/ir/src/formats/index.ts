// numpy .npy/.npz (TPU-MLIR's weight, input and output files), atomic file writes, ONNX protobuf.
export { parseNpy, encodeNpy, type ParseNpyOptions, type EncodeNpyOptions } from './npy.js';
export {
  readNpz, encodeNpz, listNpzBytes,
  type ReadNpzOptions, type WriteNpzOptions, type NpzEntryInfo, type NpzEntries,
} from './npz.js';
export { loadNpz, saveNpz, loadNpy, saveNpy, listNpz } from './files.js';
export { atomicWriteFile } from './atomic-write.js';
export { crc32 } from './crc32.js';
export * from './onnx/index.js';
