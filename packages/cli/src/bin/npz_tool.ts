#!/usr/bin/env node
// TPU-MLIR's `npz_tool` name for `tpu-quant npz_tool`.
import { main } from '../main.js';

process.exitCode = await main(['npz_tool', ...process.argv.slice(2)]);
