#!/usr/bin/env node
// TPU-MLIR's `run_sensitive_layer` name for `tpu-quant run_sensitive_layer`.
import { main } from '../main.js';

process.exitCode = await main(['run_sensitive_layer', ...process.argv.slice(2)]);
