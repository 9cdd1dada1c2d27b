#!/usr/bin/env node
// TPU-MLIR's `run_qtable` name for `tpu-quant run_qtable`.
import { main } from '../main.js';

process.exitCode = await main(['run_qtable', ...process.argv.slice(2)]);
