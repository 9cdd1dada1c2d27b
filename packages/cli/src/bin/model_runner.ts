#!/usr/bin/env node
// TPU-MLIR's `model_runner` name for `tpu-quant model_runner`.
import { main } from '../main.js';

process.exitCode = await main(['model_runner', ...process.argv.slice(2)]);
