#!/usr/bin/env node
// TPU-MLIR's `model_tool` name for `tpu-quant model_tool`.
import { main } from '../main.js';

process.exitCode = await main(['model_tool', ...process.argv.slice(2)]);
