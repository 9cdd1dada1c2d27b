// @tpu-quant/cli: the command line. Programmatic use: `main(argv)` returns the exit code.
export { buildProgram, main } from './main.js';
export { reportError, EXIT_BUG, EXIT_USER_ERROR } from './report.js';
export { parseNameList, parseNumberList, parseShapeList } from './flags.js';
