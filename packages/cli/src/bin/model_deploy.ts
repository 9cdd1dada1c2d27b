#!/usr/bin/env node
// TPU-MLIR's `model_deploy` name for `tpu-quant model_deploy`.
import { main } from '../main.js';

process.exitCode = await main(['model_deploy', ...process.argv.slice(2)]);
