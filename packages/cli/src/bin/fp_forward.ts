#!/usr/bin/env node
// TPU-MLIR's `fp_forward` name for `tpu-quant fp_forward`.
import { main } from '../main.js';

process.exitCode = await main(['fp_forward', ...process.argv.slice(2)]);
