#!/usr/bin/env node
// TPU-MLIR's `model_transform` name for `tpu-quant model_transform`.
import { main } from '../main.js';

process.exitCode = await main(['model_transform', ...process.argv.slice(2)]);
