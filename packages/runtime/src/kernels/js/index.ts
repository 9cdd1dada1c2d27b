// The js backend: the readable reference kernels. Importing this module registers them all.
import './io.js';
import './conv.js';
import './matmul.js';
import './pool.js';
import './elementwise.js';
import './activation.js';
import './softmax.js';
import './norm.js';
import './reduce.js';
import './shape.js';
import './gather.js';
import './resize.js';
