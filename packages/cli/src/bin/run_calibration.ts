#!/usr/bin/env node
// TPU-MLIR's `run_calibration` name for `tpu-quant run_calibration`.
import { main } from '../main.js';

process.exitCode = await main(['run_calibration', ...process.argv.slice(2)]);
