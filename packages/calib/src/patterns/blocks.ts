// The op-type sequences TPU-MLIR's MatchPattern looks for (python/calibration/transformer_pattern.py,
// calibration spec §10.2), as data: which transformer block (or YOLO neck) a model is built of, and
// which YOLO post-processing tail it ends in. The order matters: the first block found wins.
// Written as space-separated type names without the `top.` prefix.

const seq = (s: string): readonly string[] => s.trim().split(/\s+/).map((t) => `top.${t}`);

/** Block name -> its op-type sequence, in TPU-MLIR's search order. */
export const SUB_BLOCKS: ReadonlyMap<string, readonly string[]> = new Map([
  ['eva_block', seq(`Add LayerNorm MatMul Reshape Slice Slice Slice Squeeze Squeeze Squeeze Permute Slice Slice Mul
    Slice MulConst Slice Unsqueeze Unsqueeze Concat Reshape Mul Add Concat Permute Slice Slice Mul Slice MulConst Slice
    Unsqueeze Unsqueeze Concat Reshape Mul Add Concat MulConst Permute MatMul Softmax Permute MatMul Permute Reshape MatMul
    Add LayerNorm MatMul MatMul SiLU Mul MatMul`)],
  ['bert_block', seq(`Add LayerNorm MatMul MatMul MatMul Reshape Permute Reshape Reshape Permute Permute MatMul MulConst
    Add Softmax MatMul Permute Reshape MatMul Add LayerNorm MatMul GELU MatMul`)],
  ['bert_block_1', seq(`Add LayerNorm MatMul MatMul Reshape MatMul Reshape Permute Reshape Permute Permute MatMul MulConst
    Add Softmax MatMul Permute Reshape MatMul Add LayerNorm MatMul GELU MatMul`)],
  ['deit_block', seq(`Add LayerNorm MatMul Reshape Slice Squeeze Slice Squeeze Slice Squeeze Permute Permute Permute MatMul
    MulConst Softmax Permute MatMul Permute Reshape MatMul Add LayerNorm MatMul GELU MatMul`)],
  ['swin_block', seq(`LayerNorm Reshape Permute Reshape MatMul Reshape Slice Slice Slice Squeeze Squeeze Squeeze Permute
    MulConst Permute Permute MatMul Add Softmax Permute MatMul Permute Reshape MatMul Reshape Permute Reshape Add Reshape
    LayerNorm MatMul GELU MatMul Add Reshape LayerNorm Slice Slice Concat Slice Slice Concat Reshape Permute Reshape MatMul
    Reshape Slice Slice Slice Squeeze Squeeze Squeeze Permute MulConst Permute Permute MatMul Add Softmax Permute MatMul
    Permute Reshape MatMul Reshape Permute Reshape Slice Slice Concat Slice Slice Concat Add Reshape LayerNorm MatMul GELU
    MatMul Add`)],
  ['_swin_block', seq(`LayerNorm Reshape Permute Reshape MatMul Reshape Slice Slice Slice Squeeze Squeeze Squeeze Permute
    MulConst Permute Permute MatMul Add Softmax Permute MatMul Permute Reshape MatMul Reshape Permute Reshape Reshape Add
    LayerNorm MatMul GELU MatMul Add Reshape LayerNorm Slice Slice Concat Slice Slice Concat Reshape Permute Reshape MatMul
    Reshape Slice Slice Slice Squeeze Squeeze Squeeze Permute MulConst Permute Permute MatMul Add Softmax Permute MatMul
    Permute Reshape MatMul Reshape Permute Reshape Slice Slice Concat Slice Slice Concat Reshape Add LayerNorm MatMul GELU
    MatMul Add`)],
  ['vit_block', seq(`Add LayerNorm MatMul Reshape Slice Slice Slice Squeeze Squeeze Squeeze Permute MulConst Permute Permute
    MatMul Softmax Permute MatMul Permute Reshape MatMul Add LayerNorm MatMul GELU MatMul`)],
  ['detr_block', seq(`Add LayerNorm Add MatMul MatMul MatMul Reshape Permute Reshape Reshape Permute MulConst Permute MatMul
    Softmax MatMul Permute Reshape MatMul Reshape Add LayerNorm MatMul MatMul`)],
  ['detr_rc_50_block', seq(`Add LayerNorm Add MatMul MatMul MatMul Reshape Permute MulConst Reshape Permute Reshape Permute
    MatMul Softmax MatMul Permute Reshape MatMul Add LayerNorm MatMul MatMul`)],
  ['swin_1_block', seq(`LayerNorm Reshape Permute Reshape MatMul Reshape Permute Permute Slice Slice Reshape Slice Reshape
    MulConst Reshape Permute MatMul Add Softmax MatMul Permute Reshape MatMul Reshape Permute Reshape Add LayerNorm MatMul
    GELU MatMul Add LayerNorm Reshape Slice Slice Concat Slice Slice Concat Reshape Permute Reshape MatMul Reshape Permute
    Permute Slice Slice Reshape Slice Reshape MulConst Reshape Permute MatMul Add Softmax MatMul Permute Reshape MatMul
    Reshape Permute Reshape Slice Slice Concat Slice Slice Concat Reshape Add LayerNorm MatMul GELU MatMul Add`)],
  ['_swin_1_block', seq(`LayerNorm Reshape Permute Reshape MatMul Reshape Slice Slice Slice Squeeze Squeeze Squeeze Permute
    MulConst Permute Permute MatMul Add Softmax Permute MatMul Permute Reshape MatMul Reshape Permute Reshape Add LayerNorm
    MatMul GELU MatMul Add LayerNorm Reshape Slice Slice Concat Slice Slice Concat Reshape Permute Reshape MatMul Reshape
    Slice Slice Slice Squeeze Squeeze Squeeze Permute MulConst Permute Permute MatMul Add Softmax Permute MatMul Permute
    Reshape MatMul Reshape Permute Reshape Slice Slice Concat Slice Slice Concat Reshape Add LayerNorm MatMul GELU MatMul
    Add`)],
  ['_eva_block', seq(`Add LayerNorm MatMul Reshape Permute MatMul Reshape Permute MatMul Reshape Permute Slice Slice Mul Slice
    MulConst Slice Unsqueeze Unsqueeze Concat Reshape Mul Add Concat Slice Slice Mul Slice MulConst Slice Unsqueeze
    Unsqueeze Concat Reshape Mul Add Concat MulConst Permute MatMul Softmax MatMul Permute Reshape MatMul Add LayerNorm
    MatMul MatMul SiLU Mul LayerNorm MatMul`)],
  ['cswin_block', seq(`LayerNorm MatMul Reshape Permute Slice Reshape Slice Reshape Slice Reshape Permute Reshape Permute
    Reshape Permute Permute Reshape Permute Reshape Permute Reshape Permute Reshape Conv Reshape Permute Reshape Permute
    MulConst Permute MatMul Softmax MatMul Add Permute Reshape Permute Reshape Slice Reshape Slice Reshape Slice Reshape
    Reshape Permute Reshape Permute Reshape Permute Reshape Conv Reshape Permute Reshape Permute MulConst Permute MatMul
    Softmax MatMul Add Permute Reshape Permute Reshape Concat MatMul Add LayerNorm MatMul GELU MatMul Add`)],
  ['yolo_block', seq('MaxPool MaxPool MaxPool Concat')],
  ['yolo_block_12', seq('Sub Add Add Sub MulConst Concat Mul Concat')],
]);

/** YOLO post-processing tails (matched as multisets over windows), in TPU-MLIR's search order. */
export const YOLO_POST_BLOCKS: ReadonlyMap<string, readonly string[]> = new Map([
  ['yolov5', seq('MulConst Add MulConst MulConst Mul Mul Concat Reshape')],
  ['yolov7', seq('MulConst Add Mul Mul Concat Reshape')],
  ['yolov6_8_9_11_12', seq('Sub Add Add Sub MulConst Concat Mul Concat')],
  ['yolov10', seq(`Sub Add Concat Mul Concat Permute Slice Slice Reduce TopK Unsqueeze Tile Tile GatherElements
    GatherElements Reshape Reshape TopK MulConst Floor Unsqueeze Mod Unsqueeze Gather Concat`)],
]);

/** `--part_quantize` presets ([N]): the op types that stay INT8. */
export const PART_QUANTIZE_MODES: ReadonlyMap<string, readonly string[]> = new Map([
  ['N_mode', seq('Relu MaxPool Conv MatMul PRelu AvgPool Add Sigmoid Deconv')],
  ['H_mode', seq('Conv MatMul AvgPool Deconv MaxPool')],
]);
